/**
 * conversation_history.session_id of a Discord channel (or DM channel): one session per channel.
 * A pure leaf module, so workflow code may import it.
 */
export function sessionIdFor(channelId: string): string {
  return `discord:${channelId}`;
}
