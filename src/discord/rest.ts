import { createHash } from 'node:crypto';
import { DiscordAPIError, REST } from '@discordjs/rest';
import { Routes, type APIMessage } from 'discord.js';
import { snowflakeTime } from './snowflake';

export interface PostOptions {
  content: string;
  /** Discord message this part answers (only the first part of a reply). */
  replyTo?: string;
  /** Same key -> same message: Discord returns the earlier message instead of posting again. */
  idempotencyKey: string;
}

/** Posts as a character's bot through the Discord REST API (no gateway needed). */
export interface DiscordPoster {
  postMessage(character: string, channelId: string, options: PostOptions): Promise<{ id: string }>;
  /**
   * When the channel's newest message was created (any author, bots' own included),
   * read from its `last_message_id` snowflake; null for an empty channel.
   */
  lastMessageAt(channelId: string): Promise<Date | null>;
}

/**
 * @param tokens bot token per lower-cased character name
 * @param apiUrl Discord's REST base (a local fake in tests)
 */
export function createDiscordPoster(apiUrl: string, tokens: Record<string, string>): DiscordPoster {
  const clients = new Map<string, REST>();
  const restFor = (character: string): REST => {
    const key = character.toLowerCase();
    const token = tokens[key];
    if (!token) throw new MissingTokenError(character);
    let rest = clients.get(key);
    if (!rest) {
      // Transient failures are retried by Temporal, which sees and records them; the
      // client itself still honours 429 retry_after before answering.
      rest = new REST({ api: apiUrl, retries: 0, timeout: 15_000 }).setToken(token);
      clients.set(key, rest);
    }
    return rest;
  };
  return {
    async postMessage(character, channelId, { content, replyTo, idempotencyKey }) {
      const message = (await restFor(character).post(Routes.channelMessages(channelId), {
        body: {
          content,
          nonce: nonceFor(idempotencyKey),
          enforce_nonce: true,
          // Never ping @everyone, @here, roles or users named in the text; a reply may ping its author.
          allowed_mentions: { parse: [], replied_user: true },
          ...(replyTo ? { message_reference: { message_id: replyTo, fail_if_not_exists: false } } : {}),
        },
      })) as APIMessage;
      return { id: message.id };
    },
    async lastMessageAt(channelId) {
      const [anyCharacter] = Object.keys(tokens);
      if (!anyCharacter) throw new MissingTokenError('any character');
      const channel = (await restFor(anyCharacter).get(Routes.channel(channelId))) as {
        last_message_id?: string | null;
      };
      return channel.last_message_id ? new Date(snowflakeTime(channel.last_message_id)) : null;
    },
  };
}

export class MissingTokenError extends Error {
  constructor(readonly character: string) {
    super(`no Discord token for ${character}: set DISCORD_TOKEN_${character.toUpperCase()}`);
    this.name = 'MissingTokenError';
  }
}

/** A Discord answer that retrying cannot change (bad request, no access, unknown channel). */
export function isPermanentDiscordError(err: unknown): boolean {
  if (err instanceof MissingTokenError) return true;
  return err instanceof DiscordAPIError && err.status >= 400 && err.status < 500 && err.status !== 429;
}

/** Discord nonces are at most 25 characters. */
function nonceFor(key: string): string {
  return createHash('sha256').update(key).digest('base64url').slice(0, 25);
}
