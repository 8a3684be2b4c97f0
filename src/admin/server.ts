import { within } from '../within';
import type { Server } from 'node:http';
import cookie from '@fastify/cookie';
import helmet from '@fastify/helmet';
import swagger, { type SwaggerTransformObject } from '@fastify/swagger';
import type { Client } from '@temporalio/client';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import type { LiveRoster } from '../characters/liveRoster';
import { crawlDefaults, type Config } from '../config';
import type { Logger } from '../logger';
import type { Store } from '../store/mongo';
import type { WikiCrawlParams } from '../workflows/contracts/wikiCrawl';
import { AdminAuth, SESSION_COOKIE } from './auth';
import { channelRoutes } from './channelRoutes';
import { avatarRoutes, characterRoutes, type DeliveryInfo } from './characterRoutes';
import { conversationRoutes } from './conversationRoutes';
import { crawlRoutes } from './crawlRoutes';
import { dashboardRoutes } from './dashboardRoutes';
import { DASHBOARD_DIR, dashboardFiles } from './dashboardFiles';
import { HttpError, MAX_BODY_BYTES, parseJsonBodies } from './http';
import { loreRoutes } from './loreRoutes';
import { deadLetterRoutes } from './deadLetterRoutes';
import { orchestrateRoutes, type OrchestrateCharacter } from './orchestrateRoutes';
import { organicRoutes } from './organicRoutes';
import { playgroundRoutes } from './playgroundRoutes';
import { promptRoutes } from './promptRoutes';
import { promptShareRoutes } from './promptShareRoutes';
import { sessionRoutes } from './sessionRoutes';
import { errorResponse, responses } from './schemas';
import { statsRoutes } from './statsRoutes';
import { userRoutes } from './userRoutes';
import { validateRequests } from './validation';

/** A named dependency check for GET /health; what it resolves to (e.g. the model in use) is shown as its detail. */
export type HealthCheck = () => Promise<string | void>;

export interface AdminOptions {
  host: string;
  port: number;
  /** Required on every route but /health (as a bearer token, or traded for a session); unset disables those routes. */
  token: string | undefined;
  /** Mark the session cookie Secure (the API is served over HTTPS). */
  cookieSecure: boolean;
  /** The dashboard's built files (default: dashboard/dist). */
  dashboardDir?: string;
  store: Store;
  temporal: Client;
  taskQueue: string;
  /** Defaults of a crawl started without parameters. */
  crawlDefaults: WikiCrawlParams;
  checks: Record<string, HealthCheck>;
  /** The active characters now (who can answer POST /orchestrate and the playground; whose gateway is shown). */
  characters: () => OrchestrateCharacter[];
  /** Re-reads the roster `characters` comes from, after a change through this API; absent: a fixed roster. */
  refreshRoster?: () => Promise<void>;
  /** The Temporal Web UI the dashboard links workflows to (absent or null: no links), in this namespace. */
  temporalUiUrl?: string | null;
  temporalNamespace?: string;
  /** How each character reaches Discord (GET /characters' `delivery`); absent: no tokens known. */
  delivery?: DeliveryInfo;
  log: Logger;
}

const CHECK_TIMEOUT_MS = 3000;
const TIMED_OUT = Symbol('timed out');
/** Dead-letter ids (`<workflow id>:<step>`) are longer than find-my-way's default of 100. */
const MAX_PARAM_LENGTH = 512;
/** What every protected route may also answer (the auth hook's refusals). */
const AUTH_ERRORS = [401, 403, 429, 503];

/**
 * Every answer's Content-Security-Policy: the page may load its own scripts, styles, fonts and
 * API answers only, no inline script or style, no eval, no plugins, and no framing.
 */
const CSP_DIRECTIVES = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'"],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

/** The admin API's settings from configuration (where it listens, who may answer, crawl defaults). */
export function adminSettings(
  config: Config,
  /** The live roster (an array: a fixed one, as in tests). */
  roster: Pick<LiveRoster, 'active' | 'refresh'> | OrchestrateCharacter[],
): Pick<
  AdminOptions,
  | 'host'
  | 'port'
  | 'token'
  | 'cookieSecure'
  | 'taskQueue'
  | 'crawlDefaults'
  | 'characters'
  | 'temporalUiUrl'
  | 'temporalNamespace'
  | 'delivery'
  | 'refreshRoster'
