/**
 * A small fake of Discord for tests: a subset of the REST API (/api/v10) and of the gateway (JSON over
 * WebSocket), both on 127.0.0.1, so the REAL discord.js / @discordjs/rest clients run against it:
 *
 *   new Client({ intents, rest: { api: fake.apiUrl } })      // discord.js
 *   new REST({ api: fake.apiUrl }).setToken(token)           // @discordjs/rest
 *
 * The fake holds one guild (`guildId`), and more with `addGuild`; every bot is in all of them. Bots are
 * registered with `addBot` before they log in; the test plays the humans with `userSays`. Every message (a
 * user's or a bot's) is dispatched as MESSAGE_CREATE to every gateway session that can see the channel,
 * the author included, as Discord does.
 *
 * What it does like Discord:
 * - Gateway: HELLO, IDENTIFY -> READY + GUILD_CREATE, heartbeat ACKs, the documented close codes for bad
 *   payloads/tokens. RESUME really resumes: each session keeps what it was sent and a RESUME replays
 *   everything after the client's `seq`, then RESUMED. A client closing with 1000/1001 ends its session
 *   (a later RESUME gets INVALID_SESSION, op 9 d:false); any other drop keeps it resumable.
 * - Sharding: IDENTIFY with `shard: [id, count]` (any count, 0 <= id < count; none means [0, 1]) makes a
 *   session of that shard, and GET /gateway/bot recommends `recommendedShards`. A guild's events (READY's
 *   guild list and GUILD_CREATE, CHANNEL_CREATE, messages, reactions, interactions) go only to sessions on
 *   shard (guild_id >> 22) % count; DMs to shard 0.
 * - Intents: MESSAGE_CREATE only to sessions that identified with GuildMessages / DirectMessages, and
 *   without MessageContent the content is blanked except in DMs, the bot's own and mentioning messages.
 * - REST: validation errors with Discord's codes and shapes, enforce_nonce, replies (message_reference,
 *   referenced_message, type 19), mentions (`<@id>`, `<@&id>`, @everyone/@here) filtered by
 *   allowed_mentions into mentions / mention_roles / mention_everyone, injected 429s (per route or global)
 *   with retry_after / Retry-After that discord.js waits out; request bodies are kept in `restCalls`.
 * - REST message objects carry no guild_id/member; gateway ones do (plus channel_type).
 * - Edits and deletions: a bot's PATCH /channels/:c/messages/:m (its own messages only: another's is 403
 *   50005; content checked like a post's, empty 50006; mentions recomputed with allowed_mentions, the
 *   replied-to author kept only if already mentioned and replied_user allows) and DELETE (its own; another's
 *   needs Manage Messages, which no bot has here: 403 50013, in a DM 403 50003); an unknown message is 404
 *   10008. An edit sets `edited_timestamp`, updates the copy embedded in replies and is dispatched as
 *   MESSAGE_UPDATE (the full message, like MESSAGE_CREATE); a deletion as MESSAGE_DELETE {id, channel_id,
 *   guild_id}, and replies then carry referenced_message null. `editsOf(id)` lists each edit's content and
 *   `deletedMessages()` what was deleted, for tests.
 * - Reactions: `react`/`unreact` (humans) and a bot's PUT .../reactions/:emoji/@me dispatch
 *   MESSAGE_REACTION_ADD / _REMOVE (with member and message_author_id) to sessions with the reactions intent.
 * - Slash commands: PUT/GET /applications/:id/commands (global) and /applications/:id/guilds/:g/commands
 *   (a guild's; an unknown guild is 403 50001), bulk overwrite, validated; `useCommand` dispatches
 *   INTERACTION_CREATE to the command's bot only (the guild's command of that name before a global one,
 *   data.guild_id set for it), with `member.permissions` (useCommand's `permissions`, default the @everyone
 *   permissions, which lack Manage Messages; a command whose default_member_permissions the user lacks is
 *   hidden, so useCommand throws) and `app_permissions` (the bot's: @everyone's plus Manage Webhooks unless
 *   denied); POST /interactions/:id/:token/callback
 *   (types 4 and 5, within 3 s, once) and GET/PATCH /webhooks/:app/:token/messages/@original, unauthenticated
 *   like Discord's; `interactionResponse` shows what the user sees.
 * - Webhooks: GET/POST /channels/:id/webhooks need Manage Webhooks, which every bot has in every guild
 *   channel unless `denyManageWebhooks` takes it (403, 50013); at most 15 per channel (400, 30007); names
 *   1-80 characters without "clyde"/"discord" (50035); an application's webhook shows its token to that
 *   application only. POST /webhooks/:id/:token (no bot token; 404 10015 unknown, 401 50027 bad token)
 *   with `wait=true` answers the message, else 204; content 1-2000 characters, username override (same
 *   rules as names), avatar_url (kept for `webhookAvatarUrl`; the author's avatar stays null), and
 *   allowed_mentions. The message has `webhook_id`, `application_id` (an application's webhook) and the
 *   webhook as author (the username override or its name, bot: true), no member on the gateway, and is
 *   dispatched and listed like any message. GET/PATCH/DELETE /webhooks/:id/:token/messages/:m reach only
 *   that webhook's own messages (any other, a deleted webhook's included, is 404 10008); edits and
 *   deletions as above. `thread_id` is ignored.
 * - Faults: `failNext` applies to every route, the unauthenticated ones included; with `afterEffect` the
 *   request is carried out and its answer replaced (a post made, the answer lost).
 *
 * Not implemented (on purpose): transport compression (a `compress` query parameter is ignored, frames
 * stay JSON text, which discord.js accepts), ETF, heartbeat timeouts, session expiry, rate-limit buckets
 * (no x-ratelimit-* headers unless a 429 is injected), permissions (except Manage Webhooks, per channel
 * and bot, and a command's default_member_permissions against useCommand's `permissions`; no bot has
 * Manage Messages), role and channel permission overwrites, privileged-intent approval, file uploads,
 * attachment or flag edits, bulk deletes, MESSAGE_DELETE_BULK, threads, webhook edit/delete through REST,
 * webhooks' default avatars, WEBHOOKS_UPDATE events, typing gateway events (recorded, not dispatched),
 * single-command routes (POST/PATCH/DELETE /commands/:id) and command permissions (PUT .../permissions),
 * other interaction types and callback types, follow-up messages, and posting a non-ephemeral
 * interaction response into the channel.
 *
 * This class is the test-facing surface; the modules beside it each own one concern: guild (members and
 * channels), messages, reactions, commands and interactions, webhooks, the gateway, the REST API and its
 * faults.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  GatewayDispatchEvents,
  GatewayIntentBits,
  PermissionFlagsBits,
  type APIApplicationCommand,
  type APIWebhook,
} from 'discord.js';
import { ChannelRoutes, type TypingEvent } from './channelRoutes';
import { CommandRegistry } from './commands';
import { Faults, type FailureInjection } from './faults';
import { Gateway, shardOf } from './gateway';
import { Guild, type BotUser } from './guild';
import { Interactions, type InteractionResponseView, type UseCommandOptions } from './interactions';
import { Messages, type StoredMessage, type UserSaysOptions } from './messages';
import { EVERYONE_PERMISSIONS } from './objects';
import { Reactions, type ReactionEvent } from './reactions';
import { RestApi, type RestCall } from './rest';
import { Webhooks } from './webhooks';

export { shardOf };
export type {
  BotUser,
  FailureInjection,
  InteractionResponseView,
  ReactionEvent,
  RestCall,
  StoredMessage,
  TypingEvent,
  UseCommandOptions,
  UserSaysOptions,
};

export interface FakeDiscordOptions {
  port?: number;
  /** HELLO's heartbeat_interval (Discord: 41250 ms). Lower it to see heartbeats in short tests. */
  heartbeatIntervalMs?: number;
  /** Shards GET /gateway/bot recommends (default 1); `recommendedShards` changes it later. */
  recommendedShards?: number;
}

