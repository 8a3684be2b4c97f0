import { EventEmitter } from 'node:events';
import {
  ChannelType,
  GatewayDispatchEvents,
  RESTJSONErrorCodes,
  GatewayIntentBits,
  MessageType,
  type APIAllowedMentions,
  type APIMessage,
  type APIUser,
  type GatewayMessageCreateDispatchData,
  type GatewayMessageDeleteDispatchData,
} from 'discord.js';
import type { Gateway, Session } from './gateway';
import type { ChannelRecord, Guild, HumanRef } from './guild';
import { isRecord, omit } from './json';
import { NO_FLAGS } from './objects';
import { checkedContent, fail } from './responses';
import { nextSnowflake, snowflakeTime } from './snowflake';

/** A message as Discord's REST API returns it, plus the guild it belongs to (absent for DMs). */
export type StoredMessage = APIMessage & { guild_id?: string };

export interface UserSaysOptions {
  channelId: string;
  /** The human speaking; defaults to the guild owner ('tester'), or to the DM's user in a DM. */
  author?: HumanRef;
  content: string;
  /** User ids to mention, in addition to any `<@id>` written in the content. */
  mentions?: string[];
  /** Id of a message in the same channel that this one replies to. */
  replyTo?: string;
  /** Like the Discord client's "@ ON" reply toggle (default true): mention the replied-to author. */
  mentionRepliedUser?: boolean;
  /** Files sent with the message (metadata only; nothing is uploaded). */
  attachments?: AttachedFile[];
}

interface AttachedFile {
  filename: string;
  size?: number;
  contentType?: string;
}

/** What a new message says and whom it mentions, already filtered by what its author may mention. */
export interface NewMessage extends Partial<Pick<APIMessage, 'nonce' | 'embeds'>> {
  content: string;
  mentions: APIUser[];
  mentionEveryone?: boolean;
  mentionRoles?: string[];
  replied?: StoredMessage;
  mentionRepliedUser: boolean;
  /** Posted by a bot through REST (what `botMessages` and `replyTo` look at). */
  viaRest?: boolean;
  /** Posted by executing this webhook (the author is the webhook). */
  webhookId?: string;
  /** The application that owns the webhook, if any (Discord sets it on its messages). */
  applicationId?: string | null;
}

/** User ids written as <@id> or <@!id> in a message, in order, without duplicates. */
export function mentionedIdsIn(content: string): string[] {
  return [...new Set([...content.matchAll(/<@!?(\d{15,25})>/g)].map((match) => match[1] ?? ''))];
}

/** Role ids written as <@&id> in a message (any id: the fake does not check that the role exists). */
export function mentionedRoleIdsIn(content: string): string[] {
  return [...new Set([...content.matchAll(/<@&(\d{15,25})>/g)].map((match) => match[1] ?? ''))];
}

export const MENTIONS_EVERYONE = /@(?:everyone|here)\b/;

/**
 * Mentions are the known users written as <@id>, as far as allowed_mentions lets them through;
 * without allowed_mentions a reply also pings the replied-to author, with it only if replied_user.
 * @everyone/@here and roles likewise (bots and webhooks are taken to have the Mention Everyone permission).
 */
export function allowedMentions(
  guild: Guild,
  channel: ChannelRecord,
  content: string,
  allowed: APIAllowedMentions | undefined,
): Pick<NewMessage, 'mentions' | 'mentionEveryone' | 'mentionRoles' | 'mentionRepliedUser'> {
  const parses = (kind: 'users' | 'everyone' | 'roles'): boolean =>
    !allowed || (allowed.parse ?? []).some((parsed) => parsed === kind);
  const userIds = mentionedIdsIn(content).filter(
    (id) => guild.knowsUser(id) && (parses('users') || (allowed?.users ?? []).includes(id)),
  );
  return {
    mentions: userIds.map((id) => guild.userById(id)),
    mentionEveryone: !channel.dm && parses('everyone') && MENTIONS_EVERYONE.test(content),
    mentionRoles: channel.dm
      ? []
      : mentionedRoleIdsIn(content).filter((id) => parses('roles') || (allowed?.roles ?? []).includes(id)),
    mentionRepliedUser: allowed ? allowed.replied_user === true : true,
  };
}

