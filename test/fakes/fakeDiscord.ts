/**
 * A small fake of Discord for tests: a subset of the REST API (/api/v10) and of the gateway (JSON over
 * WebSocket), both on 127.0.0.1, so the REAL discord.js / @discordjs/rest clients run against it:
 *
 *   new Client({ intents, rest: { api: fake.apiUrl } })      // discord.js
 *   new REST({ api: fake.apiUrl }).setToken(token)           // @discordjs/rest
 *
 * The fake holds one guild. Bots are registered with `addBot` before they log in; the test plays the
 * humans with `userSays`. Every message (a user's or a bot's) is dispatched as MESSAGE_CREATE to every
 * gateway session that can see the channel, the author included, as Discord does.
 *
 * What it does like Discord:
 * - Gateway: HELLO, IDENTIFY -> READY + GUILD_CREATE, heartbeat ACKs, the documented close codes for bad
 *   payloads/tokens. RESUME really resumes: each session keeps what it was sent and a RESUME replays
 *   everything after the client's `seq`, then RESUMED. A client closing with 1000/1001 ends its session
 *   (a later RESUME gets INVALID_SESSION, op 9 d:false); any other drop keeps it resumable.
 * - Intents: MESSAGE_CREATE only to sessions that identified with GuildMessages / DirectMessages, and
 *   without MessageContent the content is blanked except in DMs, the bot's own and mentioning messages.
 * - REST: validation errors with Discord's codes and shapes, enforce_nonce, replies (message_reference,
 *   referenced_message, type 19), mentions (`<@id>`, `<@&id>`, @everyone/@here) filtered by
 *   allowed_mentions into mentions / mention_roles / mention_everyone, injected 429s (per route or global)
 *   with retry_after / Retry-After that discord.js waits out; request bodies are kept in `restCalls`.
 * - REST message objects carry no guild_id/member; gateway ones do (plus channel_type).
 * - Reactions: `react`/`unreact` (humans) and a bot's PUT .../reactions/:emoji/@me dispatch
 *   MESSAGE_REACTION_ADD / _REMOVE (with member and message_author_id) to sessions with the reactions intent.
 * - Slash commands: PUT/GET /applications/:id/commands (global, bulk overwrite, validated); `useCommand`
 *   dispatches INTERACTION_CREATE to the command's bot only; POST /interactions/:id/:token/callback
 *   (types 4 and 5, within 3 s, once) and GET/PATCH /webhooks/:app/:token/messages/@original, unauthenticated
 *   like Discord's; `interactionResponse` shows what the user sees.
 *
 * Not implemented (on purpose): transport compression (a `compress` query parameter is ignored, frames
 * stay JSON text, which discord.js accepts), ETF, heartbeat timeouts, session expiry, rate-limit buckets
 * (no x-ratelimit-* headers unless a 429 is injected), permissions, privileged-intent approval, file
 * uploads, message edit/delete, typing gateway events (recorded, not dispatched), other interaction types and
 * callback types, follow-up messages, and posting a non-ephemeral interaction response into the channel.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createServer, STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import {
  ChannelType,
  GatewayCloseCodes,
  GatewayDispatchEvents,
  GatewayIntentBits,
  GatewayOpcodes,
  Locale,
  MessageType,
  PermissionFlagsBits as P,
  RESTJSONErrorCodes,
  type APIDMChannel,
  type APIGuildMemberNoUser,
  type APIMessage,
  type APITextChannel,
  type APIUser,
  type GatewayGuildCreateDispatchData,
  type GatewayMessageCreateDispatchData,
  type GatewayReadyDispatchData,
  type RESTGetAPIGatewayBotResult,
  type RESTPostAPIChannelMessageJSONBody,
  ApplicationCommandOptionType,
  ApplicationCommandType,
  ApplicationIntegrationType,
  InteractionContextType,
  InteractionResponseType,
  InteractionType,
  MessageFlags,
  ReactionType,
  type APIApplicationCommand,
  type APIApplicationCommandInteractionDataBasicOption,
  type APIApplicationCommandOption,
  type APIChatInputApplicationCommandInteraction,
  type GatewayMessageReactionAddDispatchData,
  type GatewayMessageReactionRemoveDispatchData,
} from 'discord.js';
import { readBody } from './httpBody';

export interface BotUser {
  id: string;
  username: string;
  token: string;
}

/** A message as Discord's REST API returns it, plus the guild it belongs to (absent for DMs). */
export type StoredMessage = APIMessage & { guild_id?: string };

export interface UserSaysOptions {
  channelId: string;
  /** The human speaking; defaults to the guild owner ('tester'), or to the DM's user in a DM. */
  author?: { id: string; username: string };
  content: string;
  /** User ids to mention, in addition to any `<@id>` written in the content. */
  mentions?: string[];
  /** Id of a message in the same channel that this one replies to. */
  replyTo?: string;
  /** Like the Discord client's "@ ON" reply toggle (default true): mention the replied-to author. */
  mentionRepliedUser?: boolean;
  /** Files sent with the message (metadata only; nothing is uploaded). */
  attachments?: Array<{ filename: string; size?: number; contentType?: string }>;
}

export interface RestCall {
  method: string;
  /** Route without the /api/vN prefix and without the query, e.g. '/channels/123/messages'. */
  path: string;
  status: number;
  /** The bot whose token authenticated the call. */
  botId?: string;
  /** True when the answer came from `failNext`. */
  injected?: boolean;
  /** The parsed JSON body the client sent, if any (e.g. a message's allowed_mentions). */
  body?: unknown;
}

export interface TypingEvent {
  channelId: string;
  userId: string;
  at: number;
}

export interface ReactionEvent {
  channelId: string;
  messageId: string;
  userId: string;
  /** The emoji as in the URL, decoded: a unicode emoji, or 'name:id' for a custom one. */
  emoji: string;
}

export interface FailureInjection {
  /** HTTP method to match (any if omitted). */
  method?: string;
  /** Tested against the route without the /api/vN prefix, e.g. /\/channels\/\d+\/messages$/. */
  path?: RegExp;
  status: number;
  /** How many matching calls fail (default 1). */
  times?: number;
  /** For 429: retry_after and Retry-After in seconds (default 0.1; Discord's are usually whole seconds). */
  retryAfterSeconds?: number;
  /** For 429: the global limit (X-RateLimit-Global, scope global, `global: true`) instead of a route's. */
  global?: boolean;
  /**
   * Carry the request out first, then answer `status` anyway: a response lost after Discord
   * acted (a timeout at the edge), which is what makes retried posts dangerous.
   */
  afterEffect?: boolean;
}

export interface UseCommandOptions {
  /** The bot (application) whose command is used. */
  applicationId: string;
  channelId: string;
  /** The human using it; defaults to the guild owner ('tester'), or to the DM's user in a DM. */
  user?: { id: string; username: string };
  name: string;
  /** Option values by name (chat-input commands without subcommands). */
  options?: Record<string, string | number | boolean>;
}

/** A bot's answer to an interaction, as the user sees it. */
export interface InteractionResponseView {
  /** 4: a message; 5: deferred ("<bot> is thinking..."). */
  type: InteractionResponseType;
  /** Only the user who used the command sees it. */
  ephemeral: boolean;
  /** The response's text; null while it is deferred and the bot has not edited it yet. */
  content: string | null;
}

export interface FakeDiscordOptions {
  port?: number;
  /** HELLO's heartbeat_interval (Discord: 41250 ms). Lower it to see heartbeats in short tests. */
  heartbeatIntervalMs?: number;
}

// Snowflakes: (ms since the Discord epoch << 22) | increment, so ids sort by creation like real ones and
// discord.js' createdTimestamp works. Process-wide, so two fakes never hand out the same id.
const DISCORD_EPOCH = 1_420_070_400_000n;
let lastMs = 0n;
let increment = 0n;

