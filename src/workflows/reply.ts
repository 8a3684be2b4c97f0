import {
  ActivityFailure,
  log,
  proxyActivities,
  proxyLocalActivities,
  workflowInfo,
  type ActivityOptions,
  type RetryPolicy,
} from '@temporalio/workflow';
import type { Activities, LlmActivities } from '../activities';
import type { RagSnippet } from '../store/conversationHistory';
import {
  llmTaskQueueFor,
  REPLY_WORKFLOW_TYPE,
  type GeneratedReply,
  type ReplyInput,
  type ReplyResult,
} from './types';

/**
 * MongoDB reads and writes: quick, idempotent, and worth retrying through a short outage.
 * They run as local activities, in the worker that runs the workflow task, which saves
 * a task-queue round trip (~30 ms on the dev server) for each of them.
 */
const STORE_RETRY: RetryPolicy = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '30 seconds',
  maximumAttempts: 10,
};
const { persistUserTurn, loadHistory, loadCharacterPrompt, persistBotTurn, recordDeadLetter } =
  proxyLocalActivities<Activities>({ startToCloseTimeout: '30 seconds', retry: STORE_RETRY });

/** Retrieval is an extra: if Chroma is down the reply goes out without wiki context. */
const { retrieveContext } = proxyActivities<Activities>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '1 second', maximumAttempts: 2 },
});

/** Discord delivery: rides out 5xx and rate limits for a few minutes; 4xx is final. */
const DELIVERY_MAX_ATTEMPTS = 8;
const { deliverReply } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '30 seconds',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: DELIVERY_MAX_ATTEMPTS,
  },
});

/**
 * Generation: 3 attempts, 2 s then 4 s apart (the original system's dead-letter
 * policy). The heartbeat timeout moves a call off a dead worker within seconds.
 */
const GENERATE_MAX_ATTEMPTS = 3;
const LLM_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '10 seconds',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '5 minutes',
    maximumAttempts: GENERATE_MAX_ATTEMPTS,
  },
};

/**
 * Answers one Discord message in character: remember the user's turn, gather history,
 * wiki context and the character's prompt, generate, remember the bot's turn, post it.
 * If generation fails for good, the failure is dead-lettered and the character posts
 * its fallback line, so the user is never left without an answer.
 */
export async function ReplyWorkflow(input: ReplyInput): Promise<ReplyResult> {
  const { workflowId } = workflowInfo();
  const { generateReply } = proxyActivities<LlmActivities>({
    ...LLM_OPTIONS,
    taskQueue: llmTaskQueueFor(workflowInfo().taskQueue),
  });
  const { character, message } = input;
  const deadLetterIds: string[] = [];
  const deadLetter = async (step: string, err: ActivityFailure, maxAttempts: number) => {
    const error = describeFailure(err);
    log.warn('dead-lettering a failed step', { step, messageId: message.messageId, error });
    const id = await recordDeadLetter({
      failed_event_payload: { ...input },
      error_details: error,
      retry_attempts: err.retryState === 'NON_RETRYABLE_FAILURE' ? 1 : maxAttempts,
      workflow_type: REPLY_WORKFLOW_TYPE,
      workflow_id: workflowId,
      failed_step: step,
    });
    deadLetterIds.push(id);
  };

  const userTurn = await persistUserTurn(message);
  const [history, context, prompt] = await Promise.all([
    loadHistory(userTurn),
    retrieveContext(message.content).catch((err: unknown): RagSnippet[] => {
      log.warn('no wiki context for this reply: retrieval failed', { error: String(err) });
      return [];
    }),
    loadCharacterPrompt(character),
  ]);

  let reply: GeneratedReply | undefined;
  try {
    reply = await generateReply({
      character,
      systemPrompt: prompt.prompt_text,
      history,
      context,
      userMessage: message.content,
    });
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    await deadLetter('generateReply', err, GENERATE_MAX_ATTEMPTS);
  }
  const text = reply?.final ?? prompt.fallback_line;

  await persistBotTurn({
    responseId: workflowId,
    character,
    channelId: message.channelId,
    replyToMessageId: message.messageId,
    promptVersion: prompt.prompt_version,
    ragContextUsed: reply ? context : [],
    llmResponseRaw: reply?.raw ?? null,
    llmResponseFinal: text,
    isOrganicInitiation: false,
  });

  let deliveredMessageIds: string[] = [];
  try {
    deliveredMessageIds = await deliverReply({
      responseId: workflowId,
      character,
      channelId: message.channelId,
      replyTo: message.messageId,
      text,
    });
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    await deadLetter('deliverReply', err, DELIVERY_MAX_ATTEMPTS);
  }
  return { responseId: workflowId, text, deliveredMessageIds, usedFallback: !reply, deadLetterIds };
}

/** "generateReply: Activity task failed <- llama runner process has terminated". */
function describeFailure(err: ActivityFailure): string {
  const parts: string[] = [];
  for (let current: unknown = err; current instanceof Error && parts.length < 5; current = current.cause) {
    parts.push(current.message);
  }
  return `${err.activityType}: ${parts.join(' <- ')}`;
}
