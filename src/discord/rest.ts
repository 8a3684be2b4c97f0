import { createHash } from 'node:crypto';
import { DiscordAPIError, REST } from '@discordjs/rest';
import { Routes, type APIMessage } from 'discord.js';
import { displayName } from '../characters/names';
import { snowflakeAt, snowflakeTime } from './snowflake';
import { deletedIfGone, MissingWebhookPermissionError, WebhookLimitError, WebhookPoster } from './webhooks';

/** Never ping @everyone, @here, roles or users named in the text; a reply may ping its author. */
const BOT_ALLOWED_MENTIONS = { parse: [], replied_user: true };

export interface PostOptions {
  content: string;
  /** Discord message this part answers (only the first part of a reply). */
  replyTo?: string;
  /** Same key -> same message: Discord returns the earlier message instead of posting again. */
  idempotencyKey: string;
}

/** A message as Discord answered a post. */
export interface PostedMessage {
  id: string;
  /**
   * What it shows: the posted content, except when the idempotency key was used before (a retry), where
   * Discord answers with the earlier message, which shows what was posted then.
   */
  content: string;
}

/**
 * Posts, edits and deletes as a character through the Discord REST API (no gateway needed): as its own
 * bot when it has a token, else through a channel webhook of the cast bot (webhook mode).
 */
export interface DiscordPoster {
  /** A webhook post cannot be a Discord reply: `replyTo` then goes unused, as does the idempotency key. */
  postMessage(character: string, channelId: string, options: PostOptions): Promise<PostedMessage>;
  /**
   * Edits a message the character posted, mentions parsed as in its posts (none; a reply keeps pinging
   * its author). Webhook mode edits through the channel's cast webhook, which reaches only its own posts.
   */
  editMessage(character: string, channelId: string, messageId: string, content: string): Promise<void>;
  /** Deletes a message the character posted; one already gone counts as deleted. */
  deleteMessage(character: string, channelId: string, messageId: string): Promise<void>;
  /**
   * Ids of messages, oldest first, that `character` posted in the channel since `since` with exactly
   * `content`: what a retry must not post again. Always empty for a character with its own bot, whose
   * posts carry nonces that make posting again safe; webhook posts have none.
   */
  recognisePosted(character: string, channelId: string, since: Date, content: string): Promise<string[]>;
  /**
   * When the channel's newest message was created (any author, bots' own included),
   * read from its `last_message_id` snowflake; null for an empty channel.
   */
  lastMessageAt(channelId: string): Promise<Date | null>;
}

/** Webhook mode: the one bot whose channel webhooks speak for every character without a token of its own. */
export interface CastBot {
  token: string;
  /** The avatar URL Discord shows on a character's posts (it must be public); null: the webhook's. */
  avatarFor(character: string): Promise<string | null>;
}

/**
 * @param apiUrl Discord's REST base (a local fake in tests)
 * @param tokens bot token per lower-cased character name
 * @param cast the cast bot (DISCORD_CAST_TOKEN), for the characters without a token
 */
export function createDiscordPoster(
  apiUrl: string,
  tokens: Record<string, string>,
  cast?: CastBot,
): DiscordPoster {
  // Transient failures are retried by Temporal, which sees and records them; the client itself
  // still honours 429 retry_after before answering.
  const newRest = (token: string) => new REST({ api: apiUrl, retries: 0, timeout: 15_000 }).setToken(token);
  const clients = new Map<string, REST>();
  const botRest = (character: string): REST | undefined => {
    const key = character.toLowerCase();
    const token = tokens[key];
    if (!token) return undefined;
    let rest = clients.get(key);
    if (!rest) {
      rest = newRest(token);
      clients.set(key, rest);
    }
    return rest;
  };
  const castRest = cast && newRest(cast.token);
  const webhooks = castRest && new WebhookPoster(castRest);
  /** Webhook mode for a character without a token of its own (there must be a cast bot). */
  const viaCast = (character: string): { cast: CastBot; webhooks: WebhookPoster } => {
    if (!cast || !webhooks) throw new MissingTokenError(character);
    return { cast, webhooks };
  };
  return {
    async postMessage(character, channelId, { content, replyTo, idempotencyKey }) {
      const rest = botRest(character);
      if (!rest) {
        const { cast: castBot, webhooks: poster } = viaCast(character);
        const avatarUrl = await castBot.avatarFor(character);
        return poster.post(channelId, { username: displayName(character), content, avatarUrl });
      }
      const message = (await rest.post(Routes.channelMessages(channelId), {
        body: {
          content,
          nonce: nonceFor(idempotencyKey),
          enforce_nonce: true,
          allowed_mentions: BOT_ALLOWED_MENTIONS,
          ...(replyTo ? { message_reference: { message_id: replyTo, fail_if_not_exists: false } } : {}),
        },
      })) as APIMessage;
      return { id: message.id, content: message.content };
    },
    async editMessage(character, channelId, messageId, content) {
      const rest = botRest(character);
      if (!rest) return viaCast(character).webhooks.edit(channelId, messageId, content);
      await rest.patch(Routes.channelMessage(channelId, messageId), {
        body: { content, allowed_mentions: BOT_ALLOWED_MENTIONS },
      });
    },
    async deleteMessage(character, channelId, messageId) {
      const rest = botRest(character);
      if (!rest) return viaCast(character).webhooks.delete(channelId, messageId);
      await deletedIfGone(rest.delete(Routes.channelMessage(channelId, messageId)));
    },
    async recognisePosted(character, channelId, since, content) {
      if (botRest(character)) return [];
      return viaCast(character).webhooks.recognisePosted(
        channelId,
        snowflakeAt(since.getTime()),
        displayName(character),
        content,
      );
    },
    async lastMessageAt(channelId) {
      const [anyCharacter] = Object.keys(tokens);
      const rest = (anyCharacter && botRest(anyCharacter)) || castRest;
      if (!rest) throw new MissingTokenError('any character');
      const channel = (await rest.get(Routes.channel(channelId))) as {
        last_message_id?: string | null;
      };
      return channel.last_message_id ? new Date(snowflakeTime(channel.last_message_id)) : null;
    },
  };
}

export class MissingTokenError extends Error {
  constructor(readonly character: string) {
    super(
      `no Discord token for ${character}: set DISCORD_TOKEN_${character.toUpperCase()}, or ` +
        'DISCORD_CAST_TOKEN for webhook mode',
    );
    this.name = 'MissingTokenError';
  }
}

/** A Discord answer that retrying cannot change (bad request, no access, unknown channel). */
export function isPermanentDiscordError(err: unknown): boolean {
  if (
    err instanceof MissingTokenError ||
    err instanceof MissingWebhookPermissionError ||
    err instanceof WebhookLimitError
  ) {
    return true;
  }
  return err instanceof DiscordAPIError && err.status >= 400 && err.status < 500 && err.status !== 429;
}

/** Discord nonces are at most 25 characters. */
function nonceFor(key: string): string {
  return createHash('sha256').update(key).digest('base64url').slice(0, 25);
}
