import { randomBytes } from 'node:crypto';
import {
  RESTJSONErrorCodes,
  WebhookType,
  type APIUser,
  type APIWebhook,
  type RESTPostAPIChannelWebhookJSONBody,
  type RESTPostAPIWebhookWithTokenJSONBody,
} from 'discord.js';
import type { BotRecord, ChannelRecord, Guild } from './guild';
import { isRecord, omit } from './json';
import { allowedMentions, messageEditFromBody, type Messages, type StoredMessage } from './messages';
import { makeUser } from './objects';
import {
  checkedContent,
  fail,
  invalidForm,
  methodNotAllowed,
  parseJsonBody,
  type RestResponse,
} from './responses';
import { nextSnowflake } from './snowflake';

/** Discord's limit per channel (error 30007 past it). */
export const MAX_WEBHOOKS_PER_CHANNEL = 15;

interface WebhookRecord {
  id: string;
  token: string;
  channel: ChannelRecord;
  name: string;
  /** Who made it: a bot through the API (an application-owned webhook) or a human in Discord's UI. */
  creator: APIUser;
  /** The bot's application (its user id, as for new bots); null for a human's webhook. */
  applicationId: string | null;
}

/**
 * Channel webhooks: GET/POST /channels/:id/webhooks (a bot with Manage Webhooks in the channel, which
 * every bot has unless `deny` took it away), executing one, POST /webhooks/:id/:token, and editing or
 * deleting what it posted, /webhooks/:id/:token/messages/:id, which need no bot token, as on Discord. A webhook's message has `webhook_id`, the webhook as its author (with the
 * execution's username) and `application_id` for an application's webhook; it is dispatched like any
 * message. The avatar override is kept beside the message (Discord would serve it as an avatar hash).
 */
export class Webhooks {
  private readonly records = new Map<string, WebhookRecord>();
  /** `<channel id>:<bot id>` pairs without Manage Webhooks. */
  private readonly denied = new Set<string>();
  private readonly avatarUrls = new Map<string, string | null>();

  constructor(
    private readonly guild: Guild,
    private readonly messages: Messages,
  ) {}

  deny(channelId: string, botId: string): void {
    this.denied.add(`${this.guild.knownChannel(channelId).id}:${botId}`);
  }

  allow(channelId: string, botId: string): void {
    this.denied.delete(`${channelId}:${botId}`);
  }

  /** Whether the bot has Manage Webhooks in the channel. */
  mayManage(channelId: string, botId: string): boolean {
    return !this.denied.has(`${channelId}:${botId}`);
  }

  /** A webhook someone made in Discord's UI (no application): the test's stand-in for a human's. */
  addByHuman(channelId: string, name: string): APIWebhook {
    const channel = this.guild.knownChannel(channelId);
    return this.view(this.add(channel, name, this.guild.owner, null), null);
  }

  /** Deleted as from Discord's UI: executing it is then 404 Unknown Webhook. */
  delete(webhookId: string): void {
    if (!this.records.delete(webhookId)) throw new Error(`unknown webhook ${webhookId}`);
  }

  /** What the test may see of the channel's webhooks (all, tokens included), oldest first. */
  list(channelId?: string): APIWebhook[] {
    return [...this.records.values()]
      .filter((record) => channelId === undefined || record.channel.id === channelId)
      .map((record) => ({ ...this.view(record, null), token: record.token }));
  }

  /** The messages posted through webhooks, oldest first; copies. */
  posted(channelId?: string): StoredMessage[] {
    return this.messages.list(channelId).filter((message) => this.avatarUrls.has(message.id));
  }

  /** The avatar_url a webhook message was executed with (null: none); undefined for other messages. */
  avatarUrlOf(messageId: string): string | null | undefined {
    return this.avatarUrls.get(messageId);
  }

  /** GET or POST /channels/:id/webhooks for `bot`. */
  channelRoute(method: string, channelId: string, bot: BotRecord, body: unknown): RestResponse {
    const channel = this.guild.channel(channelId);
    if (!channel) throw fail(404, RESTJSONErrorCodes.UnknownChannel, 'Unknown Channel');
    if (channel.guildId === null) {
      throw fail(
        400,
        RESTJSONErrorCodes.CannotExecuteActionOnThisChannelType,
        'Cannot execute action on this channel type',
      );
    }
    if (!this.mayManage(channel.id, bot.id)) {
      throw fail(403, RESTJSONErrorCodes.MissingPermissions, 'Missing Permissions');
    }
    if (method === 'GET') {
      const inChannel = [...this.records.values()].filter((record) => record.channel.id === channel.id);
      return { status: 200, body: inChannel.map((record) => this.view(record, bot)) };
    }
    if (method !== 'POST') throw methodNotAllowed();
    return { status: 200, body: this.view(this.create(channel, bot, body), bot) };
  }

