/**
 * How a character speaks in Discord: through its own bot (DISCORD_TOKEN_<NAME>), through the cast
 * bot's channel webhooks (webhook mode, DISCORD_CAST_TOKEN), or not at all. The bots (who answers a
 * message), the worker (how a reply is posted) and the admin API (what GET /characters shows) all
 * decide it here, so they agree.
 */
import type { RosterEntry } from './profile';

export type DeliveryMode = 'bot' | 'webhook' | 'offline';

export function deliveryMode(
  character: string,
  /** The lower-cased names with a DISCORD_TOKEN_<NAME> (never the tokens). */
  botTokenNames: string[],
  hasCastToken: boolean,
): DeliveryMode {
  if (botTokenNames.includes(character.toLowerCase())) return 'bot';
  return hasCastToken ? 'webhook' : 'offline';
}

/**
 * The avatar Discord shows on a character's webhook posts: the profile's own avatar_url, else its stored
 * avatar as the admin API serves it publicly (GET /avatars/<name>) when PUBLIC_BASE_URL says where Discord
 * can reach that; null: the webhook's own avatar.
 */
export function webhookAvatarUrl(
  profile: Pick<RosterEntry, 'name' | 'has_avatar' | 'avatar_url'> | undefined,
  publicBaseUrl: string | undefined,
): string | null {
  if (!profile) return null;
  if (profile.avatar_url) return profile.avatar_url;
  if (!profile.has_avatar || !publicBaseUrl) return null;
  return `${publicBaseUrl}/avatars/${encodeURIComponent(profile.name.toLowerCase())}`;
}