function nextSnowflake(): string {
  const now = BigInt(Date.now()) - DISCORD_EPOCH;
  if (now > lastMs) [lastMs, increment] = [now, 0n];
  else if (++increment > 0xfffn) [lastMs, increment] = [lastMs + 1n, 0n];
  return ((lastMs << 22n) | increment).toString();
}

/** Discord's timestamp format (2024-05-01T12:00:00.123000+00:00) for the moment a snowflake was made. */
function snowflakeTime(id: string): string {
  return new Date(Number((BigInt(id) >> 22n) + DISCORD_EPOCH)).toISOString().replace('Z', '000+00:00');
}

interface ChannelRecord {
  id: string;
  name: string;
  /** For DMs: the bot and the human in it. */
  dm?: { botId: string; userId: string };
  position: number;
  lastMessageId: string | null;
}

interface InteractionRecord {
  id: string;
  token: string;
  applicationId: string;
  channelId: string;
  user: APIUser;
  createdAt: number;
  /** The initial response (then edited through the webhook routes); null until acknowledged. */
  response: { type: InteractionResponseType; message: APIMessage } | null;
}

interface BotRecord extends BotUser {
  user: APIUser;
}

interface Dispatch {
  op: GatewayOpcodes.Dispatch;
  t: string;
  s: number;
  d: unknown;
}

interface Session {
  id: string;
  bot: BotRecord;
  intents: number;
  seq: number;
  /** Null while the client is away but may still RESUME. */
  socket: WebSocket | null;
  /** What this session was sent (the last MAX_BACKLOG dispatches), replayed on RESUME. */
  sent: Dispatch[];
  ended: boolean;
}

interface Connection {
  socket: WebSocket;
  session: Session | null;
  /** Set when the fake closes the socket itself, so the close code is not taken as the client's. */
  closedByServer: boolean;
}

type Injection = Required<Omit<FailureInjection, 'method' | 'path'>> &
  Pick<FailureInjection, 'method' | 'path'>;

/** Thrown by route handlers; becomes a JSON error response. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: object,
  ) {
    super(`HTTP ${status}`);
  }
}

const fail = (status: number, code: number, message: string): HttpError =>
  new HttpError(status, { message, code });

/** A request's JSON body (undefined when empty); Discord's 400 for anything else. */
function parseJsonBody(raw: string): unknown {
  try {
    return raw ? JSON.parse(raw) : undefined;
  } catch {
    throw fail(
      400,
      RESTJSONErrorCodes.RequestBodyContainsInvalidJSON,
      'The request body contains invalid JSON.',
    );
  }
}
/** Discord's 50035 shape: { code, message, errors: { field: { _errors: [{ code, message }] } } }. */
const invalidForm = (field: string, code: string, message: string): HttpError =>
  new HttpError(400, {
    code: RESTJSONErrorCodes.InvalidFormBodyOrContentType,
    message: 'Invalid Form Body',
    errors: { [field]: { _errors: [{ code, message }] } },
  });
const notFound = (): HttpError => fail(404, 0, '404: Not Found');

/** An empty bit field: discord-api-types' flag enums have no 0 member, hence the cast. */
const NO_FLAGS = 0 as never;
const MAX_BACKLOG = 1_000;
const ENFORCE_NONCE_WINDOW_MS = 5 * 60_000;
/** Usual @everyone permissions of a new guild (informative only: the fake enforces none). */
const EVERYONE_PERMISSIONS = (
  P.ViewChannel |
  P.SendMessages |
  P.ReadMessageHistory |
  P.AddReactions |
  P.EmbedLinks |
  P.AttachFiles
).toString();

function makeUser(id: string, username: string, bot = false): APIUser {
  const user: APIUser = { id, username, discriminator: '0', global_name: username, avatar: null };
  return { ...user, public_flags: NO_FLAGS, flags: NO_FLAGS, ...(bot && { bot: true }) };
}

/** User ids written as <@id> or <@!id> in a message, in order, without duplicates. */
function mentionedIdsIn(content: string): string[] {
  return [...new Set([...content.matchAll(/<@!?(\d{15,25})>/g)].map((match) => match[1] ?? ''))];
}

/** Role ids written as <@&id> in a message (any id: the fake does not check that the role exists). */
function mentionedRoleIdsIn(content: string): string[] {
  return [...new Set([...content.matchAll(/<@&(\d{15,25})>/g)].map((match) => match[1] ?? ''))];
}

const MENTIONS_EVERYONE = /@(?:everyone|here)\b/;