/** A PATCH of a message (a bot's own, or a webhook's through the webhook), checked as Discord checks it. */
export interface MessageEdit {
  /** Undefined: the content stays. */
  content?: string;
  embeds?: APIMessage['embeds'];
  allowedMentions?: APIAllowedMentions;
}

/** The body of PATCH .../messages/:id: content (checked like a post's), embeds and allowed_mentions. */
export function messageEditFromBody(raw: unknown): MessageEdit {
  const body = isRecord(raw) ? raw : {};
  return {
    ...(body.content !== undefined && body.content !== null && { content: checkedContent(body.content) }),
    ...(Array.isArray(body.embeds) && { embeds: body.embeds as APIMessage['embeds'] }),
    ...(isRecord(body.allowed_mentions) && { allowedMentions: body.allowed_mentions }),
  };
}

/**
 * Every message in the guild and its DMs, users' and bots', in order; each delivered as MESSAGE_CREATE,
 * an edit as MESSAGE_UPDATE and a deletion as MESSAGE_DELETE.
 */
export class Messages {
  private readonly store: StoredMessage[] = [];
  /** The content each edit set, oldest first, by message id (deleted messages' too). */
  private readonly edits = new Map<string, string[]>();
  /** Messages as they were when deleted, oldest deletion first. */
  private readonly deleted: StoredMessage[] = [];
  private readonly postedViaRest = new Set<string>();
  /** Emits 'posted' for each bot message. One listener per pending replyTo(): many at once in a benchmark. */
  private readonly botPosts = new EventEmitter().setMaxListeners(0);

  constructor(
    private readonly guild: Guild,
    private readonly gateway: Gateway,
  ) {}

  find(channelId: string, messageId: string): StoredMessage | undefined {
    return this.store.find((message) => message.id === messageId && message.channel_id === channelId);
  }

  /** Copies, oldest first. */
  list(channelId?: string): StoredMessage[] {
    return this.store
      .filter((message) => channelId === undefined || message.channel_id === channelId)
      .map((message) => structuredClone(message));
  }

  botMessages(channelId?: string): StoredMessage[] {
    return this.list(channelId).filter((message) => this.postedViaRest.has(message.id));
  }

  /** The content each edit of the message set, oldest first ([] for a message never edited). */
  editsOf(messageId: string): string[] {
    return [...(this.edits.get(messageId) ?? [])];
  }

  /** Deleted messages as they were when deleted, oldest deletion first; copies. */
  deletedMessages(channelId?: string): StoredMessage[] {
    return this.deleted
      .filter((message) => channelId === undefined || message.channel_id === channelId)
      .map((message) => structuredClone(message));
  }

  /**
   * Applies an edit whose author may make it (the route checked that): new content and its mentions,
   * `edited_timestamp`, the copies embedded in replies to it, then MESSAGE_UPDATE to every session that
   * may see it. An empty result is refused (50006) as Discord does. The replied-to author stays mentioned
   * only if they were and allowed_mentions (when given) keeps replied_user.
   */
  async edit(message: StoredMessage, edit: MessageEdit): Promise<StoredMessage> {
    const content = edit.content ?? message.content;
    const embeds = edit.embeds ?? message.embeds;
    if (!content.trim() && embeds.length === 0) {
      throw fail(400, RESTJSONErrorCodes.CannotSendAnEmptyMessage, 'Cannot send an empty message');
    }
    const channel = this.guild.knownChannel(message.channel_id);
    const mentioned = allowedMentions(this.guild, channel, content, edit.allowedMentions);
    const repliedAuthor = message.referenced_message?.author.id;
    const keepsRepliedAuthor =
      repliedAuthor !== undefined &&
      message.mentions.some((user) => user.id === repliedAuthor) &&
      (edit.allowedMentions === undefined || edit.allowedMentions.replied_user === true);
    const mentions = mentioned.mentions.filter((user) => user.id !== repliedAuthor);
    if (keepsRepliedAuthor && message.referenced_message) mentions.push(message.referenced_message.author);
    Object.assign(message, {
      content,
      embeds,
      mentions,
      mention_roles: mentioned.mentionRoles ?? [],
      mention_everyone: mentioned.mentionEveryone ?? false,
      edited_timestamp: snowflakeTime(nextSnowflake()),
    });
    if (edit.content !== undefined) this.edits.set(message.id, [...this.editsOf(message.id), content]);
    for (const reply of this.store) {
      if (reply.referenced_message?.id === message.id) {
        reply.referenced_message = omit(message, 'referenced_message', 'guild_id');
      }
    }
    await this.toSessions(message, GatewayDispatchEvents.MessageUpdate, (session) =>
      this.gatewayMessage(channel, message, session),
    );
    return message;
  }

