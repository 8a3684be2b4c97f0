import { patched, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import { snowflakeTime } from '../discord/snowflake';
import type { Activities } from '../activities';
import type { BotTurnInput } from '../activities/conversation';
import type { TurnRef } from '../store/conversationHistory';
import type { FollowUpPolicy } from './contracts/followUp';
import { startFollowUp } from './followUp';
import { DELIVERY_MAX_ATTEMPTS, DELIVERY_OPTIONS, STORE_OPTIONS } from './retryPolicies';

const { persistBotTurn, noteSessionTurn } = proxyLocalActivities<Activities>(STORE_OPTIONS);
const { deliverReply, reviseReply } = proxyActivities<Activities>(DELIVERY_OPTIONS);

export interface BotLine {
  /** The bot turn to store; its final text is what is posted. */
  turn: BotTurnInput;
  /** False: stored only (POST /orchestrate answers over HTTP). */
  deliver: boolean;
  /** The Discord ids of the parts already showing the line (a live reply): stored with it, not posted again. */
  shownIn?: string[];
  /**
   * Set when a live reply failed for good part-way (the line is then the fallback): the ids of the parts
   * it is known to have posted. The line is shown by revising them rather than posted anew: a first part
   * posted but not known meets its nonce (the live reply's keys are the response's) and is edited.
   */
  replacesLive?: string[];
  /**
   * Lets another character answer once the line is posted; absent: nobody does. anchorAt is when
   * the chain began; null: the posted line itself begins it (an organic start).
   */
  followUp?: { policy: FollowUpPolicy; length: number; anchorAt: string | null };
  /** Dead-letters a step whose retries are exhausted (the workflow's own, with its input as payload). */
  deadLetter: (step: string, error: unknown, maxAttempts: number) => Promise<unknown>;
}

/**
 * Runs started before this store the turn first and record each posted part on it; since, the
 * turn is stored once, after posting, with the posted ids (FerretDB runs every update as a scan
 * of conversation_history, so the record is written once instead of updated per part).
 */
const STORE_AFTER_POST_PATCH = 'bot-line-stored-after-post';

/**
 * Runs started before session memory stored their turns without telling the session's memory workflow.
 * Since, each stored line tells it (the user turn it answers is stored before it, so one signal per line
 * covers both).
 */
const SESSION_MEMORY_PATCH = 'bot-line-notes-session-memory';

/**
 * How every character's line ends, a reply or an organic start: posted (unless a live reply shows it
 * already), a post Discord refuses for good dead-lettered, stored as a bot turn with the ids of the
 * posted parts (none when the post was refused: the line is kept), and the follow-up chain started from
 * the posted line. Returns the Discord ids of the posted parts.
 */
export async function postAndStoreLine(line: BotLine): Promise<string[]> {
  if (!patched(STORE_AFTER_POST_PATCH)) return storeThenPostLine(line);
  const deliveredMessageIds = line.shownIn ?? (line.deliver ? await post(line, false) : []);
  const turnRef = await persistBotTurn({ ...line.turn, deliveredMessageIds });
  await followUp(line, turnRef, deliveredMessageIds);
  if (patched(SESSION_MEMORY_PATCH)) {
    await noteSessionTurn({ channelId: line.turn.channelId, turnId: turnRef.turn_id });
  }
  return deliveredMessageIds;
}

/** The order of runs from before STORE_AFTER_POST_PATCH: store, then post recording each part. */
async function storeThenPostLine(line: BotLine): Promise<string[]> {
  const turnRef = await persistBotTurn(line.turn);
  if (!line.deliver) return [];
  const deliveredMessageIds = await post(line, true);
  await followUp(line, turnRef, deliveredMessageIds);
  return deliveredMessageIds;
}

/** Posts the line; a post Discord refuses for good is dead-lettered and posts nothing. */
async function post({ turn, deadLetter, replacesLive }: BotLine, recordOnTurn: boolean): Promise<string[]> {
  if (replacesLive) {
    try {
      return await reviseReply({
        revisionId: turn.responseId,
        character: turn.character,
        channelId: turn.channelId,
        posted: replacesLive,
        text: turn.llmResponseFinal,
        replyTo: turn.replyToMessageId,
      });
    } catch (err) {
      await deadLetter('reviseReply', err, DELIVERY_MAX_ATTEMPTS);
      return [];
    }
  }
  try {
    return await deliverReply({
      responseId: turn.responseId,
      character: turn.character,
      channelId: turn.channelId,
      replyTo: turn.replyToMessageId,
      text: turn.llmResponseFinal,
      // Absent in the old order: the activity's default then records on the turn, as it did.
      ...(recordOnTurn ? {} : { recordOnTurn }),
    });
  } catch (err) {
    await deadLetter('deliverReply', err, DELIVERY_MAX_ATTEMPTS);
    return [];
  }
}

async function followUp(line: BotLine, turnRef: TurnRef, deliveredMessageIds: string[]): Promise<void> {
  const lastMessageId = deliveredMessageIds.at(-1);
  if (!line.followUp || !lastMessageId) return;
  const { turn } = line;
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
