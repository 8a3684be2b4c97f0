/** The follow-up family's contract: bounded bot-to-bot conversation after a character's line. */
import type { TurnRef } from '../../store/conversationHistory';

export function followUpWorkflowId(lastMessageId: string): string {
  return `follow-up-${lastMessageId}`;
}

/**
 * Bounded bot-to-bot conversation. Workflows cannot read configuration, so the bots
 * (and the organic schedule) hand it over in the workflow input.
 */
export interface FollowUpPolicy {
  /** Most bot lines after the last human message (the first reply included); 0: none. */
  maxChain: number;
  /** Pause before a character answers another, like a person typing. */
  delayMs: number;
  /** No bot chatter once no human has spoken for this long. */
  idleMs: number;
  /** Who may answer: name, lower-case aliases, and the chance to chime in unprompted. */
  characters: Array<{ name: string; aliases: string[]; talkativeness: number }>;
}

export interface FollowUpInput {
  channelId: string;
  policy: FollowUpPolicy;
  /** The line just posted. */
  speaker: string;
  text: string;
  /** Its last Discord message id (anything newer means someone else spoke). */
  lastMessageId: string;
  turn: TurnRef;
  /** Bot lines in the chain so far, this one included. */
  length: number;
  anchorAt: string;
}

export type FollowUpOutcome =
  | { answeredBy: string; workflowId: string }
  | { answeredBy: null; reason: 'cap' | 'idle' | 'nobody' | 'interrupted' };
