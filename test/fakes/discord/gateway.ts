import type { IncomingMessage } from 'node:http';
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import {
  GatewayCloseCodes,
  GatewayDispatchEvents,
  GatewayOpcodes,
  type GatewayIntentBits,
  type GatewayReadyDispatchData,
} from 'discord.js';
import type { BotRecord, ChannelRecord, Guild } from './guild';
import { isRecord } from './json';
import { NO_FLAGS } from './objects';

interface Dispatch {
  op: GatewayOpcodes.Dispatch;
  t: string;
  s: number;
  d: unknown;
}

export interface Session {
  id: string;
  bot: BotRecord;
  intents: number;
  /** [shard id, shard count] from IDENTIFY ([0, 1] when the client sent none). */
  shard: [number, number];
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

const MAX_BACKLOG = 1_000;

/** The shard that gets a guild's events, by Discord's formula: (guild_id >> 22) % shard_count. */
export function shardOf(guildId: string, shardCount: number): number {
  return Number((BigInt(guildId) >> 22n) % BigInt(shardCount));
}

/** Whether `session` gets the events of `guildId` (null: a DM, which Discord sends on shard 0). */
function onShardOf(session: Session, guildId: string | null): boolean {
  const [id, count] = session.shard;
  return (guildId === null ? 0 : shardOf(guildId, count)) === id;
}

/** IDENTIFY's optional `shard`: two integers [id, count] with 0 <= id < count. */
function validShard(shard: unknown): shard is [number, number] {
  if (!Array.isArray(shard) || shard.length !== 2 || !shard.every((n) => Number.isInteger(n))) return false;
  const [id, count] = shard as [number, number];
  return count >= 1 && id >= 0 && id < count;
}

/**
 * The gateway: WebSocket connections at /gateway, the sessions bots IDENTIFY (or RESUME) on them, and
 * sequenced dispatches that each session keeps for a later RESUME. A session is one shard of a bot: it
 * gets the events of the guilds on its shard only, and DMs on shard 0, as on Discord.
 */
export class Gateway {
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly sessions = new Map<string, Session>();
  private readonly connections = new Set<Connection>();
  /** Emits 'change' whenever a session comes up or goes away. */
  private readonly sessionChanges = new EventEmitter().setMaxListeners(0);

  constructor(
    private readonly guild: Guild,
    private readonly url: () => string,
    private readonly heartbeatIntervalMs: number,
  ) {}

  /** For the HTTP server's 'upgrade' event: only /gateway speaks WebSocket. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname.replace(/\/+$/, '') !== '/gateway') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onSocket(ws, url.searchParams));
  }

  liveSessions(): Session[] {
    return [...this.sessions.values()].filter((session) => !session.ended);
  }

  /**
   * Live sessions (with `intent`, if given) that get `channel`'s events: those on the shard of its guild
   * (DMs: shard 0), any bot's for a guild channel, the DM's bot's for a DM.
   */
  sessionsSeeing(channel: ChannelRecord, intent?: GatewayIntentBits): Session[] {
    return this.liveSessions().filter(
      (session) =>
        (intent === undefined || session.intents & intent) &&
        (!channel.dm || channel.dm.botId === session.bot.id) &&
        onShardOf(session, channel.guildId),
    );
  }

  /** Live sessions with `intent` on the shard of `guildId`. */
  sessionsOfGuild(guildId: string, intent: GatewayIntentBits): Session[] {
    return this.liveSessions().filter((session) => session.intents & intent && onShardOf(session, guildId));
  }

  /** Sequence, remember (for RESUME) and send if the client is connected. */
  dispatch(session: Session, t: string, d: unknown): Promise<void> {
    const payload: Dispatch = { op: GatewayOpcodes.Dispatch, t, s: ++session.seq, d };
    session.sent.push(payload);
    if (session.sent.length > MAX_BACKLOG) session.sent.shift();
    return session.socket ? this.send(session.socket, payload) : Promise.resolve();
  }

  /** Ids of bots with an identified (or resumed) session on an open socket. */
  connectedBots(): string[] {
    return [...new Set(this.connectedShards().map((shard) => shard.botId))];
  }

