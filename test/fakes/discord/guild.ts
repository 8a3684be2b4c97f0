import {
  ChannelType,
  type APIDMChannel,
  type APIGuildMemberNoUser,
  type APITextChannel,
  type APIUser,
  type GatewayGuildCreateDispatchData,
} from 'discord.js';
import { NO_FLAGS, guildCreateData, makeUser, memberFields } from './objects';
import { nextSnowflake, nextSnowflakeOnShard } from './snowflake';

export interface BotUser {
  id: string;
  username: string;
  token: string;
}

export interface BotRecord extends BotUser {
  user: APIUser;
}

export interface ChannelRecord {
  id: string;
  name: string;
  /** The guild of a guild channel; null for DMs. */
  guildId: string | null;
  /** For DMs: the bot and the human in it. */
  dm?: { botId: string; userId: string };
  position: number;
  lastMessageId: string | null;
}

/** A human named by the test; without one, the guild owner acts (or, in a DM, the DM's user). */
export interface HumanRef {
  id: string;
  username: string;
}

/**
 * The fake's guilds: the first (`id`) and any added with `addGuild`, all owned by one human and joined
 * by every bot; the bots, the humans seen so far, the guilds' text channels and the DMs.
 */
export class Guild {
  readonly id = nextSnowflake();
  readonly owner = makeUser(nextSnowflake(), 'tester');
  /** Guild ids and names, the first one included. */
  private readonly guilds = new Map<string, string>([[this.id, 'Quahog']]);
  private readonly users = new Map<string, APIUser>([[this.owner.id, this.owner]]);
  private readonly botsByToken = new Map<string, BotRecord>();
  private readonly channels = new Map<string, ChannelRecord>();

  /** Its application id is its user id, as for new bots. */
  addBot({
    token,
    id = nextSnowflake(),
    username,
  }: {
    token: string;
    id?: string;
    username: string;
  }): BotUser {
    if (this.botsByToken.has(token)) throw new Error('token already registered');
    const bot: BotRecord = { id, username, token, user: makeUser(id, username, true) };
    this.botsByToken.set(token, bot);
    this.users.set(id, bot.user);
    return { id, username, token };
  }

  /** Another guild, with every registered bot in it; `shard` [id, count] places it on that shard. */
  addGuild({
    name = `Quahog ${this.guilds.size + 1}`,
    shard,
  }: {
    name?: string;
    shard?: [number, number];
  }): string {
    const id = shard ? nextSnowflakeOnShard(...shard) : nextSnowflake();
    this.guilds.set(id, name);
    return id;
  }

  guildIds(): string[] {
    return [...this.guilds.keys()];
  }

  addTextChannel(name = `channel-${this.channels.size + 1}`, guildId = this.id): ChannelRecord {
    if (!this.guilds.has(guildId)) throw new Error(`unknown guild ${guildId}`);
    const channel: ChannelRecord = {
      id: nextSnowflake(),
      name,
      guildId,
      position: this.channels.size,
      lastMessageId: null,
    };
    this.channels.set(channel.id, channel);
    return channel;
  }

  /** A DM between a bot and a human (named `username`, else user-XXXX unless already known). */
  addDmChannel(botId: string, userId: string, username?: string): ChannelRecord {
    if (!this.isBot(botId) || this.isBot(userId)) {
      throw new Error('a DM is between a registered bot and a human');
    }
    if (username !== undefined) this.users.set(userId, makeUser(userId, username));
    const channel: ChannelRecord = {
      id: nextSnowflake(),
      name: '',
      guildId: null,
      dm: { botId, userId },
      position: 0,
      lastMessageId: null,
    };
    this.channels.set(channel.id, channel);
    this.userById(userId);
    return channel;
  }

  channel(id: string): ChannelRecord | undefined {
    return this.channels.get(id);
  }

  /** A channel a test names: it must exist. */
  knownChannel(id: string): ChannelRecord {
    const channel = this.channels.get(id);
    if (!channel) throw new Error(`unknown channel ${id}`);
    return channel;
  }

  botByToken(token: string): BotRecord | undefined {
    return this.botsByToken.get(token);
  }

  botById(id: string): BotRecord | undefined {
    return [...this.botsByToken.values()].find((bot) => bot.id === id);
  }

  isBot(id: string): boolean {
    return this.botById(id) !== undefined;
  }

  /** Whether the fake has seen this user (bots' <@id> mentions only resolve known users). */
  knowsUser(id: string): boolean {
    return this.users.has(id);
  }

  /** A known user, or a new human named user-XXXX. */
  userById(id: string): APIUser {
    const user = this.users.get(id) ?? makeUser(id, `user-${id.slice(-4)}`);
    this.users.set(id, user);
    return user;
  }

  /** The human acting in `channel`: `given` (registered under that name), else the owner or the DM's user. */
  human(channel: ChannelRecord, given?: HumanRef): APIUser {
    if (!given) return channel.dm ? this.userById(channel.dm.userId) : this.owner;
    const user = makeUser(given.id, given.username);
    this.users.set(user.id, user);
    return user;
  }

  memberFields(guildId: string): APIGuildMemberNoUser {
    return memberFields(guildId);
  }

  channelObject(channel: ChannelRecord): APITextChannel | APIDMChannel {
    const common = { id: channel.id, flags: NO_FLAGS, last_message_id: channel.lastMessageId };
    if (channel.guildId === null) {
      const recipients = channel.dm ? [this.userById(channel.dm.userId)] : [];
      return { ...common, type: ChannelType.DM, name: null, recipients };
    }
    return {
      ...common,
      type: ChannelType.GuildText,
      guild_id: channel.guildId,
      name: channel.name,
      position: channel.position,
      permission_overwrites: [],
      parent_id: null,
      topic: null,
      nsfw: false,
      rate_limit_per_user: 0,
    };
  }

  guildCreate(guildId: string): GatewayGuildCreateDispatchData {
    const bots = [...this.botsByToken.values()].map((bot) => bot.user);
    const textChannels = [...this.channels.values()].filter((channel) => channel.guildId === guildId);
    return guildCreateData({
      id: guildId,
      name: this.guilds.get(guildId) ?? 'Quahog',
      ownerId: this.owner.id,
      members: [this.owner, ...bots],
      channels: textChannels.map((channel) => this.channelObject(channel) as APITextChannel),
    });
  }
}
