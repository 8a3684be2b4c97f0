import { ApplicationFailure, Context } from '@temporalio/activity';
import { isPermanentDiscordError, type DiscordPoster } from '../discord/rest';
import { splitMessage } from '../discord/split';
import type { Store } from '../store/mongo';

export interface DeliveryInput {
  responseId: string;
  character: string;
  channelId: string;
  /** The user's message, answered as a Discord reply by the first part. */
  replyTo: string | null;
  text: string;
  /**
   * False: the turn is stored after posting (with the posted ids), so nothing is recorded on it
   * here and a retry resumes from the heartbeat. Absent (runs from before): recorded on the turn.
   */
  recordOnTurn?: boolean;
}

/**
 * How much earlier than the activity's first scheduling a retry looks for a post of its own: Discord's
 * clock and the worker's may disagree by this much.
 */
export const CLOCK_SKEW_MARGIN_MS = 60_000;

/** Discord I/O: posts a reply as the character (its bot, or a webhook), exactly once; reads channel activity. */
export function createDeliveryActivities(deps: { store: Store; discord: DiscordPoster }) {
  const { conversationHistory } = deps.store;

  /** The parts a retry finds posted already (see deliverReply). */
  async function alreadyPosted(responseId: string, recordedOnTurn: boolean): Promise<string[]> {
    if (Context.current().info.attempt === 1) return [];
    if (!recordedOnTurn) return heartbeatedIds() ?? [];
    return [...((await conversationHistory.findByResponseId(responseId))?.delivered_message_ids ?? [])];
  }

  /**
   * On a retry, a part posted before (its answer lost, or the worker gone before the heartbeat) that
   * Discord cannot recognise by nonce: a webhook post of the same character with the same text since
   * this activity was first scheduled, not already counted as an earlier part.
   */
  async function postedBefore(
    input: DeliveryInput,
    content: string,
    delivered: string[],
  ): Promise<string | undefined> {
    const { attempt, scheduledTimestampMs } = Context.current().info;
    if (attempt === 1) return undefined;
    const since = new Date(scheduledTimestampMs - CLOCK_SKEW_MARGIN_MS);
    const posted = await deps.discord.recognisePosted(input.character, input.channelId, since, content);
    return posted.find((id) => !delivered.includes(id));
  }

  async function postPart(input: DeliveryInput, index: number, content: string): Promise<string> {
    const { id } = await deps.discord.postMessage(input.character, input.channelId, {
      content,
      replyTo: index === 0 ? (input.replyTo ?? undefined) : undefined,
      idempotencyKey: `${input.responseId}:${index}`,
    });
    return id;
  }

  return {
    /**
     * When the channel last saw any message, humans talking among themselves included
     * (those are not in conversation_history: only turns addressed to a character are).
     */
    async lastChannelMessageAt(channelId: string): Promise<string | null> {
      return (await deps.discord.lastMessageAt(channelId))?.toISOString() ?? null;
    },

    /**
     * Posts the reply in parts of at most 2000 characters, exactly once across retries: each part
     * carries a nonce derived from (response, part) that Discord enforces, and a retry skips the
     * parts already posted: those in the last heartbeat, or (`recordOnTurn`, runs from before the
     * turn was stored after posting) those recorded on the turn. A first attempt has posted nothing
     * (a replayed dead letter runs under a new response id); a Temporal UI reset runs it as a first
     * attempt again, and the nonces make Discord answer with the parts it has.
     * Webhook posts (characters without a bot of their own) take no nonce: a retry reads the channel
     * for each part not known to be posted (see postedBefore) and posts only those it does not find;
     * a reset's first attempt does not look (its search would begin at the reset anyway).
     */
    async deliverReply(input: DeliveryInput): Promise<string[]> {
      const parts = splitMessage(input.text);
      const recordOnTurn = input.recordOnTurn ?? true;
      const delivered = await alreadyPosted(input.responseId, recordOnTurn);
      try {
        for (let index = delivered.length; index < parts.length; index++) {
          const content = parts[index] as string;
          const id =
            (await postedBefore(input, content, delivered)) ?? (await postPart(input, index, content));
          delivered.push(id);
          if (recordOnTurn) await conversationHistory.recordDelivery(input.responseId, delivered);
          Context.current().heartbeat(delivered);
        }
      } catch (err) {
        throw asDiscordFailure(err);
      }
      return delivered;
    },
  };
}

/**
 * What a Discord step throws for an error: a refusal that retrying cannot change (bad request, no access,
 * unknown channel or message) as a non-retryable failure, so it is dead-lettered at once; anything else as
 * it is, for Temporal to retry.
 */
export function asDiscordFailure(err: unknown): unknown {
  return isPermanentDiscordError(err)
    ? ApplicationFailure.nonRetryable((err as Error).message, 'DiscordRejected')
    : err;
}

/**
 * The Discord message ids the last attempt of this activity heartbeated (what it had posted); null on a
 * first attempt, or when no heartbeat of ids arrived.
 */
export function heartbeatedIds(): string[] | null {
  const { info } = Context.current();
  const details: unknown = info.heartbeatDetails;
  return info.attempt > 1 && Array.isArray(details) ? details.map(String) : null;
}
