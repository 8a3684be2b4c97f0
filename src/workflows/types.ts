/**
 * Types shared by workflows, activities, the bots and the admin API. Plain data only:
 * this file is loaded inside the workflow sandbox.
 */

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
}

export interface ReplyResult {
  /** conversation_history.response_id of the bot turn (= the workflow id). */
  responseId: string;
  text: string;
  /** Discord ids of the posted parts; empty if delivery failed and was dead-lettered. */
  deliveredMessageIds: string[];
  usedFallback: boolean;
  deadLetterIds: string[];
}

/** Where a turn landed in conversation_history. */
export interface TurnRef {
  session_id: string;
  turn_id: number;
}

export interface CharacterPromptChoice {
  prompt_version: string;
  prompt_text: string;
  fallback_line: string;
}

export interface GeneratedReply {
  /** Exactly what Ollama returned. */
  raw: string;
  /** After cleaning (labels, quotes, other speakers' lines removed). */
  final: string;
}

export const REPLY_WORKFLOW_TYPE = 'ReplyWorkflow';

/**
 * One workflow per (Discord message, character): a gateway redelivery of the same
 * message maps to the same id, and Temporal refuses to start it twice.
 */
export function replyWorkflowId(messageId: string, character: string): string {
  return `reply-${messageId}-${character.toLowerCase()}`;
}

/** A conversation session is a Discord channel (or DM channel). */
export function sessionIdFor(channelId: string): string {
  return `discord:${channelId}`;
}

/** LLM activities run on their own queue so a worker can bound their concurrency. */
export function llmTaskQueueFor(taskQueue: string): string {
  return `${taskQueue}-llm`;
}
