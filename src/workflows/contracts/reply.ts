/**
 * The reply family's contract: what the bots (and POST /orchestrate, follow-ups, replays) hand
 * ReplyWorkflow, what it answers, and its ids. Plain data and pure functions: loaded inside the
 * workflow sandbox as well as by clients.
 *
 * Payloads between workflows, activities and clients are camelCase. A payload field that carries
 * part of a stored document keeps the document's snake_case names and is typed as a Pick of it
 * (TurnRef, PromptChoice): the seed's names belong to the store's documents.
 */
import type { QcTurnResult, RagSnippet, TurnRef } from '../../store/conversationHistory';
import type { ReplyPrompt } from '../../llm/prompt';
import type { FollowUpPolicy } from './followUp';

export const REPLY_WORKFLOW_TYPE = 'ReplyWorkflow';

/**
 * One workflow per (Discord message, character): a gateway redelivery of the same
 * message maps to the same id, and Temporal refuses to start it twice.
 */
export function replyWorkflowId(messageId: string, character: string): string {
  return `reply-${messageId}-${character.toLowerCase()}`;
}

/** A Discord message as the bots hand it to a workflow. */
export interface IncomingMessage {
  messageId: string;
  channelId: string;
  guildId: string | null;
  authorId: string;
  authorName: string;
  content: string;
  /** ISO-8601, when Discord created it. */
  createdAt: string;
}

export interface ReplyInput {
  /** Roster name of the character answering, e.g. "Stewie". */
  character: string;
  message: IncomingMessage;
  /** How characters may answer each other afterwards; absent: they do not. */
  followUps?: FollowUpPolicy;
  /** Set when this reply answers another character's line (a follow-up). */
  chain?: ChainPosition;
  /** False for POST /orchestrate: the reply is stored and returned, not posted to Discord. */
  deliver?: boolean;
}

/** Where a follow-up reply stands in its chain. */
export interface ChainPosition {
  /** Bot lines in the chain before this one. */
  length: number;
  /** ISO time of the human message (or organic start) the chain began with. */
  anchorAt: string;
  /** The turn of the line being answered (it is already in conversation_history). */
  answeredTurn: TurnRef;
}

export interface ReplyResult {
  /** conversation_history.response_id of the bot turn (= the workflow id). */
  responseId: string;
  character: string;
  text: string;
  promptVersion: string;
  /** The QC pass of the reply that was sent; null when QC is off or generation failed. */
  qc: QcTurnResult | null;
  /** Discord ids of the posted parts; empty if delivery failed and was dead-lettered. */
  deliveredMessageIds: string[];
  usedFallback: boolean;
  deadLetterIds: string[];
  /**
   * The wiki snippets the reply was written with (none for the fallback line) and its session, for callers
   * that show a reply without reading conversation_history (the dashboard's playground: on FerretDB a
   * turn's lookup scans the collection). Absent in results of runs from before they were added.
   */
  contextUsed?: RagSnippet[];
  sessionId?: string;
}

/** What a channel adds to a reply's prompt: its scenario and the lore whose keys the conversation names. */
export interface LoreAndScenario {
  scenario: string | null;
  /** Lorebook entries (RagSnippets with origin 'lorebook'), in prompt order. */
  lore: RagSnippet[];
  /**
   * The reply may be posted live (the channel's live_replies, else LIVE_REPLIES; characters with a bot of
   * their own only); it is, when QC is off. Read with the channel's scenario: one read of its settings.
   * Absent in results from before live replies: not live.
   */
  liveReplies?: boolean;
}

/** What the generateLiveReply activity is asked: the reply's prompt and where it is shown. */
export interface LiveReplyInput {
  prompt: ReplyPrompt;
  /** The reply's response id; its parts' posts are keyed by it. */
  responseId: string;
  channelId: string;
  /** The message answered (the first part is a Discord reply to it). */
  replyTo: string | null;
}

/** A live reply as it ended: the text (as generateReply's) and the Discord ids of the parts showing it. */
export interface LiveReply {
  reply: GeneratedReply;
  postedIds: string[];
}

/** What the generateReply activity (and each QC candidate) produced. */
export interface GeneratedReply {
  /** Exactly what Ollama returned. */
  raw: string;
  /** After cleaning (labels, quotes, other speakers' lines removed) and trimming. */
  final: string;
  /** Length before it was trimmed to QC_MAX_REPLY_CHARS; absent when it was not. */
  trimmedFrom?: number;
}
