import {
  condition,
  continueAsNew,
  log,
  proxyLocalActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { rootCause } from './deadLetters';
import { llmActivities } from './llmActivities';
import { STORE_OPTIONS } from './retryPolicies';
import {
  turnsStoredSignal,
  type ForgetChannelInput,
  type ForgetChannelResult,
  type SessionMemoryInput,
} from './contracts/memory';

const { loadSummaryPosition, loadTurnsToSummarise, saveSessionSummary, forgetChannelTurns } =
  proxyLocalActivities<Activities>(STORE_OPTIONS);

/**
 * A session with no stored turn for this long lets its memory workflow end; the next stored turn starts
 * a new one (signalWithStart), which reads where the summary stands from conversation_summaries.
 */
const IDLE_BEFORE_ENDING = '1 hour';

/**
 * The memory of one conversation session (id sessionMemoryWorkflowId): every stored bot turn signals it
 * (noteSessionTurn, signalWithStart), and once MEMORY_SUMMARY_EVERY turns have left the history window
 * since the last summary, it has the LLM fold them into the session's summary (and notes about users).
 * One workflow per session means one writer of its summary, so summaries never race each other.
 *
 * Each summary written ends the run with continue-as-new (its position carried over), so a long-lived
 * session's history stays a handful of events; an hour without turns ends it. Signals only ever say
 * "turns up to N are stored", so one lost when a run ends is made good by the next.
 */
export async function SessionMemoryWorkflow(input: SessionMemoryInput): Promise<void> {
  const { sessionId, channelId } = input;
  let { newestTurnId, policy } = input;
  setHandler(turnsStoredSignal, (stored) => {
    newestTurnId = Math.max(newestTurnId, stored.newestTurnId);
    policy = stored.policy;
  });
  const summarisedThrough = input.summarisedThrough ?? (await loadSummaryPosition(sessionId));
  const retryFrom = input.retryFrom ?? 0;
  /** The newest turn a summary would cover: the window shows the later ones anyway. */
  const outOfWindow = () => newestTurnId - policy.window;
  const due = () =>
    policy.every > 0 && newestTurnId >= retryFrom && outOfWindow() - summarisedThrough >= policy.every;
  if (!(await condition(due, IDLE_BEFORE_ENDING))) return;

  const through = outOfWindow();
  const attemptedAt = newestTurnId;
  let next: Pick<SessionMemoryInput, 'summarisedThrough' | 'retryFrom'>;
  try {
    const from = await loadTurnsToSummarise({ sessionId, throughTurnId: through });
    if (from.turns.length > 0) {
      const { summariseConversation } = llmActivities();
      const written = await summariseConversation({
        previousSummary: from.previousSummary,
        turns: from.turns,
        userNotes: policy.userNotes,
      });
      await saveSessionSummary({ sessionId, channelId, from, ...written });
    }
    next = { summarisedThrough: from.throughTurnId };
  } catch (err) {
    // The LLM (or MongoDB) failed for good: the summary waits for another MEMORY_SUMMARY_EVERY turns
    // instead of asking again at every turn, and the replies go on with the summary as it was.
    log.warn('session summary not written; trying again later', { sessionId, error: rootCause(err) });
    next = { summarisedThrough, retryFrom: attemptedAt + policy.every };
  }
  await continueAsNew<typeof SessionMemoryWorkflow>({ sessionId, channelId, policy, newestTurnId, ...next });
}

/**
 * /forget in a channel (id forgetChannelWorkflowId, from the Discord interaction): its turns so far
 * leave the history window, the summary and the user notes; conversation_history keeps them.
 */
export async function ForgetChannelWorkflow(input: ForgetChannelInput): Promise<ForgetChannelResult> {
  const result = await forgetChannelTurns(input);
  log.info('channel forgot its turns', { ...result, workflowId: workflowInfo().workflowId });
  return result;
}
