import { DiscordAPIError, type REST } from '@discordjs/rest';
import {
  RESTJSONErrorCodes,
  Routes,
  type APIMessage,
  type APIUser,
  type APIWebhook,
  type RESTPostAPIWebhookWithTokenJSONBody,
} from 'discord.js';

/** The name of the webhook the cast bot makes in each channel it speaks in. */
export const CAST_WEBHOOK_NAME = 'Family Guy cast';

/** How far `recognisePosted` reads: at most this many pages of 100 messages after its snowflake. */
const RECOGNITION_PAGES = 5;
const PAGE_SIZE = 100;

/** A webhook the cast bot made, with the token that executes it. */
interface CastWebhook {
  id: string;
  token: string;
}

export interface WebhookPost {
  /** Shown as the author's name: the character's. */
  username: string;
  content: string;
  /** Shown as the author's avatar; null: the webhook's own. */
  avatarUrl: string | null;
}

/**
 * Posts as any character through one bot (the cast bot): each channel gets one webhook of the cast
 * bot's, found or made on first use and reused, and every post executes it with the character's name
 * and avatar, and edits or deletes its posts through the same webhook. Webhooks take no nonce, so a
 * retry recognises a post of its own with `recognisePosted`.
 */
export class WebhookPoster {
  /** By channel id; a promise, so that concurrent first posts in a channel make one webhook. */
  private readonly webhooks = new Map<string, Promise<CastWebhook>>();
  private castUser: Promise<APIUser> | undefined;

  /** @param rest a client with the cast bot's token */
  constructor(private readonly rest: REST) {}

  /** Posts and returns the message (executed with wait=true, so Discord answers the saved message). */
  post(channelId: string, post: WebhookPost): Promise<{ id: string; content: string }> {
    return this.throughWebhook(channelId, (webhook) => this.execute(webhook, post));
  }

  /**
   * Edits a message the channel's cast webhook posted (allowed_mentions parse [], as its posts). A
   * webhook reaches only its own messages: one posted through an earlier cast webhook of the channel,
   * deleted since, is 404 Unknown Message (10008), which is thrown.
   */
  edit(channelId: string, messageId: string, content: string): Promise<void> {
    return this.throughWebhook(channelId, async (webhook) => {
      await this.rest.patch(Routes.webhookMessage(webhook.id, webhook.token, messageId), {
        body: { content, allowed_mentions: { parse: [] } },
        auth: false,
      });
    });
  }

  /**
   * Deletes a message the channel's cast webhook posted. 404 Unknown Message counts as deleted: it is
   * gone, or (indistinguishable for the webhook) it was posted through an earlier cast webhook of the
   * channel, deleted since, which nothing but a moderator can delete now.
   */
  delete(channelId: string, messageId: string): Promise<void> {
    return this.throughWebhook(channelId, (webhook) =>
      deletedIfGone(
        this.rest.delete(Routes.webhookMessage(webhook.id, webhook.token, messageId), { auth: false }),
      ),
    );
  }

  /**
   * Runs `act` with the channel's cast webhook; if that webhook was deleted (or its token changed), a new
   * one is made and `act` runs once more through it. Errors never carry the webhook's token.
   */
  private async throughWebhook<T>(channelId: string, act: (webhook: CastWebhook) => Promise<T>): Promise<T> {
    const attempt = async (webhook: CastWebhook): Promise<T> => {
      try {
        return await act(webhook);
      } catch (err) {
        throw withoutWebhookToken(err, webhook.token);
      }
    };
    const cached = this.webhookFor(channelId);
    try {
      return await attempt(await cached);
    } catch (err) {
      if (!isWebhookGone(err)) throw err;
      // Someone deleted the webhook (nothing was done through it): make a new one and act through it.
      if (this.webhooks.get(channelId) === cached) this.webhooks.delete(channelId);
      return attempt(await this.webhookFor(channelId));
    }
  }

  /**
   * Ids of the cast bot's webhook messages in the channel after the snowflake `after`, posted as
   * `username` with exactly `content`, oldest first. Reads at most RECOGNITION_PAGES pages.
   */
  async recognisePosted(
    channelId: string,
    after: string,
    username: string,
    content: string,
  ): Promise<string[]> {
    const isOurs = await this.ourMessages(channelId);
    const found: string[] = [];
    let cursor = after;
    for (let page = 0; page < RECOGNITION_PAGES; page++) {
      const query = new URLSearchParams({ after: cursor, limit: String(PAGE_SIZE) });
      const messages = (await this.rest.get(Routes.channelMessages(channelId), { query })) as APIMessage[];
      const matching = messages.filter(
        (m) => isOurs(m) && m.author.username === username && m.content === content,
      );
      found.push(...matching.map((message) => message.id));
      if (messages.length < PAGE_SIZE) break;
      cursor = newestId(messages);
    }
    return found.sort(bySnowflake);
  }

  /** The channel's cast webhook, from the cache, else found among the channel's webhooks, else made. */
  private webhookFor(channelId: string): Promise<CastWebhook> {
    let webhook = this.webhooks.get(channelId);
    if (!webhook) {
      webhook = this.findOrCreate(channelId);
      this.webhooks.set(channelId, webhook);
      // A failure is not cached: the next post asks Discord again (a permission may have been granted).
      webhook.catch(() => {
        if (this.webhooks.get(channelId) === webhook) this.webhooks.delete(channelId);
      });
    }
    return webhook;
  }

