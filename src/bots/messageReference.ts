/** The message a slash command's `message:` option names (/rate, /regenerate). */
export type MessageReference = { channelId: string; messageId: string } | { error: string };

/**
 * A message id (in this channel), a `channel id-message id` pair (Discord's "Copy ID" with Shift), or a
 * message link of this server (or DM).
 */
export function parseMessageReference(
  text: string,
  here: { channelId: string; guildId: string | null },
): MessageReference {
  const value = text.trim().replace(/^<(.*)>$/, '$1');
  const id = '(\\d{17,20})';
  if (new RegExp(`^${id}$`).test(value)) return { channelId: here.channelId, messageId: value };
  const pair = new RegExp(`^${id}-${id}$`).exec(value);
  if (pair) return { channelId: pair[1] as string, messageId: pair[2] as string };
  const link = new RegExp(
    `^https://(?:(?:ptb|canary)\\.)?discord(?:app)?\\.com/channels/(@me|${id.slice(1, -1)})/${id}/${id}/?$`,
  ).exec(value);
  if (!link) {
    return {
      error:
        'That is not a message id or link. Use "Copy Message Link" (or "Copy Message ID") on the reply you mean.',
    };
  }
  const [, guild, channelId, messageId] = link as unknown as [string, string, string, string];
  if ((guild === '@me' ? null : guild) !== here.guildId) {
    return { error: 'That link is to a message in another server or DM: use the command there.' };
  }
  return { channelId, messageId };
}