  /** Each identified (or resumed) session on an open socket: its bot and [shard id, shard count]. */
  connectedShards(): Array<{ botId: string; shard: [number, number] }> {
    return this.liveSessions().flatMap((session) =>
      session.socket ? [{ botId: session.bot.id, shard: session.shard }] : [],
    );
  }

  waitForBotsReady(count: number, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (this.connectedBots().length < count) return;
        clearTimeout(timer);
        this.sessionChanges.off('change', check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.sessionChanges.off('change', check);
        reject(new Error(`${this.connectedBots().length} of ${count} bots connected after ${timeoutMs} ms`));
      }, timeoutMs);
      this.sessionChanges.on('change', check);
      check();
    });
  }

  /** Close sockets (all, or one bot's) like a network drop; unless `resumable`, their sessions end. */
  dropConnections({ botId, code, resumable }: { botId?: string; code: number; resumable: boolean }): void {
    for (const connection of this.connections) {
      if (botId !== undefined && connection.session?.bot.id !== botId) continue;
      if (connection.session && !resumable) connection.session.ended = true;
      this.closeWith(connection, code, 'fake Discord dropped the connection');
    }
  }

  close(): void {
    for (const connection of this.connections) connection.socket.terminate();
    this.wss.close();
    this.sessionChanges.removeAllListeners();
  }

  private send(socket: WebSocket, payload: object): Promise<void> {
    if (socket.readyState !== WebSocket.OPEN) return Promise.resolve();
    return new Promise((resolve) => socket.send(JSON.stringify(payload), () => resolve()));
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
      // A client closing with 1000/1001 ends its session; any other drop keeps it resumable.
      if (!connection.closedByServer && (code === 1000 || code === 1001)) session.ended = true;
      this.sessionChanges.emit('change');
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
    const payload = isBinary ? undefined : parseFrame(data);
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
    const bot = typeof d.token === 'string' ? this.guild.botByToken(d.token) : undefined;
    if (!bot) {
      return this.closeWith(connection, GatewayCloseCodes.AuthenticationFailed, 'Authentication failed.');
    }
    if (typeof d.intents !== 'number') {
      return this.closeWith(connection, GatewayCloseCodes.InvalidIntents, 'Invalid intent(s).');
    }
    const shard = d.shard ?? [0, 1];
    if (!validShard(shard)) {
      return this.closeWith(connection, GatewayCloseCodes.InvalidShard, 'Invalid shard.');
    }
    const id = randomBytes(16).toString('hex');
    const session: Session = {
      id,
      bot,
      intents: d.intents,
      shard,
      seq: 0,
      socket: connection.socket,
      sent: [],
      ended: false,
    };
    this.sessions.set(id, session);
    connection.session = session;
    // READY names the shard's guilds as unavailable; each then arrives as GUILD_CREATE.
    const guildIds = this.guild.guildIds().filter((guildId) => onShardOf(session, guildId));
    const ready: GatewayReadyDispatchData = {
      v: 10,
      user: { ...bot.user, verified: true, mfa_enabled: false },
      guilds: guildIds.map((guildId) => ({ id: guildId, unavailable: true })),
      session_id: id,
      resume_gateway_url: this.url(),
      shard,
      application: { id: bot.id, flags: NO_FLAGS, flags_new: '0' },
    };
    void this.dispatch(session, GatewayDispatchEvents.Ready, ready);
    for (const guildId of guildIds) {
      void this.dispatch(session, GatewayDispatchEvents.GuildCreate, this.guild.guildCreate(guildId));
    }
    this.sessionChanges.emit('change');
  }

  /** Replays everything after the client's `seq`, then RESUMED. */
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
    this.sessionChanges.emit('change');
  }
}

/** A text frame's JSON (undefined when it is not JSON). */
function parseFrame(data: RawData): unknown {
  const text = Buffer.isBuffer(data)
    ? data.toString()
    : Array.isArray(data)
      ? Buffer.concat(data).toString()
      : Buffer.from(data).toString();
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