export class FakeDiscord {
  readonly guildId: string;
  /** POST /channels/:id/typing calls. */
  readonly typingEvents: TypingEvent[];
  /** PUT .../reactions/:emoji/@me calls (a repeated reaction is recorded once, as Discord keeps one). */
  readonly reactions: ReactionEvent[];
  /** Every REST call in arrival order, including rejected and injected ones. */
  readonly restCalls: RestCall[];
  /** What GET /gateway/bot answers in `shards`: what discord.js runs with `shards: 'auto'`. */
  recommendedShards = 1;
  port = 0;

  private readonly guild = new Guild();
  private readonly faults = new Faults();
  private readonly commandRegistry = new CommandRegistry();
  private readonly gateway: Gateway;
  private readonly messageStore: Messages;
  private readonly reactionRecords: Reactions;
  private readonly interactions: Interactions;
  private readonly webhookRecords: Webhooks;
  private readonly rest: RestApi;
  private readonly http = createServer((req, res) => void this.rest.handle(req, res));

  constructor(heartbeatIntervalMs = 41_250) {
    this.guildId = this.guild.id;
    const gatewayUrl = () => this.gatewayUrl;
    this.gateway = new Gateway(this.guild, gatewayUrl, heartbeatIntervalMs);
    this.messageStore = new Messages(this.guild, this.gateway);
    this.reactionRecords = new Reactions(this.guild, this.messageStore, this.gateway);
    const channels = new ChannelRoutes(this.guild, this.messageStore, this.reactionRecords);
    this.webhookRecords = new Webhooks(this.guild, this.messageStore);
    // Bots hold the @everyone permissions, plus Manage Webhooks unless a test took it.
    const appPermissions = (channelId: string, botId: string): bigint =>
      BigInt(EVERYONE_PERMISSIONS) |
      (this.webhookRecords.mayManage(channelId, botId) ? PermissionFlagsBits.ManageWebhooks : 0n);
    this.interactions = new Interactions(this.guild, this.commandRegistry, this.gateway, appPermissions);
    const routes = {
      channels,
      commands: this.commandRegistry,
      interactions: this.interactions,
      webhooks: this.webhookRecords,
    };
    this.rest = new RestApi(this.guild, this.faults, routes, gatewayUrl, () => this.recommendedShards);
    this.typingEvents = channels.typingEvents;
    this.reactions = this.reactionRecords.byBots;
    this.restCalls = this.rest.calls;
    this.http.on('upgrade', (req, socket, head) => this.gateway.upgrade(req, socket, head));
  }

