import type { DiscordPoster } from './rest';
import { snowflakeTime } from './snowflake';
import { splitMessage } from './split';

export interface RevisePartsInput {
  character: string;
  channelId: string;
  /** The messages showing the reply now, in order (a retry: the ids its last progress reported). */
  posted: string[];
  /** The text they are to show; split into parts of at most 2000 characters. */
  text: string;
  /** The message the reply answers: the first part, if it has to be posted, replies to it. */
  replyTo: string | null;
  /** A part posted here carries the idempotency key `${idempotencyPrefix}:${index}`. */
  idempotencyPrefix: string;
  /**
   * The text `posted` shows now, when the caller knows it (a live reply's previous revision): a part
   * that already shows its new text is not edited again. Unknown (a retry): every part is edited.
   */
  shown?: string;
}

/**
 * Makes the reply's messages show `text`, the one mechanism for regenerations and live replies: part i
 * is edited into posted[i], parts beyond the posted ones are posted, posted messages beyond the parts
 * are deleted (the last first, so the messages left are always the reply's first parts). Returns the ids
 * now showing the text, in order; `onProgress` gets them after each change (heartbeat them: a retry
 * passes them as `posted`).
 *
 * Exactly once across retries: edits and deletions repeat harmlessly (a message already gone counts as
 * deleted). A post whose answer was lost is not posted twice: a bot's post carries a nonce derived from
 * its key, and Discord answers the reused nonce with the earlier message, which is edited if it shows
 * other text (an earlier attempt's); a webhook post (no nonce) is looked for among the character's posts
 * since the reply's first message, and only posted when none of them, not already a part, shows
 * exactly that text. With nothing posted yet there is no first message to search from: a caller whose
 * first post may have been lost in webhook mode recognises it itself (see deliverReply).
 */
export async function reviseParts(
  discord: DiscordPoster,
  input: RevisePartsInput,
  onProgress?: (ids: string[]) => void,
): Promise<string[]> {
  const { character, channelId } = input;
  const parts = splitMessage(input.text);
  if (parts.length === 0) throw new Error('reviseParts: the text is empty; Discord shows no empty message');
  const shown = input.shown === undefined ? [] : splitMessage(input.shown);
  const ids = [...input.posted];
  const report = () => onProgress?.([...ids]);
  for (const [index, content] of parts.entries()) {
    const id = ids[index];
    if (id !== undefined) {
      if (shown[index] === content) continue;
      await discord.editMessage(character, channelId, id, content);
      report();
      continue;
    }
    const found = await postedBefore(discord, input, ids, content);
    if (found !== undefined) {
      ids.push(found);
    } else {
      const posted = await discord.postMessage(character, channelId, {
        content,
        replyTo: index === 0 ? (input.replyTo ?? undefined) : undefined,
        idempotencyKey: `${input.idempotencyPrefix}:${index}`,
      });
      if (posted.content !== content) await discord.editMessage(character, channelId, posted.id, content);
      ids.push(posted.id);
    }
    report();
  }
  while (ids.length > parts.length) {
    await discord.deleteMessage(character, channelId, ids.at(-1) as string);
    ids.pop();
    report();
  }
  return ids;
}

/**
 * A webhook post of the character showing `content` since the reply's first message, not already one of
 * its parts: a post of an earlier attempt whose answer was lost. Always none for a character with its
 * own bot (its nonces cover this), and with nothing posted yet.
 */
async function postedBefore(
  discord: DiscordPoster,
  input: RevisePartsInput,
  ids: string[],
  content: string,
): Promise<string | undefined> {
  const [first] = ids;
  if (first === undefined) return undefined;
  const since = new Date(snowflakeTime(first));
  const posted = await discord.recognisePosted(input.character, input.channelId, since, content);
  return posted.find((id) => !ids.includes(id));
}
