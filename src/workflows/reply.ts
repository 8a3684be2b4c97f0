import {
  ActivityFailure,
  ApplicationFailure,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  TimeoutFailure,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { QcTurnResult, RagSnippet } from '../store/conversationHistory';
import { deadLetterStep, rootCause } from './deadLetters';
import {
  GENERATE_MAX_ATTEMPTS,
  RETRIEVAL_LOCAL_OPTIONS,
  RETRIEVAL_OPTIONS,
  STORE_OPTIONS,
} from './retryPolicies';
import { llmActivities } from './llmActivities';
import { postAndStoreLine } from './botLine';
import { replyThroughQc } from './qualityControl';
import { sessionIdFor } from '../store/sessionId';
import type { GeneratedReply, LoreAndScenario, ReplyInput, ReplyResult } from './contracts/reply';
import type { HistoryLine } from '../llm/prompt';
import type { SessionMemory } from '../activities/memory';

const {
  persistUserTurn,
  loadHistory,
  choosePromptVersion,
  loadQcPolicy,
  loadLoreAndScenario,
  loadSessionMemory,
} = proxyLocalActivities<Activities>(STORE_OPTIONS);
const { retrieveContext } = proxyActivities<Activities>(RETRIEVAL_OPTIONS);
const { retrieveContext: retrieveContextLocally } = proxyLocalActivities<Activities>(RETRIEVAL_LOCAL_OPTIONS);

/**
 * Runs started before this stored the user's turn first, then gathered history, prompt version and
 * QC policy (local activities) beside retrieval as a regular activity: a task-queue round trip
 * and a workflow task of its own. Since, retrieval is a local activity too and runs while the
 * turn is stored, so all of the gathering fits in the first workflow task.
 */
const GATHER_IN_ONE_TASK_PATCH = 'reply-gathers-in-one-task';

/** Runs started before lorebooks and channel scenarios wrote their prompts without them. */
const LORE_AND_SCENARIO_PATCH = 'reply-reads-lore-and-scenario';
const NO_LORE_OR_SCENARIO: LoreAndScenario = { scenario: null, lore: [] };

/** Runs started before session memory wrote their prompts without its summary and user notes. */
const SESSION_MEMORY_PATCH = 'reply-reads-session-memory';
const NO_MEMORY: SessionMemory = { summary: null, userNotes: [] };

/**
 * Live replies (posted as the model writes, by generateLiveReply) came after; a run takes that branch
 * only where the channel has them and QC is off (QC judges the whole text before anything is shown).
 */
const LIVE_REPLIES_PATCH = 'reply-posted-live';

/**
 * Answers one Discord message in character: remember the user's turn, gather history,
 * wiki context and the session's prompt version, generate (through the QC child workflow
 * when QC is on), remember the bot's turn, post it. If generation fails for good, the
 * failure is dead-lettered and the character posts its fallback line, so the user is
 * never left without an answer.
 */
export async function ReplyWorkflow(input: ReplyInput): Promise<ReplyResult> {
  const { workflowId } = workflowInfo();
  const { generateReply, generateLiveReply } = llmActivities();
  const { character, message } = input;
  const deadLetterIds: string[] = [];
  const deadLetter = async (step: string, error: unknown, maxAttempts: number) => {
    deadLetterIds.push(await deadLetterStep({ step, error, maxAttempts, payload: { ...input } }));
  };

  const { history, context, prompt, qcPolicy, extras } = await gather(input);

  const replyPrompt = {
    character,
    systemPrompt: prompt.prompt_text,
    history,
    context,
    userMessage: input.chain ? `[${message.authorName}] ${message.content}` : message.content,
    userName: message.authorName,
    scenario: extras.scenario,
    lore: extras.lore,
    summary: extras.memory.summary,
    userNotes: extras.memory.userNotes,
  };
  /** What the reply was written with: the lore first, as in the prompt, then the wiki. */
  const contextUsed = [...extras.lore, ...context];
  let reply: GeneratedReply | undefined;
  let qcResult: QcTurnResult | null = null;
  /** The parts of a live reply, posted already. */
  let shownIn: string[] | undefined;
  /** A live reply that failed for good: the parts it is known to have posted, which the fallback replaces. */
  let replacesLive: string[] | undefined;
  let live = false;
  try {
    if (qcPolicy) {
      ({ reply, qcResult } = await replyThroughQc({
        parentWorkflowId: workflowId,
        responseId: workflowId,
        prompt: replyPrompt,
        promptVersion: prompt.prompt_version,
        policy: qcPolicy,
      }));
    } else if (extras.liveReplies && input.deliver !== false && patched(LIVE_REPLIES_PATCH)) {
      live = true;
      const written = await generateLiveReply({
        prompt: replyPrompt,
        responseId: workflowId,
        channelId: message.channelId,
        replyTo: message.messageId,
      });
      reply = written.reply;
      shownIn = written.postedIds;
    } else {
      reply = await generateReply(replyPrompt);
    }
  } catch (err) {
    await deadLetter('generateReply', err, GENERATE_MAX_ATTEMPTS);
    if (live) replacesLive = postedBeforeFailure(err);
  }
  const text = reply?.final ?? prompt.fallback_line;

  const deliveredMessageIds = await postAndStoreLine({
    turn: {
      responseId: workflowId,
      character,
      channelId: message.channelId,
      replyToMessageId: message.messageId,
      promptVersion: prompt.prompt_version,
      ragContextUsed: reply ? contextUsed : [],
      llmResponseRaw: reply?.raw ?? null,
      llmResponseFinal: text,
      isOrganicInitiation: false,
      qcResult,
    },
    // POST /orchestrate answers over HTTP: there is no Discord message to reply to.
    deliver: input.deliver !== false,
    shownIn,
    replacesLive,
    // A fallback line is not worth answering.
    ...(input.followUps &&
      reply && {
        followUp: {
          policy: input.followUps,
          length: (input.chain?.length ?? 0) + 1,
          anchorAt: input.chain?.anchorAt ?? message.createdAt,
        },
      }),
    deadLetter,
  });
  return {
    responseId: workflowId,
    character,
    text,
    promptVersion: prompt.prompt_version,
    qc: qcResult,
    deliveredMessageIds,
    usedFallback: !reply,
    deadLetterIds,
    contextUsed: reply ? contextUsed : [],
    sessionId: sessionIdFor(message.channelId),
  };
}

/** What a reply is written from: the history before the message, wiki context, prompt version, QC policy. */
async function gather({ character, message, chain }: ReplyInput) {
  // A follow-up answers a character's line, which is already a turn; a human's is stored now.
  const storeUserTurn = async () => chain?.answeredTurn ?? (await persistUserTurn(message));
  const gatherWith = async (
    history: Promise<HistoryLine[]>,
    retrieve: typeof retrieveContext,
    withLore = false,
    withMemory = false,
  ) => {
    const extras = withLore
      ? history.then((turns) =>
          loadLoreAndScenario({
            character,
            channelId: message.channelId,
            recent: [message.content, ...turns.map((turn) => turn.message_content).reverse()],
          }),
        )
      : Promise.resolve(NO_LORE_OR_SCENARIO);
    const [turns, context, prompt, qcPolicy, extrasRead, memory] = await Promise.all([
      history,
      retrieve(message.content).catch((err: unknown): RagSnippet[] => {
        log.warn('no wiki context for this reply: retrieval failed', { error: rootCause(err) });
        return [];
      }),
      choosePromptVersion({ character, sessionId: sessionIdFor(message.channelId) }),
      loadQcPolicy(),
      extras,
      withMemory
        ? loadSessionMemory({ channelId: message.channelId, userId: message.authorId })
        : Promise.resolve(NO_MEMORY),
    ]);
    return { history: turns, context, prompt, qcPolicy, extras: { ...extrasRead, memory } };
  };
  // The order the activities are called in is part of the history: each branch keeps its own.
  if (!patched(GATHER_IN_ONE_TASK_PATCH)) {
    return gatherWith(loadHistory(await storeUserTurn()), retrieveContext);
  }
  const withLore = patched(LORE_AND_SCENARIO_PATCH);
  const withMemory = patched(SESSION_MEMORY_PATCH);
  return gatherWith(storeUserTurn().then(loadHistory), retrieveContextLocally, withLore, withMemory);
}

/**
 * The parts a live reply had posted when its last attempt failed: its failure's details, or its last
 * heartbeat when it timed out (a dead worker). None known otherwise: the fallback's first part then finds
 * the live reply's by its nonce.
 */
function postedBeforeFailure(err: unknown): string[] {
  const cause = err instanceof ActivityFailure ? err.cause : undefined;
  const posted: unknown =
    cause instanceof TimeoutFailure
      ? cause.lastHeartbeatDetails
      : cause instanceof ApplicationFailure
        ? cause.details?.[0]
        : undefined;
  return Array.isArray(posted) ? posted.map(String) : [];
}