  async listen(port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (this.http.address() as AddressInfo).port;
  }

  /** Base for discord.js `rest.api` and @discordjs/rest `api`: http://127.0.0.1:PORT/api */
  get apiUrl(): string {
    return `http://127.0.0.1:${this.port}/api`;
  }

  get gatewayUrl(): string {
    return `ws://127.0.0.1:${this.port}/gateway`;
  }

  // ----- test-driver API --------------------------------------------------------------------------

  /** Register a bot account, before it logs in. Its application id is its user id, as for new bots. */
  addBot(bot: { token: string; id?: string; username: string }): BotUser {
    return this.guild.addBot(bot);
  }

  /**
   * Another guild, with every bot in it (its name defaults to "Quahog <n>"). `shard` [id, count] gives it
   * an id on that shard (Discord's ids fall where they fall; a test wants to know). Sessions already
   * connected on its shard get GUILD_CREATE, as when a bot joins a guild.
   */
  addGuild(options: { name?: string; shard?: [number, number] } = {}): string {
    const guildId = this.guild.addGuild(options);
    for (const session of this.gateway.sessionsOfGuild(guildId, GatewayIntentBits.Guilds)) {
      void this.gateway.dispatch(session, GatewayDispatchEvents.GuildCreate, this.guild.guildCreate(guildId));
    }
    return guildId;
  }

