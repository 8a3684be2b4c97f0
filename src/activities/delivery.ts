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

/** Discord I/O: posts a reply as the character's bot, exactly once; reads channel activity. */
export function createDeliveryActivities(deps: { store: Store; discord: DiscordPoster }) {
  const { conversationHistory } = deps.store;

  /** The parts a retry finds posted already (see deliverReply). */
  async function alreadyPosted(responseId: string, recordedOnTurn: boolean): Promise<string[]> {
    const { info } = Context.current();
    if (info.attempt === 1) return [];
    const heartbeat: unknown = info.heartbeatDetails;
    if (!recordedOnTurn) return Array.isArray(heartbeat) ? heartbeat.map(String) : [];
    return [...((await conversationHistory.findByResponseId(responseId))?.delivered_message_ids ?? [])];
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
     */
    async deliverReply(input: DeliveryInput): Promise<string[]> {
      const parts = splitMessage(input.text);
      const recordOnTurn = input.recordOnTurn ?? true;
      const delivered = await alreadyPosted(input.responseId, recordOnTurn);
      try {
        for (let index = delivered.length; index < parts.length; index++) {
          const { id } = await deps.discord.postMessage(input.character, input.channelId, {
            content: parts[index] as string,
            replyTo: index === 0 ? (input.replyTo ?? undefined) : undefined,
            idempotencyKey: `${input.responseId}:${index}`,
          });
          delivered.push(id);
          if (recordOnTurn) await conversationHistory.recordDelivery(input.responseId, delivered);
          Context.current().heartbeat(delivered);
        }
      } catch (err) {
        if (isPermanentDiscordError(err)) {
          throw ApplicationFailure.nonRetryable((err as Error).message, 'DiscordRejected');
        }
        throw err;
      }
      return delivered;
    },
  };
}
