/**
 * conversation_history.session_id of a channel: one session per channel. A Discord channel (or DM
 * channel) id is a snowflake, its session `discord:<channel id>`; a playground (web) session has no
 * Discord channel and is its own channel id, `web:<id>`. A pure leaf module, so workflow code may
 * import it.
 */
export function sessionIdFor(channelId: string): string {
  return isWebSession(channelId) ? channelId : `discord:${channelId}`;
}

export const WEB_SESSION_PREFIX = 'web:';

/** A playground session (`web:<id>`), talked to through the admin API instead of Discord. */
export function isWebSession(channelOrSessionId: string): boolean {
  return channelOrSessionId.startsWith(WEB_SESSION_PREFIX);
}
