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
}

/** Discord I/O: posts a reply as the character's bot, exactly once; reads channel activity. */
export function createDeliveryActivities(deps: { store: Store; discord: DiscordPoster }) {
  const { conversationHistory } = deps.store;
  return {
    /**
     * When the channel last saw any message, humans talking among themselves included
     * (those are not in conversation_history: only turns addressed to a character are).
     */
    async lastChannelMessageAt(channelId: string): Promise<string | null> {
      return (await deps.discord.lastMessageAt(channelId))?.toISOString() ?? null;
    },

    /**
     * Posts the reply in parts of at most 2000 characters. Exactly-once across retries: a
     * retry skips the parts already recorded on the turn, and each part carries a nonce
     * derived from (response, part) that Discord enforces, covering a crash between posting
     * a part and recording it. A first attempt has posted nothing (a replayed dead letter runs
     * under a new response id), so only retries read the turn: that read grows with
     * conversation_history on FerretDB. (A Temporal UI reset runs it as a first attempt
     * again: the nonces make Discord answer with the parts it has.)
     */
    async deliverReply(input: DeliveryInput): Promise<string[]> {
      const parts = splitMessage(input.text);
      const delivered =
        Context.current().info.attempt === 1
          ? []
          : [
              ...((await conversationHistory.findByResponseId(input.responseId))?.delivered_message_ids ??
                []),
            ];
      try {
        for (let index = delivered.length; index < parts.length; index++) {
          const { id } = await deps.discord.postMessage(input.character, input.channelId, {
            content: parts[index] as string,
            replyTo: index === 0 ? (input.replyTo ?? undefined) : undefined,
            idempotencyKey: `${input.responseId}:${index}`,
          });
          delivered.push(id);
          await conversationHistory.recordDelivery(input.responseId, delivered);
          Context.current().heartbeat(delivered.length);
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