/** A copy of `value` without `keys`. */
function omit<T extends object, K extends keyof T>(value: T, ...keys: K[]): Omit<T, K> {
  const copy: Partial<T> = structuredClone(value);
  for (const key of keys) delete copy[key];
  return copy as Omit<T, K>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A 50035 error for a nested field, e.g. ['0', 'options', '1', 'name'] of a command list. */
function invalidFormAt(path: string[], code: string, message: string): HttpError {
  let errors: object = { _errors: [{ code, message }] };
  for (const key of [...path].reverse()) errors = { [key]: errors };
  return new HttpError(400, {
    code: RESTJSONErrorCodes.InvalidFormBodyOrContentType,
    message: 'Invalid Form Body',
    errors,
  });
}

/** Discord's rule for command and option names (chat-input ones are lower case). */
const COMMAND_NAME = /^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$/u;

/** What Discord would refuse in a registered command (a subset of its checks), or null. */
function commandProblem(
  command: Record<string, unknown>,
  type: ApplicationCommandType,
): { path: string[]; code: string; message: string } | null {
  const chatInput = type === ApplicationCommandType.ChatInput;
  const badName = (name: unknown): boolean =>
    typeof name !== 'string' || !COMMAND_NAME.test(name) || (chatInput && name !== name.toLowerCase());
  const badDescription = (text: unknown): boolean =>
    typeof text !== 'string' || text.length < 1 || text.length > 100;
  const regex = { code: 'STRING_TYPE_REGEX', message: 'String value did not match validation regex.' };
  const length = { code: 'BASE_TYPE_BAD_LENGTH', message: 'Must be between 1 and 100 in length.' };
  if (badName(command.name)) return { path: ['name'], ...regex };
  if (!chatInput) return null;
  if (badDescription(command.description)) return { path: ['description'], ...length };
  const options: unknown[] = Array.isArray(command.options) ? command.options : [];
  if (options.length > 25) {
    return { path: ['options'], code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 25 or fewer in length.' };
  }
  let optionalSeen = false;
  for (const [index, raw] of options.entries()) {
    const option = isRecord(raw) ? raw : {};
    if (badName(option.name)) return { path: ['options', String(index), 'name'], ...regex };
    if (badDescription(option.description))
      return { path: ['options', String(index), 'description'], ...length };
    if (option.required === true && optionalSeen) {
      return {
        path: ['options'],
        code: 'APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID',
        message: 'Required options must be placed before non-required options',
      };
    }
    optionalSeen ||= option.required !== true;
  }
  return null;
}

/**
 * The `options` of a use of `command`, checked as a Discord client checks them before sending (required
 * options present, types, min/max values and lengths, choices). Throws for what a client would not send.
 */
function commandOptions(
  command: APIApplicationCommand,
  given: Record<string, string | number | boolean>,
): APIApplicationCommandInteractionDataBasicOption[] {
  const defined = command.options ?? [];
  const refuse = (why: string): never => {
    throw new Error(`/${command.name}: ${why} (a Discord client would not send it)`);
  };
  for (const option of defined) {
    if ('required' in option && option.required && !(option.name in given)) {
      refuse(`option ${option.name} is required`);
    }
  }
  return Object.entries(given).map(([name, value]) => {
    const option = defined.find((candidate) => candidate.name === name);
    if (!option) return refuse(`there is no option ${name}`);
    const spec = option as {
      min_value?: number;
      max_value?: number;
      min_length?: number;
      max_length?: number;
      choices?: Array<{ value: unknown }>;
    };
    const expected = {
      [ApplicationCommandOptionType.String]: 'string',
      [ApplicationCommandOptionType.Integer]: 'number',
      [ApplicationCommandOptionType.Number]: 'number',
      [ApplicationCommandOptionType.Boolean]: 'boolean',
    }[option.type as number];
    if (!expected) refuse(`option type ${option.type} is not supported by this fake`);
    if (
      typeof value !== expected ||
      (option.type === ApplicationCommandOptionType.Integer && !Number.isInteger(value))
    ) {
      refuse(`${name} must be of option type ${option.type}`);
    }
    if (typeof value === 'number') {
      if (value < (spec.min_value ?? -Infinity) || value > (spec.max_value ?? Infinity)) {
        refuse(`${name} must be between ${spec.min_value} and ${spec.max_value}`);
      }
    }
    if (typeof value === 'string') {
      const chars = [...value].length;
      if (chars < (spec.min_length ?? 0) || chars > (spec.max_length ?? 6000)) {
        refuse(`${name} has ${chars} characters`);
      }
    }
    if (spec.choices?.length && !spec.choices.some((choice) => choice.value === value)) {
      refuse(`${name} must be one of its choices`);
    }
    return { name, type: option.type, value } as APIApplicationCommandInteractionDataBasicOption;
  });
}

export class FakeDiscord {
  readonly guildId = nextSnowflake();
  /** POST /channels/:id/typing calls. */
  readonly typingEvents: TypingEvent[] = [];
  /** PUT .../reactions/:emoji/@me calls (a repeated reaction is recorded once, as Discord keeps one). */
  readonly reactions: ReactionEvent[] = [];
  /** Every REST call in arrival order, including rejected and injected ones. */
  readonly restCalls: RestCall[] = [];
  port = 0;

  private readonly http = createServer((req, res) => void this.onHttp(req, res));
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly owner = makeUser(nextSnowflake(), 'tester');
  private readonly users = new Map<string, APIUser>([[this.owner.id, this.owner]]);
  private readonly botsByToken = new Map<string, BotRecord>();
  private readonly channels = new Map<string, ChannelRecord>();
  private readonly store: StoredMessage[] = [];
  private readonly postedViaRest = new Set<string>();
  private readonly nonces = new Map<string, { message: StoredMessage; at: number }>();
  private readonly sessions = new Map<string, Session>();
  private readonly connections = new Set<Connection>();
  private readonly injections: Injection[] = [];
  /** Humans' reactions held now: `<message id> <user id> <emoji>`. */
  private readonly heldReactions = new Set<string>();
  private readonly commandsByApp = new Map<string, APIApplicationCommand[]>();
  private readonly interactions = new Map<string, InteractionRecord>();
  /** Emits 'sessions' whenever a gateway session comes up or goes away. */
  // One listener per pending replyTo(): many at once in a benchmark.
  private readonly events = new EventEmitter().setMaxListeners(0);

  constructor(private readonly heartbeatIntervalMs = 41_250) {
    this.http.on('upgrade', (req: IncomingMessage, socket, head) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (url.pathname.replace(/\/+$/, '') !== '/gateway') {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.onSocket(ws, url.searchParams));
    });
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

  /** A guild text channel. Bots already connected get a CHANNEL_CREATE (with the Guilds intent). */
  createTextChannel(name = `channel-${this.channels.size + 1}`): string {
    const channel: ChannelRecord = {
      id: nextSnowflake(),
      name,
      position: this.channels.size,
      lastMessageId: null,
    };
    this.channels.set(channel.id, channel);
    for (const session of this.liveSessions()) {
      if (session.intents & GatewayIntentBits.Guilds) {
        void this.dispatch(session, GatewayDispatchEvents.ChannelCreate, this.channelObject(channel));
      }
    }
    return channel.id;
  }

  /** A DM between a bot and a human (named `username`, else user-XXXX unless already known). */
  createDmChannel(botId: string, userId: string, username?: string): string {
    if (!this.isBot(botId) || this.isBot(userId)) {
      throw new Error('a DM is between a registered bot and a human');
    }
    if (username !== undefined) this.users.set(userId, makeUser(userId, username));
    const channel: ChannelRecord = {
      id: nextSnowflake(),
      name: '',
      dm: { botId, userId },
      position: 0,
      lastMessageId: null,
    };
    this.channels.set(channel.id, channel);
    this.userById(userId);
    return channel.id;
  }

  /** A human posts; resolves once MESSAGE_CREATE is written to every session that can see it. */
  async userSays(options: UserSaysOptions): Promise<StoredMessage> {
    const channel = this.channels.get(options.channelId);
    if (!channel) throw new Error(`unknown channel ${options.channelId}`);
    let author = channel.dm ? this.userById(channel.dm.userId) : this.owner;
    if (options.author) {
      if (this.isBot(options.author.id)) throw new Error('bots post through REST, not userSays');
      author = makeUser(options.author.id, options.author.username);
      this.users.set(author.id, author);
    }
    if (channel.dm && channel.dm.userId !== author.id) throw new Error('only the DM user can speak in a DM');
    const replied = options.replyTo === undefined ? undefined : this.findMessage(channel.id, options.replyTo);
    if (options.replyTo !== undefined && !replied) throw new Error(`unknown message ${options.replyTo}`);
    const mentionIds = new Set([...(options.mentions ?? []), ...mentionedIdsIn(options.content)]);
    const message = this.createMessage(channel, author, {
      content: options.content,
      mentions: [...mentionIds].map((id) => this.userById(id)),
      // Humans here may mention everyone and any role (the owner has every permission).
      mentionEveryone: !channel.dm && MENTIONS_EVERYONE.test(options.content),
      mentionRoles: channel.dm ? [] : mentionedRoleIdsIn(options.content),
      replied,
      mentionRepliedUser: options.mentionRepliedUser ?? true,
    });
    if (options.attachments) {
      message.attachments = options.attachments.map((file) => {
        const id = nextSnowflake();
        const url = `https://cdn.discordapp.com/attachments/${channel.id}/${id}/${file.filename}`;
        return {
          id,
          filename: file.filename,
          size: file.size ?? 1024,
          url,
          proxy_url: url.replace('cdn.discordapp.com', 'media.discordapp.net'),
          ...(file.contentType && { content_type: file.contentType }),
        };
      });
    }
    await this.deliverMessage(message);
    return structuredClone(message);
  }

  /** Dispatch the identical MESSAGE_CREATE again, as an at-least-once gateway may; nothing is created. */
  async redeliver(messageId: string): Promise<void> {
    const message = this.store.find((candidate) => candidate.id === messageId);
    if (!message) throw new Error(`unknown message ${messageId}`);
    await this.deliverMessage(message);
  }

  // ----- reactions and slash commands -------------------------------------------------------------

  /**
   * A human reacts to a message (`emoji`: a unicode emoji, or 'name:id' for a custom one). Every session
   * with the GuildMessageReactions (DMs: DirectMessageReactions) intent that can see the channel gets
   * MESSAGE_REACTION_ADD; reacting again with the same emoji does nothing, as on Discord.
   */
  async react(userId: string, channelId: string, messageId: string, emoji: string): Promise<void> {
    const { channel, message, user } = this.reactionTarget(userId, channelId, messageId);
    const key = `${messageId} ${userId} ${emoji}`;
    if (this.heldReactions.has(key)) return;
    this.heldReactions.add(key);
    await this.dispatchReaction('add', channel, message, user, emoji);
  }

  /** The human takes a reaction back: MESSAGE_REACTION_REMOVE (nothing if they had not reacted so). */
  async unreact(userId: string, channelId: string, messageId: string, emoji: string): Promise<void> {
    const { channel, message, user } = this.reactionTarget(userId, channelId, messageId);
    if (!this.heldReactions.delete(`${messageId} ${userId} ${emoji}`)) return;
    await this.dispatchReaction('remove', channel, message, user, emoji);
  }

  /** The global application commands a bot registered (PUT /applications/:id/commands). */
  commands(applicationId: string): APIApplicationCommand[] {
    return structuredClone(this.commandsByApp.get(applicationId) ?? []);
  }

  /**
   * A human uses a bot's chat-input (slash) command: INTERACTION_CREATE to that bot, as a Discord client
   * sends it, so the options must fit the registered command (an error is thrown otherwise, since the
   * client would not send it). Read the bot's answer with `interactionResponse(id)`.
   */
  async useCommand(options: UseCommandOptions): Promise<{ id: string; token: string }> {
    const channel = this.channels.get(options.channelId);
    if (!channel) throw new Error(`unknown channel ${options.channelId}`);
    const bot = [...this.botsByToken.values()].find((candidate) => candidate.id === options.applicationId);
    if (!bot) throw new Error(`unknown application ${options.applicationId}`);
    const command = this.commandsByApp.get(bot.id)?.find((c) => c.name === options.name);
    if (!command) throw new Error(`${bot.username} has not registered /${options.name}`);
    let user = channel.dm ? this.userById(channel.dm.userId) : this.owner;
    if (options.user) {
      user = makeUser(options.user.id, options.user.username);
      this.users.set(user.id, user);
    }
    if (channel.dm && (channel.dm.userId !== user.id || channel.dm.botId !== bot.id)) {
      throw new Error("a DM command is used by the DM's user with the DM's bot");
    }
    const record: InteractionRecord = {
      id: nextSnowflake(),
      token: `aW50ZXJhY3Rpb24${randomBytes(24).toString('base64url')}`,
      applicationId: bot.id,
      channelId: channel.id,
      user,
      createdAt: Date.now(),
      response: null,
    };
    const common = {
      id: record.id,
      application_id: bot.id,
      type: InteractionType.ApplicationCommand as const,
      token: record.token,
      version: 1 as const,
      data: {
        id: command.id,
        name: command.name,
        type: ApplicationCommandType.ChatInput as const,
        options: commandOptions(command, options.options ?? {}),
      },
      channel: this.channelObject(channel),
      channel_id: channel.id,
      app_permissions: EVERYONE_PERMISSIONS,
      locale: Locale.EnglishUS,
      entitlements: [],
      attachment_size_limit: 10 * 1024 * 1024,
    };
    const interaction: APIChatInputApplicationCommandInteraction = channel.dm
      ? {
          ...common,
          user,
          // "0": a DM with the app's bot user.
          authorizing_integration_owners: { [ApplicationIntegrationType.GuildInstall]: '0' },
          context: InteractionContextType.BotDM,
        }
      : {
          ...common,
          guild_id: this.guildId,
          guild: { id: this.guildId, locale: Locale.EnglishUS, features: [] },
          guild_locale: Locale.EnglishUS,
          member: { ...this.memberFields(), user, permissions: EVERYONE_PERMISSIONS },
          authorizing_integration_owners: { [ApplicationIntegrationType.GuildInstall]: this.guildId },
          context: InteractionContextType.Guild,
        };
    this.interactions.set(record.id, record);
    await Promise.all(
      this.liveSessions()
        .filter((session) => session.bot.id === bot.id)
        .map((session) => this.dispatch(session, GatewayDispatchEvents.InteractionCreate, interaction)),
    );
    return { id: record.id, token: record.token };
  }

  /** How the bot answered an interaction so far (undefined while it has not acknowledged it). */
  interactionResponse(interactionId: string): InteractionResponseView | undefined {
    const response = this.interactions.get(interactionId)?.response;
    if (!response) return undefined;
    const { flags = 0 } = response.message;
    return {
      type: response.type,
      ephemeral: (flags & MessageFlags.Ephemeral) !== 0,
      // A deferred response shows "<bot> is thinking..." until the original response is edited.
      content: flags & MessageFlags.Loading ? null : response.message.content,
    };
  }

  /** All stored messages (users' and bots'), oldest first; copies. */
  messages(channelId?: string): StoredMessage[] {
    return this.store
      .filter((message) => channelId === undefined || message.channel_id === channelId)
      .map((message) => structuredClone(message));
  }

  /** Only the messages created through REST (POST /channels/:id/messages). */
  botMessages(channelId?: string): StoredMessage[] {
    return this.messages(channelId).filter((message) => this.postedViaRest.has(message.id));
  }

  /**
   * Resolves with the first bot message that replies to `messageId` (already posted or
   * still to come), without polling: for benchmarks that time replies.
   */
  replyTo(messageId: string, timeoutMs = 60_000): Promise<StoredMessage> {
    const posted = this.store.find(
      (m) => this.postedViaRest.has(m.id) && m.message_reference?.message_id === messageId,
    );
    if (posted) return Promise.resolve(structuredClone(posted));
    return new Promise((resolve, reject) => {
      const onMessage = (message: StoredMessage) => {
        if (message.message_reference?.message_id !== messageId) return;
        clearTimeout(timer);
        this.events.off('botMessage', onMessage);
        resolve(structuredClone(message));
      };
      const timer = setTimeout(() => {
        this.events.off('botMessage', onMessage);
        reject(new Error(`no bot replied to ${messageId} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.events.on('botMessage', onMessage);
    });
  }

  /** The next `times` matching REST calls get `status` and have no effect. */
  failNext({
    method,
    path,
    status,
    times = 1,
    retryAfterSeconds = 0.1,
    afterEffect = false,
    global = false,
  }: FailureInjection): void {
    this.injections.push({
      method: method?.toUpperCase(),
      path,
      status,
      times,
      retryAfterSeconds,
      afterEffect,
      global,
    });
  }

  /** Ids of bots with an identified (or resumed) gateway session on an open socket. */
  connectedBots(): string[] {
    return [...new Set(this.liveSessions().flatMap((session) => (session.socket ? [session.bot.id] : [])))];
  }

  waitForBotsReady(count: number, timeoutMs = 15_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (this.connectedBots().length < count) return;
        clearTimeout(timer);
        this.events.off('sessions', check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.events.off('sessions', check);
        reject(new Error(`${this.connectedBots().length} of ${count} bots connected after ${timeoutMs} ms`));
      }, timeoutMs);
      this.events.on('sessions', check);
      check();
    });
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
    for (const connection of this.connections) {
      if (botId !== undefined && connection.session?.bot.id !== botId) continue;
      if (connection.session && !resumable) connection.session.ended = true;
      this.closeWith(connection, code, 'fake Discord dropped the connection');
    }
  }

  /** Terminate every socket and stop the server. Destroy discord.js clients first or they reconnect. */
  async close(): Promise<void> {
    for (const connection of this.connections) connection.socket.terminate();
    this.wss.close();
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
    this.events.removeAllListeners();
  }

  // ----- model ------------------------------------------------------------------------------------

  private isBot(id: string): boolean {
    return [...this.botsByToken.values()].some((bot) => bot.id === id);
  }

  private userById(id: string): APIUser {
    const user = this.users.get(id) ?? makeUser(id, `user-${id.slice(-4)}`);
    this.users.set(id, user);
    return user;
  }

  private findMessage(channelId: string, messageId: string): StoredMessage | undefined {
    return this.store.find((message) => message.id === messageId && message.channel_id === channelId);
  }

  /** Members have no roles or nicknames here; nested in message events without their user. */
  private memberFields(): APIGuildMemberNoUser {
    const joined_at = snowflakeTime(this.guildId);
    return {
      nick: null,
      avatar: null,
      banner: null,
      roles: [],
      joined_at,
      deaf: false,
      mute: false,
      flags: NO_FLAGS,
    };
  }

  private channelObject(channel: ChannelRecord): APITextChannel | APIDMChannel {
    const common = { id: channel.id, flags: NO_FLAGS, last_message_id: channel.lastMessageId };
    if (channel.dm) {
      return { ...common, type: ChannelType.DM, name: null, recipients: [this.userById(channel.dm.userId)] };
    }
    return {
      ...common,
      type: ChannelType.GuildText,
      guild_id: this.guildId,
      name: channel.name,
      position: channel.position,
      permission_overwrites: [],
      parent_id: null,
      topic: null,
      nsfw: false,
      rate_limit_per_user: 0,
    };
  }

  private guildCreate(): GatewayGuildCreateDispatchData {
    const bots = [...this.botsByToken.values()].map((bot) => bot.user);
    const members = [this.owner, ...bots].map((user) => ({ ...this.memberFields(), user }));
    const channels = [...this.channels.values()].filter((channel) => !channel.dm);
    return {
      id: this.guildId,
      name: 'Quahog',
      owner_id: this.owner.id,
      // The @everyone role has the guild's id.
      roles: [
        {
          id: this.guildId,
          name: '@everyone',
          permissions: EVERYONE_PERMISSIONS,
          position: 0,
          color: 0,
          colors: { primary_color: 0, secondary_color: null, tertiary_color: null },
          hoist: false,
          managed: false,
          mentionable: false,
          icon: null,
          unicode_emoji: null,
          flags: NO_FLAGS,
        },
      ],
      channels: channels.map((channel) => this.channelObject(channel) as APITextChannel),
      members,
      member_count: members.length,
      joined_at: snowflakeTime(this.guildId),
      large: false,
      unavailable: false,
      // The rest is what a fresh guild without features reports.
      icon: null,
      splash: null,
      discovery_splash: null,
      banner: null,
      description: null,
      region: 'us-east',
      afk_channel_id: null,
      afk_timeout: 300,
      verification_level: 0,
      default_message_notifications: 0,
      explicit_content_filter: 0,
      mfa_level: 0,
      nsfw_level: 0,
      premium_tier: 0,
      premium_subscription_count: 0,
      application_id: null,
      system_channel_id: null,
      system_channel_flags: NO_FLAGS,
      rules_channel_id: null,
      public_updates_channel_id: null,
      safety_alerts_channel_id: null,
      vanity_url_code: null,
      hub_type: null,
      max_video_channel_users: 25,
      max_stage_video_channel_users: 50,
      premium_progress_bar_enabled: false,
      emojis: [],
      stickers: [],
      features: [],
      incidents_data: null,
      preferred_locale: Locale.EnglishUS,
      voice_states: [],
      threads: [],
      presences: [],
      stage_instances: [],
      guild_scheduled_events: [],
      soundboard_sounds: [],
    };
  }

  private createMessage(
    channel: ChannelRecord,
    author: APIUser,
    args: {
      content: string;
      mentions: APIUser[];
      mentionEveryone?: boolean;
      mentionRoles?: string[];
      replied?: StoredMessage;
      mentionRepliedUser: boolean;
    } & Partial<Pick<APIMessage, 'nonce' | 'embeds'>> & { viaRest?: boolean },
  ): StoredMessage {
    const { replied } = args;
    const id = nextSnowflake();
    const guildId = channel.dm ? {} : { guild_id: this.guildId };
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
    if (args.viaRest) this.postedViaRest.add(id);
    channel.lastMessageId = id;
    if (args.viaRest) this.events.emit('botMessage', message);
    return message;
  }

  // ----- gateway ----------------------------------------------------------------------------------

  private liveSessions(): Session[] {
    return [...this.sessions.values()].filter((session) => !session.ended);
  }

  private send(socket: WebSocket, payload: object): Promise<void> {
    if (socket.readyState !== WebSocket.OPEN) return Promise.resolve();
    return new Promise((resolve) => socket.send(JSON.stringify(payload), () => resolve()));
  }

  /** Sequence, remember (for RESUME) and send if the client is connected. */
  private dispatch(session: Session, t: string, d: unknown): Promise<void> {
    const payload: Dispatch = { op: GatewayOpcodes.Dispatch, t, s: ++session.seq, d };
    session.sent.push(payload);
    if (session.sent.length > MAX_BACKLOG) session.sent.shift();
    return session.socket ? this.send(session.socket, payload) : Promise.resolve();
  }

  /** MESSAGE_CREATE to every live session that may see it: any bot for a guild channel, the DM's bot. */
  private async deliverMessage(message: StoredMessage): Promise<void> {
    const channel = this.channels.get(message.channel_id);
    if (!channel) return;
    const intent = channel.dm ? GatewayIntentBits.DirectMessages : GatewayIntentBits.GuildMessages;
    const sessions = this.liveSessions().filter(
      (session) => session.intents & intent && (!channel.dm || channel.dm.botId === session.bot.id),
    );
    const payload = (session: Session): GatewayMessageCreateDispatchData => {
      const data: GatewayMessageCreateDispatchData = {
        ...structuredClone(message),
        // discord.js needs channel_type to build a DM channel it has not cached.
        channel_type: channel.dm ? ChannelType.DM : ChannelType.GuildText,
      };
      if (!channel.dm) {
        data.member = this.memberFields();
        data.mentions = message.mentions.map((user) => ({ ...user, member: this.memberFields() }));
      }
      const exempt =
        channel.dm ||
        message.author.id === session.bot.id ||
        message.mentions.some((u) => u.id === session.bot.id);
      if (!exempt && !(session.intents & GatewayIntentBits.MessageContent)) {
        Object.assign(data, { content: '', embeds: [], attachments: [], components: [] });
      }
      return data;
    };
    await Promise.all(
      sessions.map((session) =>
        this.dispatch(session, GatewayDispatchEvents.MessageCreate, payload(session)),
      ),
    );
  }

  private onSocket(socket: WebSocket, query: URLSearchParams): void {
    const connection: Connection = { socket, session: null, closedByServer: false };
    this.connections.add(connection);
    socket.on('error', () => undefined);
    socket.on('close', (code) => {
      this.connections.delete(connection);
      const session = connection.session;
      if (!session || session.socket !== socket) return;
      session.socket = null;
      if (!connection.closedByServer && (code === 1000 || code === 1001)) session.ended = true;
      this.events.emit('sessions');
    });
    if ((query.get('v') ?? '10') !== '10') {
      return this.closeWith(connection, GatewayCloseCodes.InvalidAPIVersion, 'Invalid API version');
    }
    if ((query.get('encoding') ?? 'json') !== 'json') {
      return this.closeWith(connection, GatewayCloseCodes.DecodeError, 'This fake only speaks encoding=json');
    }
    socket.on('message', (data: RawData, isBinary: boolean) => this.onFrame(connection, data, isBinary));
    const hello = {
      op: GatewayOpcodes.Hello,
      d: { heartbeat_interval: this.heartbeatIntervalMs },
      s: null,
      t: null,
    };
    void this.send(socket, hello);
  }

  private closeWith(connection: Connection, code: number, reason: string): void {
    connection.closedByServer = true;
    connection.socket.close(code, reason);
  }

  private onFrame(connection: Connection, data: RawData, isBinary: boolean): void {
    let payload: unknown;
    try {
      const text = Buffer.isBuffer(data)
        ? data.toString()
        : Array.isArray(data)
          ? Buffer.concat(data).toString()
          : Buffer.from(data).toString();
      payload = isBinary ? undefined : JSON.parse(text);
    } catch {
      // handled below
    }
    if (!isRecord(payload) || typeof payload.op !== 'number') {
      return this.closeWith(connection, GatewayCloseCodes.DecodeError, 'Error while decoding payload.');
    }
    const d = isRecord(payload.d) ? payload.d : {};
    switch (payload.op) {
      case GatewayOpcodes.Heartbeat:
        return void this.send(connection.socket, { op: GatewayOpcodes.HeartbeatAck });
      case GatewayOpcodes.Identify:
      case GatewayOpcodes.Resume:
        if (connection.session) {
          return this.closeWith(connection, GatewayCloseCodes.AlreadyAuthenticated, 'Already authenticated.');
        }
        return payload.op === GatewayOpcodes.Identify
          ? this.identify(connection, d)
          : this.resume(connection, d);
      case GatewayOpcodes.PresenceUpdate:
      case GatewayOpcodes.VoiceStateUpdate:
      case GatewayOpcodes.RequestGuildMembers:
        // Accepted and ignored: the fake has no presences, voice or member chunks.
        if (!connection.session) {
          this.closeWith(connection, GatewayCloseCodes.NotAuthenticated, 'Not authenticated.');
        }
        return;
      default:
        this.closeWith(connection, GatewayCloseCodes.UnknownOpcode, 'Unknown opcode.');
    }
  }

  private identify(connection: Connection, d: Record<string, unknown>): void {
    const bot = typeof d.token === 'string' ? this.botsByToken.get(d.token) : undefined;
    if (!bot) {
      return this.closeWith(connection, GatewayCloseCodes.AuthenticationFailed, 'Authentication failed.');
    }
    if (typeof d.intents !== 'number') {
      return this.closeWith(connection, GatewayCloseCodes.InvalidIntents, 'Invalid intent(s).');
    }
    if (d.shard !== undefined && JSON.stringify(d.shard) !== '[0,1]') {
      return this.closeWith(connection, GatewayCloseCodes.InvalidShard, 'Invalid shard.');
    }
    const id = randomBytes(16).toString('hex');
    const session: Session = {
      id,
      bot,
      intents: d.intents,
      seq: 0,
      socket: connection.socket,
      sent: [],
      ended: false,
    };
    this.sessions.set(id, session);
    connection.session = session;
    const ready: GatewayReadyDispatchData = {
      v: 10,
      user: { ...bot.user, verified: true, mfa_enabled: false },
      guilds: [{ id: this.guildId, unavailable: true }],
      session_id: id,
      resume_gateway_url: this.gatewayUrl,
      shard: [0, 1],
      application: { id: bot.id, flags: NO_FLAGS, flags_new: '0' },
    };
    void this.dispatch(session, GatewayDispatchEvents.Ready, ready);
    void this.dispatch(session, GatewayDispatchEvents.GuildCreate, this.guildCreate());
    this.events.emit('sessions');
  }

  private resume(connection: Connection, d: Record<string, unknown>): void {
    const session = typeof d.session_id === 'string' ? this.sessions.get(d.session_id) : undefined;
    if (!session || session.ended || session.bot.token !== d.token) {
      // Not resumable: the client has to IDENTIFY again.
      return void this.send(connection.socket, {
        op: GatewayOpcodes.InvalidSession,
        d: false,
        s: null,
        t: null,
      });
    }
    const seq = d.seq;
    const oldest = session.sent[0]?.s ?? 1;
    if (typeof seq !== 'number' || seq > session.seq || seq < oldest - 1) {
      return this.closeWith(connection, GatewayCloseCodes.InvalidSeq, 'Invalid seq.');
    }
    // A still-open older socket of the same session is dropped, as Discord does.
    const previous = [...this.connections].find((other) => other.session === session && other !== connection);
    if (previous) this.closeWith(previous, 4009, 'Session resumed elsewhere');
    session.socket = connection.socket;
    connection.session = session;
    for (const missed of session.sent.filter((payload) => payload.s > seq))
      void this.send(connection.socket, missed);
    void this.dispatch(session, GatewayDispatchEvents.Resumed, null);
    this.events.emit('sessions');
  }

  // ----- REST -------------------------------------------------------------------------------------

  private async onHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = (req.method ?? 'GET').toUpperCase();
    const path = /^\/api(?:\/v\d+)?(\/.*)$/.exec(url.pathname)?.[1] ?? url.pathname;
    const call: RestCall = { method, path, status: 0 };
    this.restCalls.push(call);
    const reply = (status: number, body?: object, headers: Record<string, string> = {}): void => {
      call.status = status;
      if (body === undefined) res.writeHead(status, headers).end();
      else
        res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
    };
    try {
      const raw = (await readBody(req)).toString('utf8');
      try {
        call.body = raw ? (JSON.parse(raw) as unknown) : undefined;
      } catch {
        // not JSON: answered below
      }
      const injection = this.takeInjection(method, path);
      if (injection && !injection.afterEffect) {
        call.injected = true;
        return this.replyInjected(injection, reply);
      }
      if (method === 'GET' && path === '/gateway') return reply(200, { url: this.gatewayUrl });
      const interactionResult = this.interactionRoute(method, path, url.searchParams, raw);
      if (interactionResult) return reply(interactionResult.status, interactionResult.body);
      const token = /^Bot (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      const bot = token === undefined ? undefined : this.botsByToken.get(token);
      if (!bot) throw fail(401, 0, '401: Unauthorized');
      call.botId = bot.id;
      const body = parseJsonBody(raw);
      const result = await this.route(method, path, url.searchParams, bot, body);
      if (injection) {
        call.injected = true;
        return this.replyInjected(injection, reply);
      }
      reply(result.status, result.body);
    } catch (error) {
      if (error instanceof HttpError) reply(error.status, error.body);
      else reply(500, { message: `500: Internal Server Error (${String(error)})`, code: 0 });
    }
  }

  private takeInjection(method: string, path: string): Injection | undefined {
    const index = this.injections.findIndex(
      (injection) => (injection.method ?? method) === method && (injection.path?.test(path) ?? true),
    );
    const injection = this.injections[index];
    if (injection && --injection.times <= 0) this.injections.splice(index, 1);
    return injection;
  }

  private replyInjected(
    { status, retryAfterSeconds: after, global }: Injection,
    reply: (status: number, body?: object, headers?: Record<string, string>) => void,
  ): void {
    if (status !== 429) {
      return reply(status, { message: `${status}: ${STATUS_CODES[status] ?? 'Error'}`, code: 0 });
    }
    // A per-route ("user" scope) or the global limit, with the headers Discord sends along.
    reply(
      429,
      { message: 'You are being rate limited.', retry_after: after, global },
      {
        'retry-after': String(after),
        ...(global && { 'x-ratelimit-global': 'true' }),
        'x-ratelimit-scope': global ? 'global' : 'user',
        'x-ratelimit-limit': '5',
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': String(Date.now() / 1000 + after),
        'x-ratelimit-reset-after': String(after),
      },
    );
  }

  private async route(
    method: string,
    path: string,
    query: URLSearchParams,
    bot: BotRecord,
    body: unknown,
  ): Promise<{ status: number; body?: object }> {
    if (method === 'GET' && path === '/gateway/bot') {
      const limit = { total: 1000, remaining: 1000, reset_after: 86_400_000, max_concurrency: 1 };
      const result: RESTGetAPIGatewayBotResult = {
        url: this.gatewayUrl,
        shards: 1,
        session_start_limit: limit,
      };
      return { status: 200, body: result };
    }
    if (method === 'GET' && path === '/users/@me') {
      return { status: 200, body: { ...bot.user, verified: true } };
    }
    const [, applicationId] = /^\/applications\/(\d+)\/commands$/.exec(path) ?? [];
    if (applicationId) return this.applicationCommands(method, applicationId, bot, body);

    const [, channelId = '', rest = ''] = /^\/channels\/(\d+)(\/.*)?$/.exec(path) ?? [];
    if (!channelId) throw notFound();
    const channel = this.channels.get(channelId);
    if (!channel) throw fail(404, RESTJSONErrorCodes.UnknownChannel, 'Unknown Channel');
    if (channel.dm && channel.dm.botId !== bot.id) {
      throw fail(403, RESTJSONErrorCodes.MissingAccess, 'Missing Access');
    }
    if (method === 'GET' && rest === '') return { status: 200, body: this.channelObject(channel) };
    if (method === 'POST' && rest === '/messages') {
      return { status: 200, body: await this.postMessage(channel, bot, body) };
    }
    if (method === 'GET' && rest === '/messages') return { status: 200, body: this.history(channel, query) };
    if (method === 'POST' && rest === '/typing') {
      this.typingEvents.push({ channelId, userId: bot.id, at: Date.now() });
      return { status: 204 };
    }
    const [, messageId = '', sub = ''] = /^\/messages\/(\d+)(\/.*)?$/.exec(rest) ?? [];
    const message = this.findMessage(channelId, messageId);
    const [, emoji] = /^\/reactions\/([^/]+)\/@me$/.exec(sub) ?? [];
    if (!messageId || !((method === 'GET' && sub === '') || (method === 'PUT' && emoji))) throw notFound();
    if (!message) throw fail(404, RESTJSONErrorCodes.UnknownMessage, 'Unknown Message');
    if (method === 'GET') return { status: 200, body: omit(message, 'guild_id') };
    const reaction = { channelId, messageId, userId: bot.id, emoji: decodeURIComponent(emoji ?? '') };
    if (!this.reactions.some((r) => JSON.stringify(r) === JSON.stringify(reaction))) {
      this.reactions.push(reaction);
      await this.dispatchReaction('add', channel, message, bot.user, reaction.emoji);
    }
    return { status: 204 };
  }

  private async postMessage(channel: ChannelRecord, bot: BotRecord, raw: unknown): Promise<APIMessage> {
    const body: RESTPostAPIChannelMessageJSONBody = isRecord(raw) ? raw : {};
    const content = body.content ?? '';
    if (typeof content !== 'string') {
      throw invalidForm('content', 'STRING_TYPE_CONVERT', 'Could not interpret value as string.');
    }
    // Discord counts characters (code points), not UTF-16 units.
    if ([...content].length > 2000) {
      throw invalidForm('content', 'BASE_TYPE_MAX_LENGTH', 'Must be 2000 or fewer in length.');
    }
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

    const reference = body.message_reference;
    const replied = reference?.message_id
      ? this.findMessage(reference.channel_id ?? channel.id, reference.message_id)
      : undefined;
    if (reference && !replied && reference.fail_if_not_exists !== false) {
      throw invalidForm('message_reference', 'MESSAGE_REFERENCE_UNKNOWN_MESSAGE', 'Unknown message');
    }
    // Mentions are the known users written as <@id>, as far as allowed_mentions lets them through;
    // without allowed_mentions a reply also pings the replied-to author, with it only if replied_user.
    const allowed = body.allowed_mentions;
    const parseUsers = !allowed || (allowed.parse ?? []).some((kind) => kind === 'users');
    const userIds = mentionedIdsIn(content).filter(
      (id) => this.users.has(id) && (parseUsers || (allowed?.users ?? []).includes(id)),
    );
    // @everyone/@here and roles likewise (bots are taken to have the Mention Everyone permission).
    const parses = (kind: 'everyone' | 'roles'): boolean =>
      !allowed || (allowed.parse ?? []).some((parsed) => parsed === kind);
    const message = this.createMessage(channel, bot.user, {
      content,
      mentions: userIds.map((id) => this.userById(id)),
      mentionEveryone: !channel.dm && parses('everyone') && MENTIONS_EVERYONE.test(content),
      mentionRoles: channel.dm
        ? []
        : mentionedRoleIdsIn(content).filter((id) => parses('roles') || (allowed?.roles ?? []).includes(id)),
      replied,
      mentionRepliedUser: allowed ? allowed.replied_user === true : true,
      nonce,
      embeds,
      viaRest: true,
    });
    if (nonce !== undefined) this.nonces.set(nonceKey, { message, at: Date.now() });
    await this.deliverMessage(message);
    return omit(message, 'guild_id');
  }

  private reactionTarget(
    userId: string,
    channelId: string,
    messageId: string,
  ): { channel: ChannelRecord; message: StoredMessage; user: APIUser } {
    const channel = this.channels.get(channelId);
    if (!channel) throw new Error(`unknown channel ${channelId}`);
    const message = this.findMessage(channelId, messageId);
    if (!message) throw new Error(`unknown message ${messageId}`);
    if (this.isBot(userId)) throw new Error('bots react through REST, not react()/unreact()');
    if (channel.dm && channel.dm.userId !== userId) throw new Error('only the DM user can react in a DM');
    return { channel, message, user: this.userById(userId) };
  }

  /** MESSAGE_REACTION_ADD / _REMOVE to the sessions with the reactions intent that can see the channel. */
  private async dispatchReaction(
    kind: 'add' | 'remove',
    channel: ChannelRecord,
    message: StoredMessage,
    user: APIUser,
    emoji: string,
  ): Promise<void> {
    const intent = channel.dm
      ? GatewayIntentBits.DirectMessageReactions
      : GatewayIntentBits.GuildMessageReactions;
    const sessions = this.liveSessions().filter(
      (session) => session.intents & intent && (!channel.dm || channel.dm.botId === session.bot.id),
    );
    const [name = emoji, id] = /^(.+):(\d+)$/.exec(emoji)?.slice(1) ?? [];
    const removed: GatewayMessageReactionRemoveDispatchData = {
      type: ReactionType.Normal,
      user_id: user.id,
      channel_id: channel.id,
      message_id: message.id,
      ...(!channel.dm && { guild_id: this.guildId }),
      emoji: id ? { id, name, animated: false } : { id: null, name },
      burst: false,
    };
    const added: GatewayMessageReactionAddDispatchData = {
      ...removed,
      ...(!channel.dm && { member: { ...this.memberFields(), user } }),
      message_author_id: message.author.id,
      burst_colors: [],
    };
    const [event, data] =
      kind === 'add'
        ? [GatewayDispatchEvents.MessageReactionAdd, added]
        : [GatewayDispatchEvents.MessageReactionRemove, removed];
    await Promise.all(sessions.map((session) => this.dispatch(session, event, structuredClone(data))));
  }

  /** PUT (bulk overwrite) and GET /applications/:id/commands: a bot's global commands. */
  private applicationCommands(
    method: string,
    applicationId: string,
    bot: BotRecord,
    body: unknown,
  ): { status: number; body: APIApplicationCommand[] } {
    if (applicationId !== bot.id) throw fail(403, RESTJSONErrorCodes.MissingAccess, 'Missing Access');
    if (method === 'GET') return { status: 200, body: this.commands(bot.id) };
    if (method !== 'PUT') throw fail(405, 0, '405: Method Not Allowed');
    if (!Array.isArray(body)) throw invalidForm('_errors', 'LIST_TYPE_CONVERT', 'Must be an array.');
    const previous = this.commandsByApp.get(bot.id) ?? [];
    const names = new Set<string>();
    const commands = body.map((raw: unknown, index): APIApplicationCommand => {
      const command = isRecord(raw) ? raw : {};
      const type = (command.type as ApplicationCommandType | undefined) ?? ApplicationCommandType.ChatInput;
      const problem = commandProblem(command, type);
      if (problem) throw invalidFormAt([String(index), ...problem.path], problem.code, problem.message);
      const name = command.name as string;
      if (names.has(name)) {
        throw invalidFormAt([String(index), 'name'], 'APPLICATION_COMMANDS_DUPLICATE_NAME', 'Duplicate name');
      }
      names.add(name);
      return {
        id: previous.find((c) => c.name === name && c.type === type)?.id ?? nextSnowflake(),
        type,
        application_id: bot.id,
        name,
        description: typeof command.description === 'string' ? command.description : '',
        ...(Array.isArray(command.options) && { options: command.options as APIApplicationCommandOption[] }),
        default_member_permissions: (command.default_member_permissions as string | null | undefined) ?? null,
        nsfw: command.nsfw === true,
        contexts: (command.contexts as InteractionContextType[] | undefined) ?? null,
        integration_types: (command.integration_types as ApplicationIntegrationType[] | undefined) ?? [
          ApplicationIntegrationType.GuildInstall,
        ],
        version: nextSnowflake(),
      };
    });
    this.commandsByApp.set(bot.id, commands);
    return { status: 200, body: this.commands(bot.id) };
  }

  /**
   * The unauthenticated interaction routes: POST /interactions/:id/:token/callback (types 4 and 5 only)
   * and GET / PATCH /webhooks/:application/:token/messages/@original. Undefined for any other path.
   */
  private interactionRoute(
    method: string,
    path: string,
    query: URLSearchParams,
    raw: string,
  ): { status: number; body?: object } | undefined {
    const callback = /^\/interactions\/(\d+)\/([^/]+)\/callback$/.exec(path);
    const original = /^\/webhooks\/(\d+)\/([^/]+)\/messages\/(?:@|%40)original$/.exec(path);
    if (!callback && !original) return undefined;
    const body = parseJsonBody(raw);
    if (callback) {
      if (method !== 'POST') throw fail(405, 0, '405: Method Not Allowed');
      const [, id = '', token] = callback;
      const record = this.interactions.get(id);
      // An interaction not acknowledged within 3 s is gone, as on Discord.
      if (!record || record.token !== token || (!record.response && Date.now() - record.createdAt > 3_000)) {
        throw fail(404, RESTJSONErrorCodes.UnknownInteraction, 'Unknown interaction');
      }
      if (record.response) {
        throw fail(
          400,
          RESTJSONErrorCodes.InteractionHasAlreadyBeenAcknowledged,
          'Interaction has already been acknowledged.',
        );
      }
      return this.acknowledge(record, isRecord(body) ? body : {}, query.get('with_response') === 'true');
    }
    const [, applicationId, token] = original ?? [];
    const record = [...this.interactions.values()].find(
      (candidate) => candidate.token === token && candidate.applicationId === applicationId,
    );
    if (!record) throw fail(404, RESTJSONErrorCodes.UnknownWebhook, 'Unknown Webhook');
    const message = record.response?.message;
    if (!message) throw fail(404, RESTJSONErrorCodes.UnknownMessage, 'Unknown Message');
    if (method === 'GET') return { status: 200, body: structuredClone(message) };
    if (method !== 'PATCH') throw fail(405, 0, '405: Method Not Allowed');
    const edit = isRecord(body) ? body : {};
    if (edit.content !== undefined && edit.content !== null) {
      if (typeof edit.content !== 'string') {
        throw invalidForm('content', 'STRING_TYPE_CONVERT', 'Could not interpret value as string.');
      }
      if ([...edit.content].length > 2000) {
        throw invalidForm('content', 'BASE_TYPE_MAX_LENGTH', 'Must be 2000 or fewer in length.');
      }
      message.content = edit.content;
    }
    const wasLoading = (message.flags ?? 0) & MessageFlags.Loading;
    message.flags = (message.flags ?? 0) & ~MessageFlags.Loading;
    if (!wasLoading) message.edited_timestamp = snowflakeTime(nextSnowflake());
    return { status: 200, body: structuredClone(message) };
  }

  /** The initial response: a message (4) or "thinking..." (5), ephemeral with flag 64. */
  private acknowledge(
    record: InteractionRecord,
    body: Record<string, unknown>,
    withResponse: boolean,
  ): { status: number; body?: object } {
    const type = body.type;
    if (
      type !== InteractionResponseType.ChannelMessageWithSource &&
      type !== InteractionResponseType.DeferredChannelMessageWithSource
    ) {
      throw invalidForm('type', 'BASE_TYPE_CHOICES', 'Value must be one of {4, 5} (all this fake supports).');
    }
    const data = isRecord(body.data) ? body.data : {};
    const content = type === InteractionResponseType.ChannelMessageWithSource ? data.content : '';
    if (typeof content !== 'string' || [...content].length > 2000) {
      throw invalidForm('data.content', 'BASE_TYPE_MAX_LENGTH', 'Must be 2000 or fewer in length.');
    }
    if (type === InteractionResponseType.ChannelMessageWithSource && !content.trim()) {
      throw fail(400, RESTJSONErrorCodes.CannotSendAnEmptyMessage, 'Cannot send an empty message');
    }
    const ephemeral = typeof data.flags === 'number' && (data.flags & MessageFlags.Ephemeral) !== 0;
    const bot = this.userById(record.applicationId);
    const id = nextSnowflake();
    const flags =
      (ephemeral ? MessageFlags.Ephemeral : 0) |
      (type === InteractionResponseType.DeferredChannelMessageWithSource ? MessageFlags.Loading : 0);
    const message: APIMessage = {
      id,
      channel_id: record.channelId,
      author: bot,
      content,
      timestamp: snowflakeTime(id),
      edited_timestamp: null,
      tts: false,
      mention_everyone: false,
      mentions: [],
      mention_roles: [],
      attachments: [],
      embeds: [],
      pinned: false,
      type: MessageType.ChatInputCommand,
      flags: flags,
      components: [],
      webhook_id: record.applicationId,
      application_id: record.applicationId,
      interaction_metadata: {
        id: record.id,
        type: InteractionType.ApplicationCommand,
        user: record.user,
        authorizing_integration_owners: {},
      },
    };
    record.response = { type, message };
    if (!withResponse) return { status: 204 };
    return {
      status: 200,
      body: {
        interaction: {
          id: record.id,
          type: InteractionType.ApplicationCommand,
          response_message_id: id,
          response_message_loading: type === InteractionResponseType.DeferredChannelMessageWithSource,
          response_message_ephemeral: ephemeral,
        },
        resource: { type, ...(type === InteractionResponseType.ChannelMessageWithSource && { message }) },
      },
    };
  }

  /** GET /channels/:id/messages with limit/before/after (not `around`); newest first, as Discord. */
  private history(channel: ChannelRecord, query: URLSearchParams): APIMessage[] {
    const limit = Number(query.get('limit') ?? 50);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
      throw invalidForm('limit', 'NUMBER_TYPE_MAX', 'int value should be less than or equal to 100.');
    }
    const before = query.get('before');
    const after = query.get('after');
    let page = this.store.filter((message) => message.channel_id === channel.id);
    if (after) page = page.filter((message) => BigInt(message.id) > BigInt(after)).slice(0, limit);
    else page = page.filter((message) => !before || BigInt(message.id) < BigInt(before)).slice(-limit);
    return page.reverse().map((message) => omit(message, 'guild_id'));
  }
}

/** Start a fake Discord on 127.0.0.1 (a random free port unless `port` is given). */
export async function startFakeDiscord(options: FakeDiscordOptions = {}): Promise<FakeDiscord> {
  const fake = new FakeDiscord(options.heartbeatIntervalMs);
  await fake.listen(options.port ?? 0);
  return fake;
}
