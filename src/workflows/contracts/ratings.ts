/** The ratings family's contract: a reaction or /rate becomes one UserRatingWorkflow, whose result is the outcome. */

/** A user's rating of a character's reply: a reaction added or removed, or /rate. */
export interface UserRatingInput {
  /** set: a rating reaction or /rate; remove: a rating reaction taken back. */
  action: 'set' | 'remove';
  /** 1-5 (for a removal: what the reaction meant). */
  score: number;
  /** `reaction:<emoji>` or `command`: a removal only removes the rating its reaction gave. */
  source: string;
  /** Discord id of the user rating. */
  userId: string;
  channelId: string;
  /** The rated Discord message (any part of a reply); null: `character`'s newest reply in the channel. */
  messageId: string | null;
  /**
   * The rated reply's response id, for a reply with no Discord message (a playground reply, rated from
   * the dashboard): wins over `messageId`. Absent in ratings from Discord (and from before it existed).
   */
  responseId?: string;
  /** The character whose bot received the event. */
  character: string;
  feedbackText: string;
  /** Epoch ms when the bot received the event: of two events about one reply by one user, the later wins. */
  eventAt: number;
}

/** The reply a rating is about, from its bot turn in conversation_history. */
export interface RatedReply {
  responseId: string;
  character: string;
  promptVersion: string;
  text: string;
  /** The character's fallback line (the LLM failed): nothing the prompt wrote, so not rated. */
  usedFallback: boolean;
}

export type UserRatingOutcome =
  | {
      /**
       * recorded: a first rating; updated: the user's rating changed; superseded: a later
       * event of this user already rated it; removed / unchanged: a reaction taken back
       * did / did not remove the rating (it was not the one it gave).
       */
      status: 'recorded' | 'updated' | 'superseded' | 'removed' | 'unchanged';
      ratingId: string;
      responseId: string;
      character: string;
      score: number;
    }
  /** not-a-reply: the message is no character's reply; no-reply: the character has none in the channel. */
  | { status: 'not-a-reply' | 'no-reply'; character: string }
  | { status: 'fallback'; character: string; responseId: string };

export const USER_RATING_WORKFLOW_TYPE = 'UserRatingWorkflow';

/** Reactions have no id of their own: the reacted message, the user and the bot's receive time. */
export function reactionRatingWorkflowId(messageId: string, userId: string, eventAt: number): string {
  return `rating-${messageId}-${userId}-${eventAt}`;
}

/** A redelivered interaction maps to the same id, which Temporal starts once. */
export function commandRatingWorkflowId(interactionId: string): string {
  return `rating-command-${interactionId}`;
}

/** A rating from the playground: the reply and when the admin clicked. */
export function playgroundRatingWorkflowId(responseId: string, eventAt: number): string {
  return `rating-web-${responseId}-${eventAt}`;
}