> {
  return {
    host: config.adminHost,
    port: config.adminPort,
    token: config.adminToken,
    cookieSecure: config.adminCookieSecure,
    taskQueue: config.taskQueue,
    crawlDefaults: crawlDefaults(config),
    characters: () =>
      (Array.isArray(roster) ? roster : roster.active()).map(({ name, aliases }) => ({ name, aliases })),
    ...(!Array.isArray(roster) && { refreshRoster: () => roster.refresh() }),
    temporalUiUrl: config.temporalUiUrl,
    temporalNamespace: config.temporalNamespace,
    // Which characters have a token, not the tokens.
    delivery: { botTokenNames: Object.keys(config.discordTokens), castBot: config.castToken !== undefined },
  };
}

/**
 * The admin HTTP API on Fastify: JSON in and out, errors as {error: message}, a bearer token or a
 * dashboard session on every route but GET /health, GET /openapi.json (generated from the route
 * schemas), the sign-in and the dashboard's files.
 */
export async function startAdminServer(
  options: AdminOptions,
): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const app = await adminApp(options);
  await app.listen({ port: options.port, host: options.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return { server: app.server, url: `http://${options.host}:${port}`, close: () => app.close() };
}

/** The admin API's routes on a new Fastify instance (not listening yet). */
export async function adminApp(options: AdminOptions): Promise<FastifyInstance> {
  // Typed as Fastify's logger interface so routes modules take a plain FastifyInstance.
  const loggerInstance: FastifyBaseLogger = options.log.child({ component: 'admin-http' });
  const app = Fastify({
    loggerInstance,
    // One debug line per answer (onResponse below) instead of two info lines per request.
    logController: new LogController({ disableRequestLogging: true }),
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    bodyLimit: MAX_BODY_BYTES,
  });
  await adminRoutes(app, options);
  return app;
}

/**
 * Registers the admin API on `app`: request parsing and validation, errors, security headers, the OpenAPI
 * document, and every route (the test of the document lists what this registers).
 */
export async function adminRoutes(app: FastifyInstance, options: AdminOptions): Promise<void> {
  validateRequests(app);
  unfilteredAnswers(app);
  parseJsonBodies(app);
  app.setErrorHandler(answerError);
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ error: `no route ${request.method} ${pathOf(request)}` }),
  );
  app.addHook('onResponse', (request, reply, done) => {
    request.log.debug(
      { method: request.method, path: pathOf(request), status: reply.statusCode, ms: reply.elapsedTime },
      'admin request',
    );
    done();
  });
  await app.register(helmet, {
    contentSecurityPolicy: { useDefaults: false, directives: CSP_DIRECTIVES },
    referrerPolicy: { policy: 'no-referrer' },
    xFrameOptions: { action: 'deny' },
    // HSTS only where the cookie is Secure, i.e. the API is served over HTTPS.
    strictTransportSecurity: options.cookieSecure,
  });
  await app.register(cookie);
  await app.register(swagger, { openapi: OPENAPI_HEADER, transformObject: optionalBodies });
  const auth = new AdminAuth(options.token, options.store.adminSessions);

  app.get(
    '/health',
    {
      schema: {
        summary: 'health of each dependency',
        security: [],
        response: responses({ 200: 'all reachable', 503: 'one or more unreachable (same body)' }),
      },
    },
    async (_request, reply) => {
      const results = await runChecks(options.checks);
      const healthy = Object.values(results).every((result) => result.ok);
      return reply.code(healthy ? 200 : 503).send({ status: healthy ? 'ok' : 'degraded', checks: results });
    },
  );
  app.get(
    '/openapi.json',
    { schema: { summary: 'this document', security: [], response: responses({ 200: 'OpenAPI 3.1' }) } },
    () => app.swagger(),
  );
  sessionRoutes(app, { auth, cookieSecure: options.cookieSecure });
  avatarRoutes(app, options);
  await dashboardFiles(app, options.dashboardDir ?? DASHBOARD_DIR);

  // The protected routes: one plugin scope whose hook checks the caller before any route runs.
  await app.register((api, _options, done) => {
    api.addHook('onRequest', auth.requireAdmin);
    api.addHook('onRoute', (route) => {
      route.schema = {
        ...route.schema,
        response: { ...authResponses(), ...(route.schema?.response as object) },
      };
    });
    orchestrateRoutes(api, options);
    crawlRoutes(api, options);
    organicRoutes(api, options);
    promptRoutes(api, options);
    deadLetterRoutes(api, options);
    statsRoutes(api, options);
    dashboardRoutes(api, { ...options, health: () => runChecks(options.checks) });
    conversationRoutes(api, options);
    playgroundRoutes(api, options);
    promptShareRoutes(api, options);
    characterRoutes(api, options);
    loreRoutes(api, options);
    channelRoutes(api, options);
    userRoutes(api, options);
    done();
  });
}

