import { RESTJSONErrorCodes, type APIMessage, type RESTPostAPIChannelMessageJSONBody } from 'discord.js';
import type { BotRecord, ChannelRecord, Guild } from './guild';
import { isRecord, omit } from './json';
import { allowedMentions, messageEditFromBody, type Messages, type StoredMessage } from './messages';
import type { Reactions } from './reactions';
import { checkedContent, fail, invalidForm, notFound, type RestResponse } from './responses';

export interface TypingEvent {
  channelId: string;
  userId: string;
  at: number;
}

const ENFORCE_NONCE_WINDOW_MS = 5 * 60_000;

/**
 * A bot's REST routes under /channels/:id: the channel, posting, reading, editing and deleting messages,
 * typing, and reacting. REST message objects carry no guild_id (gateway ones do).
 */
export class ChannelRoutes {
  /** POST /channels/:id/typing calls (recorded, not dispatched). */
  readonly typingEvents: TypingEvent[] = [];
  /** Messages posted with a nonce, by `<bot id>:<nonce>`, for enforce_nonce. */
  private readonly nonces = new Map<string, { message: StoredMessage; at: number }>();

  constructor(
    private readonly guild: Guild,
    private readonly messages: Messages,
    private readonly reactions: Reactions,
  ) {}

  /** `rest`: the path after /channels/:id, e.g. '/messages'. */
  async route(
    method: string,
    channelId: string,
    rest: string,
    query: URLSearchParams,
    bot: BotRecord,
    body: unknown,
  ): Promise<RestResponse> {
    const channel = this.guild.channel(channelId);
    if (!channel) throw fail(404, RESTJSONErrorCodes.UnknownChannel, 'Unknown Channel');
    if (channel.dm && channel.dm.botId !== bot.id) {
      throw fail(403, RESTJSONErrorCodes.MissingAccess, 'Missing Access');
    }
    if (method === 'GET' && rest === '') return { status: 200, body: this.guild.channelObject(channel) };
    if (method === 'POST' && rest === '/messages') {
      return { status: 200, body: await this.postMessage(channel, bot, body) };
    }
    if (method === 'GET' && rest === '/messages') return { status: 200, body: this.history(channel, query) };
    if (method === 'POST' && rest === '/typing') {
      this.typingEvents.push({ channelId, userId: bot.id, at: Date.now() });
      return { status: 204 };
    }
    const [, messageId = '', sub = ''] = /^\/messages\/(\d+)(\/.*)?$/.exec(rest) ?? [];
    const message = this.messages.find(channelId, messageId);
    const [, emoji] = /^\/reactions\/([^/]+)\/@me$/.exec(sub) ?? [];
    const onMessage = sub === '' && ['GET', 'PATCH', 'DELETE'].includes(method);
    if (!messageId || !(onMessage || (method === 'PUT' && emoji))) throw notFound();
    if (!message) throw fail(404, RESTJSONErrorCodes.UnknownMessage, 'Unknown Message');
    if (method === 'GET') return { status: 200, body: omit(message, 'guild_id') };
    if (method === 'PATCH') return { status: 200, body: await this.editMessage(message, bot, body) };
    if (method === 'DELETE') {
      await this.deleteMessage(channel, message, bot);
      return { status: 204 };
    }
    await this.reactions.botReacts(channel, message, bot, decodeURIComponent(emoji ?? ''));
    return { status: 204 };
  }

  /** Only the author edits a message's content (a webhook's message only through its webhook). */
  private async editMessage(message: StoredMessage, bot: BotRecord, body: unknown): Promise<APIMessage> {
    if (message.author.id !== bot.id) {
      throw fail(
        403,
        RESTJSONErrorCodes.CannotEditMessageAuthoredByAnotherUser,
        'Cannot edit a message authored by another user',
      );
    }
    return omit(await this.messages.edit(message, messageEditFromBody(body)), 'guild_id');
  }

  /**
   * A bot deletes its own messages; another's needs Manage Messages, which no bot has here (403
   * 50013), and in a DM is impossible (403 50003), as on Discord.
   */
  private async deleteMessage(channel: ChannelRecord, message: StoredMessage, bot: BotRecord): Promise<void> {
    if (message.author.id !== bot.id) {
      if (channel.dm) {
        throw fail(
          403,
          RESTJSONErrorCodes.CannotExecuteActionOnDMChannel,
          'Cannot execute action on a DM channel',
        );
      }
      throw fail(403, RESTJSONErrorCodes.MissingPermissions, 'Missing Permissions');
    }
    await this.messages.remove(message);
  }

  private async postMessage(channel: ChannelRecord, bot: BotRecord, raw: unknown): Promise<APIMessage> {
    const body: RESTPostAPIChannelMessageJSONBody = isRecord(raw) ? raw : {};
    const content = checkedContent(body.content ?? '');
    const embeds = Array.isArray(body.embeds) ? body.embeds : [];
    if (!content.trim() && embeds.length === 0) {
      throw fail(400, RESTJSONErrorCodes.CannotSendAnEmptyMessage, 'Cannot send an empty message');
    }
    const { nonce } = body;
    if (nonce !== undefined && !(typeof nonce === 'string' ? nonce.length <= 25 : Number.isInteger(nonce))) {
      throw invalidForm('nonce', 'BASE_TYPE_MAX_LENGTH', 'Must be 25 or fewer in length.');
    }
    // enforce_nonce: the same author reusing a nonce within a few minutes gets the first message back.
    const nonceKey = `${bot.id}:${String(nonce)}`;
    const previous = this.nonces.get(nonceKey);
    if (body.enforce_nonce && previous && Date.now() - previous.at < ENFORCE_NONCE_WINDOW_MS) {
      return omit(previous.message, 'guild_id');
    }
    const replied = this.repliedTo(channel, body.message_reference);
    const message = this.messages.create(channel, bot.user, {
      content,
      ...allowedMentions(this.guild, channel, content, body.allowed_mentions),
      replied,
      nonce,
      embeds,
      viaRest: true,
    });
    if (nonce !== undefined) this.nonces.set(nonceKey, { message, at: Date.now() });
    await this.messages.deliver(message);
    return omit(message, 'guild_id');
  }

  private repliedTo(
    channel: ChannelRecord,
    reference: RESTPostAPIChannelMessageJSONBody['message_reference'],
  ): StoredMessage | undefined {
    const replied = reference?.message_id
      ? this.messages.find(reference.channel_id ?? channel.id, reference.message_id)
      : undefined;
    if (reference && !replied && reference.fail_if_not_exists !== false) {
      throw invalidForm('message_reference', 'MESSAGE_REFERENCE_UNKNOWN_MESSAGE', 'Unknown message');
    }
    return replied;
  }

  /** GET /channels/:id/messages with limit/before/after (not `around`); newest first, as Discord. */
  private history(channel: ChannelRecord, query: URLSearchParams): APIMessage[] {
    const limit = Number(query.get('limit') ?? 50);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
      throw invalidForm('limit', 'NUMBER_TYPE_MAX', 'int value should be less than or equal to 100.');
    }
    const before = query.get('before');
    const after = query.get('after');
    let page = this.messages.list(channel.id);
    if (after) page = page.filter((message) => BigInt(message.id) > BigInt(after)).slice(0, limit);
    else page = page.filter((message) => !before || BigInt(message.id) < BigInt(before)).slice(-limit);
    return page.reverse().map((message) => omit(message, 'guild_id'));
  }
}