  /**
   * Deletes a message (the route checked who may): gone from the channel and from replies' embedded
   * copies (referenced_message null, as Discord serves them), then MESSAGE_DELETE.
   */
  async remove(message: StoredMessage): Promise<void> {
    const index = this.store.indexOf(message);
    if (index < 0) return;
    this.store.splice(index, 1);
    this.deleted.push(structuredClone(message));
    for (const reply of this.store) {
      if (reply.message_reference?.message_id === message.id) reply.referenced_message = null;
    }
    const data: GatewayMessageDeleteDispatchData = {
      id: message.id,
      channel_id: message.channel_id,
      ...(message.guild_id !== undefined && { guild_id: message.guild_id }),
    };
    await this.toSessions(message, GatewayDispatchEvents.MessageDelete, () => structuredClone(data));
  }

  /** The first bot message that replies to `messageId`, already posted or still to come. */
  replyTo(messageId: string, timeoutMs: number): Promise<StoredMessage> {
    const posted = this.store.find(
      (m) => this.postedViaRest.has(m.id) && m.message_reference?.message_id === messageId,
    );
    if (posted) return Promise.resolve(structuredClone(posted));
    return new Promise((resolve, reject) => {
      const onMessage = (message: StoredMessage) => {
        if (message.message_reference?.message_id !== messageId) return;
        clearTimeout(timer);
        this.botPosts.off('posted', onMessage);
        resolve(structuredClone(message));
      };
      const timer = setTimeout(() => {
        this.botPosts.off('posted', onMessage);
        reject(new Error(`no bot replied to ${messageId} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.botPosts.on('posted', onMessage);
    });
  }

  /** What `userSays` posts, checked as a Discord client would let a human post it. */
  createFromHuman(options: UserSaysOptions): StoredMessage {
    const channel = this.guild.knownChannel(options.channelId);
    if (options.author && this.guild.isBot(options.author.id)) {
      throw new Error('bots post through REST, not userSays');
    }
    const author = this.guild.human(channel, options.author);
    if (channel.dm && channel.dm.userId !== author.id) throw new Error('only the DM user can speak in a DM');
    const replied = options.replyTo === undefined ? undefined : this.find(channel.id, options.replyTo);
    if (options.replyTo !== undefined && !replied) throw new Error(`unknown message ${options.replyTo}`);
    const mentionIds = new Set([...(options.mentions ?? []), ...mentionedIdsIn(options.content)]);
    const message = this.create(channel, author, {
      content: options.content,
      mentions: [...mentionIds].map((id) => this.guild.userById(id)),
      // Humans here may mention everyone and any role (the owner has every permission).
      mentionEveryone: !channel.dm && MENTIONS_EVERYONE.test(options.content),
      mentionRoles: channel.dm ? [] : mentionedRoleIdsIn(options.content),
      replied,
      mentionRepliedUser: options.mentionRepliedUser ?? true,
    });
    if (options.attachments) {
      message.attachments = options.attachments.map((file) => attachment(channel.id, file));
    }
    return message;
  }

  create(channel: ChannelRecord, author: APIUser, args: NewMessage): StoredMessage {
    const { replied } = args;
    const id = nextSnowflake();
    const guildId = channel.guildId === null ? {} : { guild_id: channel.guildId };
    const mentions = [...args.mentions];
    if (
      replied &&
      args.mentionRepliedUser &&
      replied.author.id !== author.id &&
      !mentions.some((u) => u.id === replied.author.id)
    ) {
      mentions.push(replied.author);
    }
    const message: StoredMessage = {
      id,
      channel_id: channel.id,
      ...guildId,
      author,
      content: args.content,
      timestamp: snowflakeTime(id),
      edited_timestamp: null,
      tts: false,
      mention_everyone: args.mentionEveryone ?? false,
      mentions,
      mention_roles: args.mentionRoles ?? [],
      attachments: [],
      embeds: args.embeds ?? [],
      pinned: false,
      type: replied ? MessageType.Reply : MessageType.Default,
      flags: NO_FLAGS,
      components: [],
      ...(args.nonce !== undefined && { nonce: args.nonce }),
      ...(args.webhookId !== undefined && { webhook_id: args.webhookId }),
      ...(args.applicationId && { application_id: args.applicationId }),
    };
    if (replied) {
      message.message_reference = {
        type: 0,
        channel_id: replied.channel_id,
        message_id: replied.id,
        ...guildId,
      };
      // Discord embeds the referenced message, one level deep.
      message.referenced_message = omit(replied, 'referenced_message', 'guild_id');
    }
    this.store.push(message);
    channel.lastMessageId = id;
    if (args.viaRest) {
      this.postedViaRest.add(id);
      this.botPosts.emit('posted', message);
    }
    return message;
  }

  /** Dispatch the identical MESSAGE_CREATE again, as an at-least-once gateway may. */
  async redeliver(messageId: string): Promise<void> {
    const message = this.store.find((candidate) => candidate.id === messageId);
    if (!message) throw new Error(`unknown message ${messageId}`);
    await this.deliver(message);
  }

  /** MESSAGE_CREATE to every session that may see it, with the GuildMessages (DMs: DirectMessages) intent. */
  async deliver(message: StoredMessage): Promise<void> {
    const channel = this.guild.channel(message.channel_id);
    if (!channel) return;
    await this.toSessions(message, GatewayDispatchEvents.MessageCreate, (session) =>
      this.gatewayMessage(channel, message, session),
    );
  }

  /** `event` to every session that may see the message's channel, with the GuildMessages (DMs: DirectMessages) intent. */
  private async toSessions(
    message: StoredMessage,
    event: GatewayDispatchEvents,
    data: (session: Session) => unknown,
  ): Promise<void> {
    const channel = this.guild.channel(message.channel_id);
    if (!channel) return;
    const intent = channel.dm ? GatewayIntentBits.DirectMessages : GatewayIntentBits.GuildMessages;
    const sessions = this.gateway.sessionsSeeing(channel, intent);
    await Promise.all(sessions.map((session) => this.gateway.dispatch(session, event, data(session))));
  }

  stopWaiting(): void {
    this.botPosts.removeAllListeners();
  }

  /**
   * The MESSAGE_CREATE (or MESSAGE_UPDATE, the same full message) `session` gets. Gateway messages,
   * unlike REST ones, carry member (not a webhook's, which is no member) and channel_type; without
   * MessageContent the content is blanked, except in DMs and the bot's own and mentioning messages.
   */
  private gatewayMessage(
    channel: ChannelRecord,
    message: StoredMessage,
    session: Session,
  ): GatewayMessageCreateDispatchData {
    const data: GatewayMessageCreateDispatchData = {
      ...structuredClone(message),
      // discord.js needs channel_type to build a DM channel it has not cached.
      channel_type: channel.dm ? ChannelType.DM : ChannelType.GuildText,
    };
    if (channel.guildId !== null) {
      const member = this.guild.memberFields(channel.guildId);
      if (message.webhook_id === undefined) data.member = member;
      data.mentions = message.mentions.map((user) => ({ ...user, member }));
    }
    const exempt =
      channel.dm ||
      message.author.id === session.bot.id ||
      message.mentions.some((u) => u.id === session.bot.id);
    if (!exempt && !(session.intents & GatewayIntentBits.MessageContent)) {
      Object.assign(data, { content: '', embeds: [], attachments: [], components: [] });
    }
    return data;
  }
}

/** An attachment's metadata as Discord serves it from its CDN (nothing is uploaded). */
function attachment(channelId: string, file: AttachedFile): APIMessage['attachments'][number] {
  const id = nextSnowflake();
  const url = `https://cdn.discordapp.com/attachments/${channelId}/${id}/${file.filename}`;
  return {
    id,
    filename: file.filename,
    size: file.size ?? 1024,
    url,
    proxy_url: url.replace('cdn.discordapp.com', 'media.discordapp.net'),
    ...(file.contentType && { content_type: file.contentType }),
  };
}
