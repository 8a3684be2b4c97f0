import {
  log,
  ParentClosePolicy,
  proxyLocalActivities,
  startChild,
  WorkflowIdReusePolicy,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Activities } from '../activities';
import { sessionIdFor } from '../store/sessionId';
import { rootCause } from './deadLetters';
import { llmActivities } from './llmActivities';
import { weightedPick } from './nextSpeaker';
import { STORE_OPTIONS } from './retryPolicies';
import type { ReplyWorkflow } from './reply';
import {
  joinChance,
  type CoordinateInput,
  type CoordinateOutcome,
  type CoordinatorPolicy,
} from './contracts/coordinate';
import { REPLY_WORKFLOW_TYPE, replyWorkflowId } from './contracts/reply';

const { loadUnnamedContext, loadHistory, recordCoordinatedAnswer } =
  proxyLocalActivities<Activities>(STORE_OPTIONS);

/**
 * Who answers a message that names no character, in a channel set to `coordinator`. Only while the
 * characters are part of the conversation (one of them spoke within the policy's window), or when the
 * decaying join chance comes up; within the channel's caps. The LLM picks among the cast under a
 * schema (everyone but the last speaker, when anyone else is there), talkativeness when its answer is
 * unusable or it cannot be reached; the pick answers through an ordinary ReplyWorkflow under the id a
 * named reply would have had, so the message is answered once whoever starts what.
 */
export async function CoordinateWorkflow(input: CoordinateInput): Promise<CoordinateOutcome> {
  const { message, policy } = input;
  if (policy.characters.length === 0) return { answeredBy: null, reason: 'no-cast' };
  const context = await loadUnnamedContext({
    channelId: message.channelId,
    messageId: message.messageId,
    at: message.createdAt,
  });
  const at = Date.parse(message.createdAt);
  const inConversation =
    context.lastSpeakerAt !== null && at - Date.parse(context.lastSpeakerAt) <= policy.activeWindowMs;
  // Math.random is seeded per workflow run: the same roll on replay.
  if (!inConversation && !(Math.random() < joinChance(policy, context.lastHumanAt, at))) {
    return { answeredBy: null, reason: 'not-in-conversation' };
  }
  if (context.answeredLastHour >= policy.maxPerHour) return { answeredBy: null, reason: 'hourly-cap' };
  if (context.answeredInARow >= policy.maxInARow) return { answeredBy: null, reason: 'in-a-row-cap' };

  const { character, chosenByLlm } = await chooseAnswerer(input, context.lastSpeaker);
  await recordCoordinatedAnswer({
    channelId: message.channelId,
    messageId: message.messageId,
    character,
    at: message.createdAt,
  });
  const workflowId = replyWorkflowId(message.messageId, character);
  try {
    await startChild<typeof ReplyWorkflow>(REPLY_WORKFLOW_TYPE, {
      workflowId,
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      // The reply is the message's own: this workflow ends once it is under way.
      parentClosePolicy: ParentClosePolicy.ABANDON,
      args: [{ character, message, ...(input.followUps && { followUps: input.followUps }) }],
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      return { answeredBy: null, reason: 'already-answered' };
    }
    throw err;
  }
  return {
    answeredBy: character,
    chosenByLlm,
    why: inConversation ? 'conversation' : 'joined',
    replyWorkflowId: workflowId,
  };
}

/**
 * The model's pick among the cast without the last speaker (everyone, when nobody else is there); an
 * unusable answer, or a model that cannot be reached, falls back to talkativeness. A single candidate
 * needs no LLM call.
 */
async function chooseAnswerer(
  { message, policy }: CoordinateInput,
  lastSpeaker: string | null,
): Promise<{ character: string; chosenByLlm: boolean }> {
  const candidates = answerCandidates(policy, lastSpeaker);
  const names = candidates.map((c) => c.name);
  if (names.length === 1) return { character: names[0] as string, chosenByLlm: false };
  const fallback = () => ({
    character: weightedPick(
      names,
      candidates.map((c) => c.talkativeness),
      Math.random(),
    ),
    chosenByLlm: false,
  });
  try {
    const history = await loadHistory({
      session_id: sessionIdFor(message.channelId),
      turn_id: Number.MAX_SAFE_INTEGER,
    });
    const { choice, raw } = await llmActivities().chooseAnswerer({
      characters: names,
      history,
      message: { authorName: message.authorName, content: message.content },
      lastSpeaker,
    });
    if (choice) return { character: choice, chosenByLlm: true };
    log.info('answerer choice was not a candidate; fell back to talkativeness', { raw });
  } catch (err) {
    // The message still deserves an answer: talkativeness decides without the model.
    log.warn('the model could not choose who answers; fell back to talkativeness', {
      error: rootCause(err),
    });
  }
  return fallback();
}

/** The cast without the last speaker, unless nobody else is there. */
function answerCandidates(
  policy: Pick<CoordinatorPolicy, 'characters'>,
  lastSpeaker: string | null,
): CoordinatorPolicy['characters'] {
  const others = policy.characters.filter((c) => c.name !== lastSpeaker);
  return others.length > 0 ? others : policy.characters;
}
