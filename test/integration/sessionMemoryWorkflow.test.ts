/**
 * SessionMemoryWorkflow on the test stack's real Temporal server (the time-skipping test server does not
 * route a signal-with-start to a run that continued as new), its activities faked with a summary position
 * kept like conversation_summaries keeps it: a summary only once MEMORY_SUMMARY_EVERY turns have left the
 * window, of exactly those, one run per summary (continue-as-new, the position carried over), and after a
 * failed summary, another attempt only once as many more turns are stored.
 */
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { SessionMemoryWorkflow } from '../../src/workflows/memory';
import {
  SESSION_MEMORY_WORKFLOW_TYPE,
  sessionMemoryWorkflowId,
  turnsStoredSignal,
  type SessionMemoryPolicy,
  type TurnsStored,
} from '../../src/workflows/contracts/memory';
import type { SummaryTurn } from '../../src/llm/summaryPrompt';
import { waitFor } from '../fakes/waitFor';
import { fakeActivities } from '../workflows/fakeActivities';
import { installQuietRuntime, startTestbed, type Testbed } from '../workflows/env';

jest.setTimeout(60_000);

let bed: Testbed;
beforeAll(async () => {
  installQuietRuntime();
  const env = await TestWorkflowEnvironment.createFromExistingServer({
    address: process.env.TEMPORAL_ADDRESS as string,
  });
  bed = await startTestbed(env);
}, 120_000);
afterAll(() => bed?.teardown());

const policy: SessionMemoryPolicy = { every: 2, window: 2, userNotes: false };
const sessions: string[] = [];

/** Tells a session's memory that turns up to `newestTurnId` are stored, as noteSessionTurn does. */
async function turnsStored(taskQueue: string, sessionId: string, newestTurnId: number) {
  return bed.realTime.signalWithStart<typeof SessionMemoryWorkflow, [TurnsStored]>(
    SESSION_MEMORY_WORKFLOW_TYPE,
    {
      taskQueue,
      workflowId: sessionMemoryWorkflowId(sessionId),
      args: [{ sessionId, channelId: '900', newestTurnId, policy }],
      signal: turnsStoredSignal,
      signalArgs: [{ newestTurnId, policy }],
    },
  );
}

/** Store activities over one session's summary position, as conversation_summaries would hold it. */
function session() {
  const sessionId = `discord:${randomUUID()}`;
  sessions.push(sessionId);
  let position = 0;
  const turn = (turn_id: number): SummaryTurn => ({
    turn_id,
    speaker_type: 'USER',
    bot_name: null,
    user_id: 'u1',
    user_name: 'Lois',
    message_content: `turn ${turn_id}`,
  });
  const loadSummaryPosition = jest.fn(async () => position);
  const loadTurnsToSummarise = jest.fn(async (input: { sessionId: string; throughTurnId: number }) => ({
    previousSummary: position > 0 ? `through ${position}` : null,
    turns: Array.from({ length: input.throughTurnId - position }, (_, i) => turn(position + i + 1)),
    coversFromTurnId: 1,
    throughTurnId: input.throughTurnId,
    sourceUserIds: [],
  }));
  const saveSessionSummary = jest.fn(async (input: { from: { throughTurnId: number } }) => {
    position = input.from.throughTurnId;
  });
  return {
    sessionId,
    loadSummaryPosition,
    loadTurnsToSummarise,
    saveSessionSummary,
    /** Through which turn the stored summary goes. */
    position: () => position,
  };
}

afterAll(async () => {
  // Waiting for more turns (an hour before they end): stopped so they leave nothing running.
  for (const sessionId of sessions) {
    await bed?.realTime
      .getHandle(sessionMemoryWorkflowId(sessionId))
      .terminate('test over')
      .catch(() => undefined);
  }
});

it('summarises once MEMORY_SUMMARY_EVERY turns have left the window, exactly those, one run per summary', async () => {
  const memory = session();
  const summariseConversation = jest.fn(fakeActivities().summariseConversation);
  await bed.run({ ...memory, summariseConversation }, async (taskQueue) => {
    const { sessionId } = memory;
    const first = await turnsStored(taskQueue, sessionId, 3);
    // Turn 1 alone has left the 2-turn window: not yet. At turn 4, turns 1-2 have.
    await turnsStored(taskQueue, sessionId, 4);
    await waitFor(() => memory.position() === 2, { what: 'the first summary' });
    expect(summariseConversation).toHaveBeenCalledTimes(1);
    expect(summariseConversation.mock.calls[0]?.[0]).toMatchObject({
      previousSummary: null,
      turns: [{ turn_id: 1 }, { turn_id: 2 }],
    });

    // Turns 3-4 are due at turn 6, built on the first summary.
    await turnsStored(taskQueue, sessionId, 5);
    await turnsStored(taskQueue, sessionId, 6);
    await waitFor(() => memory.position() === 4, { what: 'the second summary' });
    // Local activities may run again when a workflow task is retried (a signal arriving while a run
    // continues as new makes the server retry that task): the model is asked once per summary regardless.
    expect(summariseConversation).toHaveBeenCalledTimes(2);
    expect(summariseConversation.mock.calls[1]?.[0]).toMatchObject({
      previousSummary: 'through 2',
      turns: [{ turn_id: 3 }, { turn_id: 4 }],
    });
    // One run per summary, the position carried over: read from the store once, at the start.
    const history = await bed.realTime.getHandle(first.workflowId, first.signaledRunId).fetchHistory();
    expect(history.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes).toBeTruthy();
    expect(memory.loadSummaryPosition).toHaveBeenCalledTimes(1);
  });
});

it('after the LLM fails for good, tries again only once MEMORY_SUMMARY_EVERY more turns are stored', async () => {
  const memory = session();
  const summariseConversation = jest.fn(async (input: { turns: SummaryTurn[] }) => {
    throw ApplicationFailure.nonRetryable(`model not found (${input.turns.length} turns)`, 'ScriptedFailure');
  });
  await bed.run({ ...memory, summariseConversation }, async (taskQueue) => {
    const { sessionId } = memory;
    await turnsStored(taskQueue, sessionId, 4);
    await waitFor(() => summariseConversation.mock.calls.length === 1, { what: 'the first attempt' });
    await turnsStored(taskQueue, sessionId, 5);
    await turnsStored(taskQueue, sessionId, 6);
    await waitFor(() => summariseConversation.mock.calls.length === 2, { what: 'the second attempt' });
    // Turn 5 asked for no attempt (it would have been through turn 3); the second is through turn 4. (A
    // retried workflow task may run a local activity again: the set of positions is what is asserted.)
    const throughs = memory.loadTurnsToSummarise.mock.calls.map(([input]) => input.throughTurnId);
    expect(new Set(throughs)).toEqual(new Set([2, 4]));
    expect(summariseConversation.mock.calls.map(([input]) => input.turns.length)).toEqual([2, 4]);
    expect(memory.saveSessionSummary).not.toHaveBeenCalled();
  });
});
