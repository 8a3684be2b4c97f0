import {
  executeChild,
  log,
  proxyActivities,
  proxyLocalActivities,
  workflowInfo,
  WorkflowIdReusePolicy,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Activities } from '../activities';
import type { RagSnippet } from '../store/conversationHistory';
import { deadLetterStep, rootCause } from './deadLetters';
import {
  DISCORD_READ_OPTIONS,
  GENERATE_MAX_ATTEMPTS,
  RETRIEVAL_OPTIONS,
  STORE_OPTIONS,
} from './retryPolicies';
import { llmActivities } from './llmActivities';
import { postAndStoreLine } from './botLine';
import { weightedPick } from './nextSpeaker';
import {
  organicConversationWorkflowId,
  type OrganicConversationInput,
  type OrganicConversationResult,
  type OrganicThresholds,
  type SilenceCheckInput,
  type SilenceCheckOutcome,
} from './contracts/organic';
import { sessionIdFor } from '../store/sessionId';

const { loadChannelActivity, loadHistory, choosePromptVersion } =
  proxyLocalActivities<Activities>(STORE_OPTIONS);
const { retrieveContext } = proxyActivities<Activities>(RETRIEVAL_OPTIONS);
/** A quick read; if Discord does not answer, this check fails and the next one tries again. */
const { lastChannelMessageAt } = proxyActivities<Activities>(DISCORD_READ_OPTIONS);

/**
 * Run by a Temporal Schedule per monitored channel (overlap SKIP): starts an organic
 * conversation when the channel has been silent long enough and the last organic start
 * is a cooldown ago. It waits for that conversation, so with SKIP the next check cannot
 * run (and start a second one) before the first is posted and stored.
 */
export async function SilenceCheckWorkflow(input: SilenceCheckInput): Promise<SilenceCheckOutcome> {
  // The workflow clock: deterministic on replay, the moment this check's first task ran.
  const now = Date.now();
  if (inQuietHours(new Date(now).getUTCHours(), input.quietHoursUtc)) {
    return { started: false, reason: 'quiet-hours' };
  }
  const [activity, lastDiscordMessageAt] = await Promise.all([
    loadChannelActivity(input.channelId),
    lastChannelMessageAt(input.channelId),
  ]);
  const since = (iso: string | null) => (iso === null ? Infinity : now - Date.parse(iso));
  const quietFor = Math.min(since(activity.lastTurnAt), since(lastDiscordMessageAt));
  if (quietFor < input.silenceSeconds * 1000) return { started: false, reason: 'recent-activity' };
  if (since(activity.lastOrganicStartAt) < input.cooldownSeconds * 1000)
    return { started: false, reason: 'cooldown' };

  const organicWorkflowId = organicConversationWorkflowId(input.channelId, now, input.cooldownSeconds);
  try {
    const result = await executeChild(OrganicConversationWorkflow, {
      workflowId: organicWorkflowId,
      args: [
        {
          channelId: input.channelId,
          lastInitiator: activity.lastInitiator,
          ...(input.followUps && { followUps: input.followUps }),
        },
      ],
      // Even a finished conversation of this bucket blocks another one.
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    });
    return { started: true, organicWorkflowId, result };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError)
      return { started: false, reason: 'already-started' };
    throw err;
  }
}

/** Quiet hours [startHour, endHour) in UTC; start > end wraps midnight (e.g. 23 -> 7). */
function inQuietHours(hour: number, quiet: OrganicThresholds['quietHoursUtc']): boolean {
  if (!quiet || quiet.startHour === quiet.endHour) return false;
  return quiet.startHour < quiet.endHour
    ? hour >= quiet.startHour && hour < quiet.endHour
    : hour >= quiet.startHour || hour < quiet.endHour;
}

/**
 * A character starts a conversation: the LLM picks who (a non-name answer falls back to
 * someone other than the last initiator), that character writes a short starter around
 * a wiki snippet when there is one, and its bot posts it. LLM failures are dead-lettered
 * and nothing is posted: a silent channel is better than a fallback line out of nowhere.
 */
export async function OrganicConversationWorkflow(
  input: OrganicConversationInput,
): Promise<OrganicConversationResult> {
  const { workflowId } = workflowInfo();
  const { chooseOrganicInitiator, generateOrganicStarter } = llmActivities();
  const deadLetter = (step: string, error: unknown, maxAttempts: number) =>
    deadLetterStep({ step, error, maxAttempts, payload: { ...input } });

  const history = await loadHistory({
    session_id: sessionIdFor(input.channelId),
    turn_id: Number.MAX_SAFE_INTEGER,
  });
  let choice: Awaited<ReturnType<typeof chooseOrganicInitiator>>;
  try {
    choice = await chooseOrganicInitiator({
      history,
      lastInitiator: input.lastInitiator,
      channelId: input.channelId,
    });
  } catch (err) {
    await deadLetter('chooseOrganicInitiator', err, GENERATE_MAX_ATTEMPTS);
    return { initiator: null, initiatorChosenByLlm: false, text: null, deliveredMessageIds: [] };
  }
  // Math.random is seeded per workflow run: the same pick on replay.
  const initiator = choice.choice ?? weightedPick(choice.candidates, choice.weights, Math.random());
  if (!choice.choice)
    log.info('initiator answer was not a roster name; fell back', { raw: choice.raw, initiator });

  const [prompt, snippets] = await Promise.all([
    choosePromptVersion({ character: initiator, sessionId: sessionIdFor(input.channelId) }),
    retrieveContext(initiator).catch((err: unknown): RagSnippet[] => {
      log.warn('no wiki snippet for this starter: retrieval failed', { error: rootCause(err) });
      return [];
    }),
  ]);
  const snippet = snippets[0] ?? null;
  const base = { initiator, initiatorChosenByLlm: choice.choice !== null };

  let starter: Awaited<ReturnType<typeof generateOrganicStarter>>;
  try {
    starter = await generateOrganicStarter({
      character: initiator,
      systemPrompt: prompt.prompt_text,
      history,
      snippet,
    });
  } catch (err) {
    await deadLetter('generateOrganicStarter', err, GENERATE_MAX_ATTEMPTS);
    return { ...base, text: null, deliveredMessageIds: [] };
  }

  const deliveredMessageIds = await postAndStoreLine({
    turn: {
      responseId: workflowId,
      character: initiator,
      channelId: input.channelId,
      replyToMessageId: null,
      promptVersion: prompt.prompt_version,
      ragContextUsed: snippet ? [snippet] : [],
      llmResponseRaw: starter.raw,
      llmResponseFinal: starter.final,
      isOrganicInitiation: true,
      qcResult: null,
    },
    deliver: true,
    // Another character may answer the starter; the chain is anchored at the starter.
    ...(input.followUps && { followUp: { policy: input.followUps, length: 1, anchorAt: null } }),
    deadLetter,
  });
  return { ...base, text: starter.final, deliveredMessageIds };
}