  /**
   * The unauthenticated POST /webhooks/:id/:token (an execution) and GET/PATCH/DELETE of its messages,
   * /webhooks/:id/:token/messages/:message, or undefined for another path. The interactions'
   * /webhooks/:application/:token/messages/@original is not this one (the interactions answer it first).
   */
  async executeRoute(
    method: string,
    path: string,
    query: URLSearchParams,
    raw: string,
  ): Promise<RestResponse | undefined> {
    const [, webhookId = '', token = '', messageId] =
      /^\/webhooks\/(\d+)\/([^/]+)(?:\/messages\/(\d+))?$/.exec(path) ?? [];
    if (!webhookId) return undefined;
    if (messageId === undefined ? method !== 'POST' : !['GET', 'PATCH', 'DELETE'].includes(method)) {
      throw methodNotAllowed();
    }
    const record = this.records.get(webhookId);
    if (!record) throw fail(404, RESTJSONErrorCodes.UnknownWebhook, 'Unknown Webhook');
    if (record.token !== token)
      throw fail(401, RESTJSONErrorCodes.InvalidWebhookToken, 'Invalid Webhook Token');
    const body = parseJsonBody(raw);
    if (messageId !== undefined) return this.messageRoute(method, record, messageId, body);
    const message = await this.execute(record, body);
    // Without wait=true Discord answers 204 before the message is saved.
    return query.get('wait') === 'true' ? { status: 200, body: omit(message, 'guild_id') } : { status: 204 };
  }

  /**
   * GET, PATCH or DELETE /webhooks/:id/:token/messages/:message: a webhook reaches only the messages it
   * posted itself (any other, or one of a webhook deleted since, is 404 Unknown Message, as on Discord).
   */
  private async messageRoute(
    method: string,
    record: WebhookRecord,
    messageId: string,
    body: unknown,
  ): Promise<RestResponse> {
    const message = this.messages.find(record.channel.id, messageId);
    if (!message || message.webhook_id !== record.id) {
      throw fail(404, RESTJSONErrorCodes.UnknownMessage, 'Unknown Message');
    }
    if (method === 'DELETE') {
      await this.messages.remove(message);
      return { status: 204 };
    }
    const shown = method === 'PATCH' ? await this.messages.edit(message, messageEditFromBody(body)) : message;
    return { status: 200, body: omit(shown, 'guild_id') };
  }

  private create(channel: ChannelRecord, bot: BotRecord, raw: unknown): WebhookRecord {
    const body: Partial<RESTPostAPIChannelWebhookJSONBody> = isRecord(raw) ? raw : {};
    const name = checkedName('name', body.name);
    const inChannel = [...this.records.values()].filter((record) => record.channel.id === channel.id);
    if (inChannel.length >= MAX_WEBHOOKS_PER_CHANNEL) {
      throw fail(
        400,
        RESTJSONErrorCodes.MaximumNumberOfWebhooksReached,
        `Maximum number of webhooks reached (${MAX_WEBHOOKS_PER_CHANNEL})`,
      );
    }
    return this.add(channel, name, bot.user, bot.id);
  }

  private add(
    channel: ChannelRecord,
    name: string,
    creator: APIUser,
    applicationId: string | null,
  ): WebhookRecord {
    const record = {
      id: nextSnowflake(),
      token: randomBytes(32).toString('base64url'),
      channel,
      name,
      creator,
      applicationId,
    };
    this.records.set(record.id, record);
    return record;
  }

  private async execute(record: WebhookRecord, raw: unknown): Promise<StoredMessage> {
    const body: RESTPostAPIWebhookWithTokenJSONBody = isRecord(raw) ? raw : {};
    const content = checkedContent(body.content ?? '');
    if (!content.trim()) {
      throw fail(400, RESTJSONErrorCodes.CannotSendAnEmptyMessage, 'Cannot send an empty message');
    }
    const username = body.username === undefined ? record.name : checkedName('username', body.username);
    const author = { ...makeUser(record.id, username, true), discriminator: '0000', global_name: null };
    const message = this.messages.create(record.channel, author, {
      content,
      ...allowedMentions(this.guild, record.channel, content, body.allowed_mentions),
      webhookId: record.id,
      applicationId: record.applicationId,
    });
    this.avatarUrls.set(message.id, typeof body.avatar_url === 'string' ? body.avatar_url : null);
    await this.messages.deliver(message);
    return message;
  }

  /**
   * The webhook object: an application's webhook shows its token only to that application (a human's
   * to anyone who may manage webhooks), as Discord documents; `viewer` null is the test looking.
   */
  private view(record: WebhookRecord, viewer: BotRecord | null): APIWebhook {
    const showsToken = record.applicationId === null || record.applicationId === viewer?.id;
    return {
      id: record.id,
      type: WebhookType.Incoming,
      guild_id: record.channel.guildId,
      channel_id: record.channel.id,
      user: record.creator,
      name: record.name,
      avatar: null,
      application_id: record.applicationId,
      ...(showsToken && { token: record.token }),
    };
  }
}

/**
 * A webhook's name or a username override as Discord checks them: 1-80 characters, and (since they
 * would impersonate the system) never containing "clyde" or "discord".
 */
function checkedName(field: string, value: unknown): string {
  if (typeof value !== 'string') {
    throw invalidForm(field, 'BASE_TYPE_REQUIRED', 'This field is required');
  }
  const length = [...value.trim()].length;
  if (length < 1 || length > 80) {
    throw invalidForm(field, 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 80 in length.');
  }
  const reserved = /clyde|discord/i.exec(value)?.[0];
  if (reserved) {
    throw invalidForm(
      field,
      'USERNAME_INVALID_CONTAINS',
      `Username cannot contain "${reserved.toLowerCase()}"`,
    );
  }
  return value.trim();
}
