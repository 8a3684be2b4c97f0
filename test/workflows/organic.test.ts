/**
 * The organic silence check (SilenceCheckWorkflow, run by a schedule per channel) and the conversation it
 * starts, on the time-skipping test server: the workflow clock is the server's, so a channel's half hour of
 * silence passes with bed.env.sleep.
 */
import type { WorkflowClient } from '@temporalio/client';
import type { SilenceCheckWorkflow } from '../../src/workflows/organic';
import type { SilenceCheckInput } from '../../src/workflows/contracts/organic';
import { fakeActivities } from './fakeActivities';
import { useTestbed } from './env';

const bed = useTestbed();

const SILENCE_SECONDS = 30 * 60;
let channels = 0;
const newChannel = () => String(300 + ++channels);

function checkInput(channelId: string, extra: Partial<SilenceCheckInput> = {}): SilenceCheckInput {
  return {
    channelId,
    silenceSeconds: SILENCE_SECONDS,
    cooldownSeconds: 10 * 60,
    quietHoursUtc: null,
    ...extra,
  };
}

let checks = 0;
/** On the real-time client (env.ts) unless `client` says otherwise: the check compares clocks. */
const runCheck = (taskQueue: string, input: SilenceCheckInput, client: WorkflowClient = bed.realTime) =>
  client.execute<typeof SilenceCheckWorkflow>('SilenceCheckWorkflow', {
    taskQueue,
    workflowId: `silence-check-${input.channelId}-${++checks}`,
    args: [input],
  });

describe('SilenceCheckWorkflow', () => {
  it('starts nothing while the channel is recent, and a conversation once it has been silent long enough', async () => {
    const channelId = newChannel();
    const lastTurnAt = new Date(await bed.env.currentTimeMs()).toISOString();
    const chooseOrganicInitiator = jest.fn(fakeActivities().chooseOrganicInitiator);
    const persistBotTurn = jest.fn(fakeActivities().persistBotTurn);
    const deliverReply = jest.fn(fakeActivities().deliverReply);
    const mocks = {
      loadChannelActivity: async () => ({ lastTurnAt, lastOrganicStartAt: null, lastInitiator: 'Peter' }),
      chooseOrganicInitiator,
      persistBotTurn,
      deliverReply,
    };

    const [early, late] = await bed.run(mocks, async (taskQueue) => {
      const first = await runCheck(taskQueue, checkInput(channelId));
      await bed.env.sleep(`${SILENCE_SECONDS + 60} seconds`); // half an hour on the server's clock, at once
      return [first, await runCheck(taskQueue, checkInput(channelId))] as const;
    });

    expect(early).toEqual({ started: false, reason: 'recent-activity' });
    expect(late).toMatchObject({
      started: true,
      organicWorkflowId: expect.stringMatching(new RegExp(`^organic-${channelId}-\\d+$`)),
      result: { initiator: 'Stewie', initiatorChosenByLlm: true, text: 'Anyone seen my ray gun?' },
    });
    expect(chooseOrganicInitiator).toHaveBeenCalledTimes(1);
    expect(chooseOrganicInitiator).toHaveBeenCalledWith(expect.objectContaining({ lastInitiator: 'Peter' }));
    expect(persistBotTurn).toHaveBeenCalledWith(
      expect.objectContaining({
        character: 'Stewie',
        channelId,
        replyToMessageId: null,
        isOrganicInitiation: true,
        llmResponseFinal: 'Anyone seen my ray gun?',
      }),
    );
    expect(deliverReply).toHaveBeenCalledWith(
      expect.objectContaining({
        character: 'Stewie',
        channelId,
        replyTo: null,
        text: 'Anyone seen my ray gun?',
      }),
    );
  });

  it('counts a Discord message newer than the stored turns as activity', async () => {
    const channelId = newChannel();
    const now = await bed.env.currentTimeMs();
    const outcome = await bed.run(
      {
        loadChannelActivity: async () => ({
          lastTurnAt: new Date(now - 2 * SILENCE_SECONDS * 1000).toISOString(),
          lastOrganicStartAt: null,
          lastInitiator: null,
        }),
        lastChannelMessageAt: async () => new Date(now - 60_000).toISOString(),
      },
      (taskQueue) => runCheck(taskQueue, checkInput(channelId)),
    );
    expect(outcome).toEqual({ started: false, reason: 'recent-activity' });
  });

  it('waits out the cooldown after an organic start, and keeps quiet hours', async () => {
    const channelId = newChannel();
    const now = await bed.env.currentTimeMs();
    const hour = new Date(now).getUTCHours();
    const chooseOrganicInitiator = jest.fn(fakeActivities().chooseOrganicInitiator);
    const outcomes = await bed.run(
      {
        loadChannelActivity: async () => ({
          lastTurnAt: null,
          lastOrganicStartAt: new Date(now - 60_000).toISOString(),
          lastInitiator: 'Brian',
        }),
        chooseOrganicInitiator,
      },
      async (taskQueue) => [
        await runCheck(taskQueue, checkInput(channelId)),
        // Two hours from this one: still inside if the hour turns meanwhile.
        await runCheck(
          taskQueue,
          checkInput(channelId, { quietHoursUtc: { startHour: hour, endHour: (hour + 2) % 24 } }),
        ),
      ],
    );
    expect(outcomes).toEqual([
      { started: false, reason: 'cooldown' },
      { started: false, reason: 'quiet-hours' },
    ]);
    expect(chooseOrganicInitiator).not.toHaveBeenCalled();
  });

  it('starts one conversation per channel and cooldown bucket, however many checks find it due', async () => {
    const channelId = newChannel();
    const generateOrganicStarter = jest.fn(fakeActivities().generateOrganicStarter);
    // A week's bucket: two checks a moment apart do not straddle a bucket boundary (10 minutes' might).
    const input = checkInput(channelId, { cooldownSeconds: 7 * 24 * 3600 });
    const outcomes = await bed.run({ generateOrganicStarter }, async (taskQueue) => [
      await runCheck(taskQueue, input),
      await runCheck(taskQueue, input),
    ]);
    expect(outcomes[0]).toMatchObject({ started: true });
    expect(outcomes[1]).toEqual({ started: false, reason: 'already-started' });
    expect(generateOrganicStarter).toHaveBeenCalledTimes(1);
  });

  it('dead-letters a starter the LLM cannot write and posts nothing', async () => {
    const channelId = newChannel();
    const recordDeadLetter = jest.fn(fakeActivities().recordDeadLetter);
    const deliverReply = jest.fn(fakeActivities().deliverReply);
    const outcome = await bed.run(
      {
        recordDeadLetter,
        deliverReply,
        generateOrganicStarter: async () => {
          throw new Error('model not found');
        },
      },
      // The 2 s and 4 s retry backoffs skipped.
      (taskQueue) => runCheck(taskQueue, checkInput(channelId), bed.env.client.workflow),
    );
    expect(outcome).toMatchObject({
      started: true,
      result: { initiator: 'Stewie', text: null, deliveredMessageIds: [] },
    });
    expect(recordDeadLetter).toHaveBeenCalledWith(
      expect.objectContaining({
        workflow_type: 'OrganicConversationWorkflow',
        failed_step: 'generateOrganicStarter',
        retry_attempts: 3,
      }),
    );
    expect(deliverReply).not.toHaveBeenCalled();
  });
});