  /** Every guild's id, the first (`guildId`) included. */
  guildIds(): string[] {
    return this.guild.guildIds();
  }

  /**
   * A text channel in `guildId` (default: the first guild). Bots already connected on its shard get a
   * CHANNEL_CREATE (with the Guilds intent).
   */
  createTextChannel(name?: string, guildId = this.guildId): string {
    const channel = this.guild.addTextChannel(name, guildId);
    for (const session of this.gateway.sessionsSeeing(channel, GatewayIntentBits.Guilds)) {
      const data = this.guild.channelObject(channel);
      void this.gateway.dispatch(session, GatewayDispatchEvents.ChannelCreate, data);
    }
    return channel.id;
  }

  /** A DM between a bot and a human (named `username`, else user-XXXX unless already known). */
  createDmChannel(botId: string, userId: string, username?: string): string {
    return this.guild.addDmChannel(botId, userId, username).id;
  }

  /** A human posts; resolves once MESSAGE_CREATE is written to every session that can see it. */
  async userSays(options: UserSaysOptions): Promise<StoredMessage> {
    const message = this.messageStore.createFromHuman(options);
    await this.messageStore.deliver(message);
    return structuredClone(message);
  }

  /** Dispatch the identical MESSAGE_CREATE again, as an at-least-once gateway may; nothing is created. */
  redeliver(messageId: string): Promise<void> {
    return this.messageStore.redeliver(messageId);
  }

  // ----- reactions and slash commands -------------------------------------------------------------

  /**
   * A human reacts to a message (`emoji`: a unicode emoji, or 'name:id' for a custom one). Every session
   * with the GuildMessageReactions (DMs: DirectMessageReactions) intent that can see the channel gets
   * MESSAGE_REACTION_ADD; reacting again with the same emoji does nothing, as on Discord.
   */
  react(userId: string, channelId: string, messageId: string, emoji: string): Promise<void> {
    return this.reactionRecords.humanReacts(userId, channelId, messageId, emoji);
  }

  /** The human takes a reaction back: MESSAGE_REACTION_REMOVE (nothing if they had not reacted so). */
  unreact(userId: string, channelId: string, messageId: string, emoji: string): Promise<void> {
    return this.reactionRecords.humanUnreacts(userId, channelId, messageId, emoji);
  }

  /**
   * The application commands a bot registered: global (PUT /applications/:id/commands), or with
   * `guildId` that guild's (PUT /applications/:id/guilds/:guild/commands).
   */
  commands(applicationId: string, guildId?: string): APIApplicationCommand[] {
    return this.commandRegistry.list(applicationId, guildId ?? null);
  }

  /**
   * A human uses a bot's chat-input (slash) command: INTERACTION_CREATE to that bot, as a Discord client
   * sends it, so the options must fit the registered command (an error is thrown otherwise, since the
   * client would not send it). Read the bot's answer with `interactionResponse(id)`.
   */
  useCommand(options: UseCommandOptions): Promise<{ id: string; token: string }> {
    return this.interactions.use(options);
  }

  /** How the bot answered an interaction so far (undefined while it has not acknowledged it). */
  interactionResponse(interactionId: string): InteractionResponseView | undefined {
    return this.interactions.view(interactionId);
  }

  /** All stored messages (users' and bots'), oldest first; copies. */
  messages(channelId?: string): StoredMessage[] {
    return this.messageStore.list(channelId);
  }

  /**
   * The content each edit of a message set (a bot's PATCH, or its webhook's), oldest first; [] if it
   * was never edited. Kept after the message is deleted.
   */
  editsOf(messageId: string): string[] {
    return this.messageStore.editsOf(messageId);
  }

  /** Deleted messages (by a bot or through a webhook) as they were when deleted, oldest deletion first. */
  deletedMessages(channelId?: string): StoredMessage[] {
    return this.messageStore.deletedMessages(channelId);
  }

