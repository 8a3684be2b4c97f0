/**
 * The memory family's contract: SessionMemoryWorkflow (one per conversation session, writing its rolling
 * summary) and ForgetChannelWorkflow (/forget). Plain data, ids and signal definitions: loaded inside the
 * workflow sandbox as well as by clients and activities.
 */
import { defineSignal } from '@temporalio/workflow';
import type { SummaryTurn } from '../../llm/summaryPrompt';

export const SESSION_MEMORY_WORKFLOW_TYPE = 'SessionMemoryWorkflow';

/** One memory workflow per session: every stored turn signals the same one. */
export function sessionMemoryWorkflowId(sessionId: string): string {
  return `session-memory-${sessionId}`;
}

export const FORGET_CHANNEL_WORKFLOW_TYPE = 'ForgetChannelWorkflow';

/** One /forget per Discord interaction (or admin request): a retried start is the same forget. */
export function forgetChannelWorkflowId(requestId: string): string {
  return `forget-channel-${requestId}`;
}

/** How sessions are summarised. Workflows cannot read configuration: every signal brings it. */
export interface SessionMemoryPolicy {
  /** MEMORY_SUMMARY_EVERY: a summary when this many turns have left the window since the last one. */
  every: number;
  /** HISTORY_WINDOW: the turns the LLM sees anyway, never summarised yet. */
  window: number;
  /** MEMORY_USER_NOTES: notes about users are taken while summarising. */
  userNotes: boolean;
}

/** A turn was stored in the session: its id, and the policy as the worker that stored it has it. */
export interface TurnsStored {
  newestTurnId: number;
  policy: SessionMemoryPolicy;
}

export const turnsStoredSignal = defineSignal<[TurnsStored]>('turnsStored');

export interface SessionMemoryInput extends TurnsStored {
  sessionId: string;
  channelId: string;
  /** Carried over continue-as-new; absent at a fresh start (read from conversation_summaries). */
  summarisedThrough?: number;
  /** Carried over continue-as-new: after a failed summary, the turn id to wait for before trying again. */
  retryFrom?: number;
}

/** What the next summary of a session is written from. */
export interface SummaryInput {
  /** The summary this one extends; null: the first (or the first after a forget). */
  previousSummary: string | null;
  /** The turns it adds, oldest first (the newest of them that fit, when there are very many). */
  turns: SummaryTurn[];
  coversFromTurnId: number;
  throughTurnId: number;
  /** Whose turns the previous summary was written from. */
  sourceUserIds: string[];
}

export interface ForgetChannelInput {
  channelId: string;
  /** `discord:<user id>` or `admin`. */
  requestedBy: string;
}

export interface ForgetChannelResult {
  sessionId: string;
  /** The turns up to this id are forgotten (0: the channel had none). */
  forgottenThroughTurnId: number;
}
