/**
 * The coordinator's contract: who answers a message that names no character, in a channel set to
 * `coordinator` (channel_settings.unnamed_messages, else UNNAMED_MESSAGES). Every bot that sees such
 * a message starts CoordinateWorkflow under the message's own id, so Temporal runs it once; it starts
 * at most one ReplyWorkflow, under the id a named reply of that character would have had.
 */
import type { FollowUpPolicy } from './followUp';
import type { IncomingMessage } from './reply';

export const COORDINATE_WORKFLOW_TYPE = 'CoordinateWorkflow';

export function coordinateWorkflowId(messageId: string): string {
  return `coordinate-${messageId}`;
}

/** What the bots hand the coordinator for a channel (workflows cannot read configuration). */
export interface CoordinatorPolicy {
  /** Who may answer: the channel's cast, characters with a voice in Discord only. */
  characters: Array<{ name: string; talkativeness: number }>;
  /** The characters are part of the conversation while one of them spoke within this long before the message. */
  activeWindowMs: number;
  /**
   * Outside a conversation: the chance a character joins anyway, right after a human turn (0: never).
   * It halves every `joinHalfLifeMs` since the channel's last human turn (see joinChance).
   */
  joinChance: number;
  joinHalfLifeMs: number;
  /** Most unnamed messages answered in the channel in the last hour. */
  maxPerHour: number;
  /** Most unnamed messages answered in a row, since the last message a human addressed to a character. */
  maxInARow: number;
}

export interface CoordinateInput {
  message: IncomingMessage;
  policy: CoordinatorPolicy;
  /** How other characters may answer the reply afterwards (absent: they do not). */
  followUps?: FollowUpPolicy;
}

/** What the channel's session says about the conversation when an unnamed message arrives. */
export interface UnnamedContext {
  /** The character who spoke last in the channel, and when (ISO); null: none in the recent turns. */
  lastSpeaker: string | null;
  lastSpeakerAt: string | null;
  /** The newest human turn stored before the message (ISO); null: none in the recent turns. */
  lastHumanAt: string | null;
  /** Unnamed messages the coordinator answered in the channel in the hour before the message. */
  answeredLastHour: number;
  /** The newest human turns that were unnamed messages the coordinator answered, counted back to a named one. */
  answeredInARow: number;
}

export type CoordinateOutcome =
  | {
      answeredBy: string;
      /** False when the model's choice was unusable and talkativeness picked. */
      chosenByLlm: boolean;
      /** 'conversation': the characters were part of it; 'joined': the join chance came up. */
      why: 'conversation' | 'joined';
      replyWorkflowId: string;
    }
  | {
      answeredBy: null;
      reason: 'no-cast' | 'not-in-conversation' | 'hourly-cap' | 'in-a-row-cap' | 'already-answered';
    };

/**
 * The chance a character joins a conversation it is not part of: `joinChance` right after a human
 * turn, halving every `joinHalfLifeMs` of the channel's silence since (a lively channel gets company,
 * a message after hours of quiet hardly ever); 0 when the channel has no human turn on record.
 */
export function joinChance(
  policy: Pick<CoordinatorPolicy, 'joinChance' | 'joinHalfLifeMs'>,
  lastHumanAt: string | null,
  nowMs: number,
): number {
  if (policy.joinChance <= 0 || lastHumanAt === null) return 0;
  const silentMs = Math.max(0, nowMs - Date.parse(lastHumanAt));
  return policy.joinChance * 0.5 ** (silentMs / policy.joinHalfLifeMs);
}
