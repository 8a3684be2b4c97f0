import {
  GatewayDispatchEvents,
  GatewayIntentBits,
  ReactionType,
  type APIUser,
  type GatewayMessageReactionAddDispatchData,
  type GatewayMessageReactionRemoveDispatchData,
} from 'discord.js';
import type { Gateway } from './gateway';
import type { BotRecord, ChannelRecord, Guild } from './guild';
import type { Messages, StoredMessage } from './messages';

export interface ReactionEvent {
  channelId: string;
  messageId: string;
  userId: string;
  /** The emoji as in the URL, decoded: a unicode emoji, or 'name:id' for a custom one. */
  emoji: string;
}

/**
 * Reactions, humans' (`react`/`unreact`) and bots' (PUT .../reactions/:emoji/@me), each dispatched as
 * MESSAGE_REACTION_ADD / _REMOVE to the sessions with the reactions intent that can see the channel.
 */
export class Reactions {
  /** Bots' reactions, in order (a repeated one is recorded once, as Discord keeps one). */
  readonly byBots: ReactionEvent[] = [];
  /** Humans' reactions held now: `<message id> <user id> <emoji>`. */
  private readonly heldByHumans = new Set<string>();

  constructor(
    private readonly guild: Guild,
    private readonly messages: Messages,
    private readonly gateway: Gateway,
  ) {}

  /** Reacting again with the same emoji does nothing, as on Discord. */
  async humanReacts(userId: string, channelId: string, messageId: string, emoji: string): Promise<void> {
    const { channel, message, user } = this.humanTarget(userId, channelId, messageId);
    const key = `${messageId} ${userId} ${emoji}`;
    if (this.heldByHumans.has(key)) return;
    this.heldByHumans.add(key);
    await this.dispatch('add', channel, message, user, emoji);
  }

  /** Nothing if the human had not reacted so. */
  async humanUnreacts(userId: string, channelId: string, messageId: string, emoji: string): Promise<void> {
    const { channel, message, user } = this.humanTarget(userId, channelId, messageId);
    if (!this.heldByHumans.delete(`${messageId} ${userId} ${emoji}`)) return;
    await this.dispatch('remove', channel, message, user, emoji);
  }

  async botReacts(
    channel: ChannelRecord,
    message: StoredMessage,
    bot: BotRecord,
    emoji: string,
  ): Promise<void> {
    const reaction = { channelId: channel.id, messageId: message.id, userId: bot.id, emoji };
    if (this.byBots.some((r) => JSON.stringify(r) === JSON.stringify(reaction))) return;
    this.byBots.push(reaction);
    await this.dispatch('add', channel, message, bot.user, emoji);
  }

  private humanTarget(
    userId: string,
    channelId: string,
    messageId: string,
  ): { channel: ChannelRecord; message: StoredMessage; user: APIUser } {
    const channel = this.guild.knownChannel(channelId);
    const message = this.messages.find(channelId, messageId);
    if (!message) throw new Error(`unknown message ${messageId}`);
    if (this.guild.isBot(userId)) throw new Error('bots react through REST, not react()/unreact()');
    if (channel.dm && channel.dm.userId !== userId) throw new Error('only the DM user can react in a DM');
    return { channel, message, user: this.guild.userById(userId) };
  }

  private async dispatch(
    kind: 'add' | 'remove',
    channel: ChannelRecord,
    message: StoredMessage,
    user: APIUser,
    emoji: string,
  ): Promise<void> {
    const intent = channel.dm
      ? GatewayIntentBits.DirectMessageReactions
      : GatewayIntentBits.GuildMessageReactions;
    const [name = emoji, id] = /^(.+):(\d+)$/.exec(emoji)?.slice(1) ?? [];
    const removed: GatewayMessageReactionRemoveDispatchData = {
      type: ReactionType.Normal,
      user_id: user.id,
      channel_id: channel.id,
      message_id: message.id,
      ...(channel.guildId !== null && { guild_id: channel.guildId }),
      emoji: id ? { id, name, animated: false } : { id: null, name },
      burst: false,
    };
    const added: GatewayMessageReactionAddDispatchData = {
      ...removed,
      ...(channel.guildId !== null && { member: { ...this.guild.memberFields(channel.guildId), user } }),
      message_author_id: message.author.id,
      burst_colors: [],
    };
    const [event, data] =
      kind === 'add'
        ? [GatewayDispatchEvents.MessageReactionAdd, added]
        : [GatewayDispatchEvents.MessageReactionRemove, removed];
    const sessions = this.gateway.sessionsSeeing(channel, intent);
    await Promise.all(
      sessions.map((session) => this.gateway.dispatch(session, event, structuredClone(data))),
    );
  }
}