const OPENAPI_HEADER = {
  openapi: '3.1.0',
  info: {
    title: 'Family Guy bots admin API',
    version: '1',
    description:
      'API clients send `Authorization: Bearer <ADMIN_TOKEN>`. Browsers sign in with POST /session and ' +
      'then send the session cookie, plus its CSRF token in `x-csrf-token` on every non-GET request. ' +
      'Errors are `{"error": "<message>"}`; request bodies are JSON objects of at most 64 KiB (a ' +
      'lorebook 1 MiB), their strings trimmed before they are checked against the schemas below; a card ' +
      'import takes the card file itself (JSON or PNG, at most 4 MiB). ' +
      'Generated from the route schemas.',
  },
  components: {
    securitySchemes: {
      bearer: { type: 'http' as const, scheme: 'bearer' },
      session: { type: 'apiKey' as const, in: 'cookie' as const, name: SESSION_COOKIE },
    },
  },
  security: [{ bearer: [] }, { session: [] }] as Array<Record<string, string[]>>,
};

/**
 * @fastify/swagger marks every request body required; here a body is required only when its schema
 * has required fields (an empty body is {}).
 */
const optionalBodies: SwaggerTransformObject = (document) => {
  if (!('openapiObject' in document)) return document.swaggerObject;
  for (const operations of Object.values(document.openapiObject.paths ?? {})) {
    for (const operation of Object.values(operations ?? {}) as DocumentedOperation[]) {
      const body = operation.requestBody;
      if (body) body.required = (body.content['application/json']?.schema?.required?.length ?? 0) > 0;
    }
  }
  return document.openapiObject;
};

interface DocumentedOperation {
  requestBody?: { required?: boolean; content: Record<string, { schema?: { required?: string[] } }> };
}

function authResponses() {
  return Object.fromEntries(AUTH_ERRORS.map((status) => [status, errorResponse(status)]));
}

/** Answers are sent as they are: the response schemas document them, they do not filter them. */
function unfilteredAnswers(app: FastifyInstance): void {
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
}

/**
 * HttpErrors and Fastify's own client errors (a request refused by its route schema among them, worded
 * by validationMessage) answer with their message; anything else is a logged 500.
 */
function answerError(err: FastifyError | HttpError, request: FastifyRequest, reply: FastifyReply) {
  if (err instanceof HttpError)
    return reply.code(err.status).headers(err.headers).send({ error: err.message });
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    // A route may take more than MAX_BODY_BYTES (card imports, lorebooks).
    const limit = request.routeOptions.bodyLimit ?? MAX_BODY_BYTES;
    return reply.code(413).send({ error: `request body over ${limit} bytes` });
  }
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
    return reply.code(err.statusCode).send({ error: err.message });
  }
  request.log.error({ err, path: pathOf(request) }, 'admin request failed');
  return reply.code(500).send({ error: 'internal error' });
}

function pathOf(request: FastifyRequest): string {
  return request.url.split('?')[0] ?? request.url;
}

interface CheckResult {
  ok: boolean;
  latency_ms: number;
  detail?: string;
  error?: string;
}

async function runChecks(checks: Record<string, HealthCheck>): Promise<Record<string, CheckResult>> {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]): Promise<[string, CheckResult]> => {
      const started = Date.now();
      try {
        const detail = await within(check(), CHECK_TIMEOUT_MS, TIMED_OUT);
        if (detail === TIMED_OUT) throw new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`);
        return [name, { ok: true, latency_ms: Date.now() - started, ...(detail && { detail }) }];
      } catch (err) {
        return [name, { ok: false, latency_ms: Date.now() - started, error: (err as Error).message }];
      }
    }),
  );
  return Object.fromEntries(entries);
}
