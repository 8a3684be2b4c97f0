/**
 * The regenerate family's contract: the person a character answered asks for another reply (🔄 on it,
 * or /regenerate), and RegenerateWorkflow writes a new candidate that replaces the posted message(s).
 */

import type { QcTurnResult, RagSnippet, TurnRef } from '../../store/conversationHistory';

export const REGENERATE_WORKFLOW_TYPE = 'RegenerateWorkflow';

/**
 * The regeneration of one reply, by the Discord id of its first part (a child of the request's run):
 * Temporal runs one workflow per id at a time, so requests for the same reply while it runs (a 🔄 and a
 * /regenerate, 🔄 on two of its parts) are one regeneration. Once it has finished, a new request
 * regenerates again (up to the limit).
 */
export function regenerateWorkflowId(firstMessageId: string): string {
  return `regenerate-${firstMessageId}`;
}

/**
 * A 🔄 of one user on one message: while it runs, the same reaction again (a double click, taken away
 * and added again, a redelivery) is this run; once it has finished, a new 🔄 regenerates again. Someone
 * else's 🔄 has a run of its own, which cannot hold up the asker's.
 */
export function reactionRegenerateWorkflowId(messageId: string, userId: string): string {
  return `regenerate-reaction-${messageId}-${userId}`;
}

/** /regenerate: a redelivered interaction maps to the same id, which Temporal starts once. */
export function commandRegenerateWorkflowId(interactionId: string): string {
  return `regenerate-command-${interactionId}`;
}

export interface RegenerateInput {
  /** Discord id of the user asking: only the person the reply answered may regenerate it. */
  userId: string;
  /** Their name, for the prompt's `{{user}}` (it is the answered user's: turns do not keep names). */
  userName: string;
  channelId: string;
  /**
   * Any part of the reply (a 🔄 reaction's message, /regenerate's `message:`); null: the newest reply to
   * the user in the channel by one of `characters`.
   */
  messageId: string | null;
  /** Whose replies the bot that received the request may regenerate: its character, or the cast's. */
  characters: string[];
  /** `reaction` or `command`, for the logs and the candidate's record. */
  source: 'reaction' | 'command';
}

/** A regeneration's outcome, which /regenerate answers with. */
export type RegenerateOutcome =
  | {
      status: 'regenerated';
      character: string;
      responseId: string;
      /** Regenerations of this reply so far, this one included, and how many the limit allows. */
      regenerations: number;
      limit: number;
    }
  /** not-yours: the reply answered someone else (or no one: a follow-up to a character's line). */
  | { status: 'not-yours'; character: string }
  | { status: 'limit-reached'; character: string; limit: number }
  /** not-regenerable: an organic starter or a fallback line (the model was unreachable). */
  | { status: 'not-regenerable'; character: string; why: 'organic' | 'fallback' }
  /** nothing: the message is no character's reply, or (no message named) there is no reply to the user here. */
  | { status: 'nothing'; named: boolean }
  /** busy: this reply is being regenerated already (that run is the one that counts). */
  | { status: 'busy'; character: string }
  /** failed: no new candidate could be written (the model failed); the reply stays as it was. */
  | { status: 'failed'; character: string };

/** What a reply is written again from: its bot turn and the turn it answered, as stored. */
export interface RegenerationTarget {
  responseId: string;
  character: string;
  channelId: string;
  /** The Discord ids of the parts showing the reply now, in order. */
  postedMessageIds: string[];
  /** The user's message the reply answers (the first part is a Discord reply to it). */
  replyToMessageId: string;
  /** The user turn answered: the history is what came before it. */
  answeredTurn: TurnRef;
  userMessage: string;
  /** The answered user's name then, when the turn kept it. */
  userName: string | null;
  /** The prompt version the reply was written with, and its text (the default's if it was deleted). */
  promptVersion: string;
  promptText: string;
  /** The channel's scenario now. */
  scenario: string | null;
  /** What the reply was written with: lore and wiki snippets, as recorded on the turn. */
  ragContextUsed: RagSnippet[];
  /** Every candidate so far, oldest first; the last is the one standing. */
  candidateTexts: string[];
  /** REGENERATE_MAX_PER_REPLY. */
  limit: number;
}

/** The lookup's answer: the reply to regenerate, or why there is none. */
export type RegenerationLookup =
  | { status: 'found'; target: RegenerationTarget }
  | Extract<RegenerateOutcome, { status: 'not-yours' | 'limit-reached' | 'not-regenerable' | 'nothing' }>;

/** The new candidate, recorded on the turn once it shows in Discord. */
export interface RegenerationRecord {
  responseId: string;
  character: string;
  /** The new candidate's index (the number of candidates before it). */
  index: number;
  text: string;
  raw: string;
  promptVersion: string;
  requestedBy: string;
  qc: QcTurnResult | null;
  /** The parts showing it now. */
  postedMessageIds: string[];
}