  /** Only the messages bots created through REST (POST /channels/:id/messages), not webhooks' posts. */
  botMessages(channelId?: string): StoredMessage[] {
    return this.messageStore.botMessages(channelId);
  }

  /**
   * Resolves with the first bot message that replies to `messageId` (already posted or
   * still to come), without polling: for benchmarks that time replies.
   */
  replyTo(messageId: string, timeoutMs = 60_000): Promise<StoredMessage> {
    return this.messageStore.replyTo(messageId, timeoutMs);
  }

  // ----- webhooks ----------------------------------------------------------------------------------

  /** Take Manage Webhooks from a bot in a channel: its GET/POST .../webhooks are then 403 (50013). */
  denyManageWebhooks(channelId: string, botUserId: string): void {
    this.webhookRecords.deny(channelId, botUserId);
  }

  /** Give Manage Webhooks back (every bot has it unless denied). */
  allowManageWebhooks(channelId: string, botUserId: string): void {
    this.webhookRecords.allow(channelId, botUserId);
  }

  /** A channel's webhooks (or all), oldest first, tokens included, as the channel's admin would see them. */
  webhooks(channelId?: string): APIWebhook[] {
    return this.webhookRecords.list(channelId);
  }

  /** A webhook a human made in Discord's UI (no application owns it), e.g. to fill a channel to 15. */
  addHumanWebhook(channelId: string, name = 'Captain Hook'): APIWebhook {
    return this.webhookRecords.addByHuman(channelId, name);
  }

  /** Delete a webhook as a server admin would: executing it is then 404 Unknown Webhook (10015). */
  deleteWebhook(webhookId: string): void {
    this.webhookRecords.delete(webhookId);
  }

  /** The messages posted by executing webhooks, oldest first; copies. */
  webhookMessages(channelId?: string): StoredMessage[] {
    return this.webhookRecords.posted(channelId);
  }

  /** The avatar_url a webhook message was posted with (null: none); undefined for any other message. */
  webhookAvatarUrl(messageId: string): string | null | undefined {
    return this.webhookRecords.avatarUrlOf(messageId);
  }

  /** The next `times` matching REST calls get `status` and have no effect. */
  failNext(injection: FailureInjection): void {
    this.faults.add(injection);
  }

  /** Ids of bots with an identified (or resumed) gateway session on an open socket. */
  connectedBots(): string[] {
    return this.gateway.connectedBots();
  }

  /** Each identified (or resumed) gateway session on an open socket: its bot and [shard id, shard count]. */
  connectedShards(): Array<{ botId: string; shard: [number, number] }> {
    return this.gateway.connectedShards();
  }

  waitForBotsReady(count: number, timeoutMs = 15_000): Promise<void> {
    return this.gateway.waitForBotsReady(count, timeoutMs);
  }

  /**
   * Close gateway sockets (all, or one bot's) like a network drop. With `resumable` (default true) the
   * clients RESUME and get what they missed; otherwise their RESUME is refused and they IDENTIFY again.
   */
  dropConnections({
    botId,
    code = 4000,
    resumable = true,
  }: { botId?: string; code?: number; resumable?: boolean } = {}): void {
    this.gateway.dropConnections({ botId, code, resumable });
  }

  /** Terminate every socket and stop the server. Destroy discord.js clients first or they reconnect. */
  async close(): Promise<void> {
    this.gateway.close();
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
    this.messageStore.stopWaiting();
  }
}

/** Start a fake Discord on 127.0.0.1 (a random free port unless `port` is given). */
export async function startFakeDiscord(options: FakeDiscordOptions = {}): Promise<FakeDiscord> {
  const fake = new FakeDiscord(options.heartbeatIntervalMs);
  fake.recommendedShards = options.recommendedShards ?? 1;
  await fake.listen(options.port ?? 0);
  return fake;
}