  private async findOrCreate(channelId: string): Promise<CastWebhook> {
    try {
      const [existing] = await this.castWebhooks(channelId);
      if (existing) return existing;
      const created = (await this.rest.post(Routes.channelWebhooks(channelId), {
        body: { name: CAST_WEBHOOK_NAME },
        reason: 'Family Guy bots: the cast speaks through this webhook',
      })) as APIWebhook;
      return castWebhook(created);
    } catch (err) {
      throw webhookSetupError(err, channelId);
    }
  }

  /** The channel's webhooks the cast bot made under CAST_WEBHOOK_NAME, oldest first (workers agree on it). */
  private async castWebhooks(channelId: string): Promise<CastWebhook[]> {
    const me = await this.me();
    const all = (await this.rest.get(Routes.channelWebhooks(channelId))) as APIWebhook[];
    return all
      .filter((webhook) => webhook.name === CAST_WEBHOOK_NAME && madeBy(webhook, me) && webhook.token)
      .sort((a, b) => bySnowflake(a.id, b.id))
      .map(castWebhook);
  }

  /**
   * Whether a message came from one of the cast bot's webhooks: one of the channel's now, or any of
   * the application's (`application_id`), which also covers a webhook deleted since it posted.
   */
  private async ourMessages(channelId: string): Promise<(message: APIMessage) => boolean> {
    const me = await this.me();
    const current = new Set(
      (await this.castWebhooks(channelId).catch(() => [])).map((webhook) => webhook.id),
    );
    return ({ webhook_id, application_id }) =>
      webhook_id !== undefined && (current.has(webhook_id) || application_id === me.id);
  }

  private async execute(
    webhook: CastWebhook,
    { username, content, avatarUrl }: WebhookPost,
  ): Promise<{ id: string; content: string }> {
    const body: RESTPostAPIWebhookWithTokenJSONBody = {
      content,
      username,
      ...(avatarUrl ? { avatar_url: avatarUrl } : {}),
      // Never ping @everyone, @here, roles or users named in the text.
      allowed_mentions: { parse: [] },
    };
    const message = (await this.rest.post(Routes.webhook(webhook.id, webhook.token), {
      body,
      query: new URLSearchParams({ wait: 'true' }),
      // A webhook's token is in its path; Discord wants no bot token with it.
      auth: false,
    })) as APIMessage;
    return { id: message.id, content: message.content };
  }

  /** The cast bot's user (its id is its application's for bots made since 2019), asked once. */
  private me(): Promise<APIUser> {
    this.castUser ??= (this.rest.get(Routes.user('@me')) as Promise<APIUser>).catch((err: unknown) => {
      this.castUser = undefined;
      throw err;
    });
    return this.castUser;
  }
}

/** Discord answers 403 when the cast bot may not manage the channel's webhooks: no retry changes that. */
export class MissingWebhookPermissionError extends Error {
  constructor(readonly channelId: string) {
    super(`the cast bot needs the Manage Webhooks permission in channel ${channelId} (webhook mode)`);
    this.name = 'MissingWebhookPermissionError';
  }
}

/** The channel has Discord's maximum of webhooks and none is the cast bot's. */
export class WebhookLimitError extends Error {
  constructor(readonly channelId: string) {
    super(
      `channel ${channelId} has 15 webhooks, Discord's maximum, none of them the cast bot's: delete one ` +
        'so that the cast can speak there (webhook mode)',
    );
    this.name = 'WebhookLimitError';
  }
}

function webhookSetupError(err: unknown, channelId: string): unknown {
  if (!(err instanceof DiscordAPIError)) return err;
  if (err.status === 403) return new MissingWebhookPermissionError(channelId);
  if (err.code === RESTJSONErrorCodes.MaximumNumberOfWebhooksReached) return new WebhookLimitError(channelId);
  return err;
}

/**
 * A failed webhook call's error, whose request URL (an enumerable field, so in every logged or recorded copy of
 * the error) carries the webhook's token in its path: the token is masked, the rest kept.
 */
function withoutWebhookToken(err: unknown, token: string): unknown {
  if (err instanceof DiscordAPIError) err.url = err.url.split(token).join('[webhook token]');
  return err;
}

/** A message deletion, where a message already gone (404 Unknown Message) counts as deleted. */
export async function deletedIfGone(deletion: Promise<unknown>): Promise<void> {
  try {
    await deletion;
  } catch (err) {
    if (!(err instanceof DiscordAPIError && err.code === RESTJSONErrorCodes.UnknownMessage)) throw err;
  }
}

/** Deleted (404 Unknown Webhook) or its token changed (401 Invalid Webhook Token). */
function isWebhookGone(err: unknown): boolean {
  return (
    err instanceof DiscordAPIError &&
    (err.code === RESTJSONErrorCodes.UnknownWebhook || err.code === RESTJSONErrorCodes.InvalidWebhookToken)
  );
}

function madeBy(webhook: APIWebhook, bot: APIUser): boolean {
  return webhook.application_id === bot.id || webhook.user?.id === bot.id;
}

function castWebhook({ id, token }: APIWebhook): CastWebhook {
  if (!token) throw new Error(`Discord sent webhook ${id} without its token`);
  return { id, token };
}

/** Snowflakes in creation order. */
function bySnowflake(a: string, b: string): number {
  return Number(BigInt(a) - BigInt(b));
}

function newestId(messages: APIMessage[]): string {
  return messages
    .map((message) => message.id)
    .sort(bySnowflake)
    .at(-1) as string;
}
