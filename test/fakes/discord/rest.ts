import type { IncomingMessage, ServerResponse } from 'node:http';
import { RESTJSONErrorCodes, type RESTGetAPIGatewayBotResult } from 'discord.js';
import { readBody } from '../httpBody';
import type { ChannelRoutes } from './channelRoutes';
import type { CommandRegistry } from './commands';
import { injectedResponse, type Faults } from './faults';
import type { BotRecord, Guild } from './guild';
import type { Interactions } from './interactions';
import { HttpError, fail, notFound, parseJsonBody, type RestResponse } from './responses';
import type { Webhooks } from './webhooks';

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

/** The routes the REST API hands requests to, by path. */
interface RestRoutes {
  channels: ChannelRoutes;
  commands: CommandRegistry;
  interactions: Interactions;
  webhooks: Webhooks;
}

/**
 * The REST API (/api and /api/vN): records every call, answers with an injected fault where one matches,
 * authenticates bots by token and hands each request to its route.
 */
export class RestApi {
  /** Every call in arrival order, including rejected and injected ones. */
  readonly calls: RestCall[] = [];

  constructor(
    private readonly guild: Guild,
    private readonly faults: Faults,
    private readonly routes: RestRoutes,
    private readonly gatewayUrl: () => string,
    /** What GET /gateway/bot recommends (Discord: about one shard per 1,000 guilds). */
    private readonly recommendedShards: () => number,
  ) {}

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = (req.method ?? 'GET').toUpperCase();
    const path = /^\/api(?:\/v\d+)?(\/.*)$/.exec(url.pathname)?.[1] ?? url.pathname;
    const call: RestCall = { method, path, status: 0 };
    this.calls.push(call);
    let response: RestResponse;
    try {
      response = await this.answer(call, req, url.searchParams);
    } catch (error) {
      response =
        error instanceof HttpError
          ? { status: error.status, body: error.body }
          : { status: 500, body: { message: `500: Internal Server Error (${String(error)})`, code: 0 } };
    }
    const { status, body, headers = {} } = response;
    call.status = status;
    if (body === undefined) res.writeHead(status, headers).end();
    else res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
  }

  private async answer(call: RestCall, req: IncomingMessage, query: URLSearchParams): Promise<RestResponse> {
    const { method, path } = call;
    const raw = (await readBody(req)).toString('utf8');
    try {
      call.body = raw ? (JSON.parse(raw) as unknown) : undefined;
    } catch {
      // not JSON: the route that parses it answers 400
    }
    const injection = this.faults.take(method, path);
    if (injection && !injection.afterEffect) {
      call.injected = true;
      return injectedResponse(injection);
    }
    const response =
      (await this.unauthenticated(method, path, query, raw)) ??
      (await this.authenticated(call, req, query, raw));
    if (injection) {
      call.injected = true;
      return injectedResponse(injection);
    }
    return response;
  }

  /** Routes Discord answers without a bot token: the gateway URL, interaction callbacks, webhooks. */
  private async unauthenticated(
    method: string,
    path: string,
    query: URLSearchParams,
    raw: string,
  ): Promise<RestResponse | undefined> {
    if (method === 'GET' && path === '/gateway') return { status: 200, body: { url: this.gatewayUrl() } };
    // Interaction callbacks and their webhooks are authenticated by the interaction token in the path,
    // an executed webhook by its own token.
    return (
      this.routes.interactions.route(method, path, query, raw) ??
      (await this.routes.webhooks.executeRoute(method, path, query, raw))
    );
  }

  private async authenticated(
    call: RestCall,
    req: IncomingMessage,
    query: URLSearchParams,
    raw: string,
  ): Promise<RestResponse> {
    const token = /^Bot (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const bot = token === undefined ? undefined : this.guild.botByToken(token);
    if (!bot) throw fail(401, 0, '401: Unauthorized');
    call.botId = bot.id;
    return this.route(call.method, call.path, query, bot, parseJsonBody(raw));
  }

  private async route(
    method: string,
    path: string,
    query: URLSearchParams,
    bot: BotRecord,
    body: unknown,
  ): Promise<RestResponse> {
    if (method === 'GET' && path === '/gateway/bot') {
      const limit = { total: 1000, remaining: 1000, reset_after: 86_400_000, max_concurrency: 1 };
      const result: RESTGetAPIGatewayBotResult = {
        url: this.gatewayUrl(),
        shards: this.recommendedShards(),
        session_start_limit: limit,
      };
      return { status: 200, body: result };
    }
    // @discordjs/rest sends Routes.user('@me') with the @ percent-encoded.
    if (method === 'GET' && /^\/users\/(?:@|%40)me$/.test(path)) {
      return { status: 200, body: { ...bot.user, verified: true } };
    }
    const [, applicationId, guildId] =
      /^\/applications\/(\d+)(?:\/guilds\/(\d+))?\/commands$/.exec(path) ?? [];
    if (applicationId) {
      // Every bot is in every guild here; Discord answers Missing Access for any other guild.
      if (guildId !== undefined && !this.guild.guildIds().includes(guildId)) {
        throw fail(403, RESTJSONErrorCodes.MissingAccess, 'Missing Access');
      }
      return this.routes.commands.route(method, applicationId, guildId ?? null, bot, body);
    }
    const [, channelId = '', rest = ''] = /^\/channels\/(\d+)(\/.*)?$/.exec(path) ?? [];
    if (!channelId) throw notFound();
    if (rest === '/webhooks') return this.routes.webhooks.channelRoute(method, channelId, bot, body);
    return this.routes.channels.route(method, channelId, rest, query, bot, body);
  }
}
