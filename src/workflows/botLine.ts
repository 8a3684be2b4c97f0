import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import { snowflakeTime } from '../discord/snowflake';
import type { Activities } from '../activities';
import type { BotTurnInput } from '../activities/conversation';
import type { FollowUpPolicy } from './contracts/followUp';
import { startFollowUp } from './followUp';
import { DELIVERY_MAX_ATTEMPTS, DELIVERY_OPTIONS, STORE_OPTIONS } from './retryPolicies';

const { persistBotTurn } = proxyLocalActivities<Activities>(STORE_OPTIONS);
const { deliverReply } = proxyActivities<Activities>(DELIVERY_OPTIONS);

export interface BotLine {
  /** The bot turn to store; its final text is what is posted. */
  turn: BotTurnInput;
  /** False: stored only (POST /orchestrate answers over HTTP). */
  deliver: boolean;
  /**
   * Lets another character answer once the line is posted; absent: nobody does. anchorAt is when
   * the chain began; null: the posted line itself begins it (an organic start).
   */
  followUp?: { policy: FollowUpPolicy; length: number; anchorAt: string | null };
  /** Dead-letters a step whose retries are exhausted (the workflow's own, with its input as payload). */
  deadLetter: (step: string, error: unknown, maxAttempts: number) => Promise<unknown>;
}

/**
 * How every character's line ends, a reply or an organic start: stored as a bot turn, posted,
 * a post Discord refuses for good dead-lettered (the stored turn stays), and the follow-up
 * chain started from the posted line. Returns the Discord ids of the posted parts.
 */
export async function storeAndPostLine(line: BotLine): Promise<string[]> {
  const { turn } = line;
  const turnRef = await persistBotTurn(turn);
  if (!line.deliver) return [];
  let deliveredMessageIds: string[] = [];
  try {
    deliveredMessageIds = await deliverReply({
      responseId: turn.responseId,
      character: turn.character,
      channelId: turn.channelId,
      replyTo: turn.replyToMessageId,
      text: turn.llmResponseFinal,
    });
  } catch (err) {
    await line.deadLetter('deliverReply', err, DELIVERY_MAX_ATTEMPTS);
  }
  const lastMessageId = deliveredMessageIds.at(-1);
  if (line.followUp && lastMessageId) {
    await startFollowUp({
      channelId: turn.channelId,
      policy: line.followUp.policy,
      speaker: turn.character,
      text: turn.llmResponseFinal,
      lastMessageId,
      turn: turnRef,
      length: line.followUp.length,
      anchorAt: line.followUp.anchorAt ?? new Date(snowflakeTime(lastMessageId)).toISOString(),
    });
  }
  return deliveredMessageIds;
}
