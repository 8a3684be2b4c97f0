/** The organic family's contract: the per-channel silence check (a Schedule's action) and the conversation it starts. */
import type { FollowUpPolicy } from './followUp';

/**
 * When a monitored channel counts as silent enough for a character to start talking.
 * Seconds rather than minutes so tests can use small values; the schedule's action
 * carries these as its argument, so an admin changes them by updating the schedule.
 */
export interface OrganicThresholds {
  /** No turn in the channel for at least this long. */
  silenceSeconds: number;
  /** At least this long since the channel's last organic start. */
  cooldownSeconds: number;
  /** Optional UTC hours without organic starts, [startHour, endHour), wrapping midnight. */
  quietHoursUtc: { startHour: number; endHour: number } | null;
}

export interface SilenceCheckInput extends OrganicThresholds {
  channelId: string;
  /** How other characters may answer the starter (absent: they do not). */
  followUps?: FollowUpPolicy;
}

export type SilenceCheckOutcome =
  | { started: true; organicWorkflowId: string; result: OrganicConversationResult }
  | { started: false; reason: 'quiet-hours' | 'recent-activity' | 'cooldown' | 'already-started' };

/** What conversation_history says about a channel, for the silence check. */
export interface ChannelActivity {
  /** ISO-8601 of the channel's newest turn, or null for a channel nobody spoke in yet. */
  lastTurnAt: string | null;
  lastOrganicStartAt: string | null;
  /** bot_name of the last organic start. */
  lastInitiator: string | null;
}

export interface OrganicConversationInput {
  channelId: string;
  followUps?: FollowUpPolicy;
  /** Who started the previous organic conversation; the fallback choice avoids them. */
  lastInitiator: string | null;
}

export interface OrganicConversationResult {
  /** Null when even choosing failed (the LLM is unreachable): nothing was posted. */
  initiator: string | null;
  /** False when the model's choice was not a roster name and the fallback picked. */
  initiatorChosenByLlm: boolean;
  /** Null when generation failed for good (dead-lettered): nothing was posted. */
  text: string | null;
  deliveredMessageIds: string[];
}

export const SILENCE_CHECK_WORKFLOW_TYPE = 'SilenceCheckWorkflow';

/** One schedule per monitored channel; its fixed id is what makes creating it idempotent. */
export function organicScheduleId(channelId: string): string {
  return `organic-silence-check-${channelId}`;
}

/**
 * One organic conversation per channel and time bucket (a cooldown long): two checks
 * that both find the channel due start the same workflow id, which Temporal starts once.
 */
export function organicConversationWorkflowId(
  channelId: string,
  nowMs: number,
  cooldownSeconds: number,
): string {
  const bucketMs = Math.max(1, cooldownSeconds) * 1000;
  return `organic-${channelId}-${Math.floor(nowMs / bucketMs) * bucketMs}`;
}
