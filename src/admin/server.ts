import { within } from '../within';
import { createServer, type Server } from 'node:http';
import type { Client } from '@temporalio/client';
import { crawlDefaults, type Config } from '../config';
import type { Logger } from '../logger';
import type { Store } from '../store/mongo';
import type { WikiCrawlParams } from '../workflows/contracts/wikiCrawl';
import { crawlRoutes } from './crawlRoutes';
import { authorize, HttpError, send, type Route } from './http';
import { deadLetterRoutes } from './deadLetterRoutes';
import { OPENAPI_DOCUMENT } from './openapi';
import { orchestrateRoutes, type OrchestrateCharacter } from './orchestrateRoutes';
import { organicRoutes } from './organicRoutes';
import { promptRoutes } from './promptRoutes';
import { statsRoutes } from './statsRoutes';

/** A named dependency check for GET /health; what it resolves to (e.g. the model in use) is shown as its detail. */
export type HealthCheck = () => Promise<string | void>;

export interface AdminOptions {
  host: string;
  port: number;
  /** Required on every route but /health; unset disables those routes. */
  token: string | undefined;
  store: Store;
  temporal: Client;
  taskQueue: string;
  /** Defaults of a crawl started without parameters. */
  crawlDefaults: WikiCrawlParams;
  checks: Record<string, HealthCheck>;
  /** Who can answer POST /orchestrate. */
  characters: OrchestrateCharacter[];
  log: Logger;
}

const CHECK_TIMEOUT_MS = 3000;
const TIMED_OUT = Symbol('timed out');

/** The admin API's settings from configuration (where it listens, who may answer, crawl defaults). */
export function adminSettings(
  config: Config,
  roster: OrchestrateCharacter[],
): Pick<AdminOptions, 'host' | 'port' | 'token' | 'taskQueue' | 'crawlDefaults' | 'characters'> {
  return {
    host: config.adminHost,
    port: config.adminPort,
    token: config.adminToken,
    taskQueue: config.taskQueue,
    crawlDefaults: crawlDefaults(config),
    characters: roster.map(({ name, aliases }) => ({ name, aliases })),
  };
}

/** Every route of the admin API (GET /openapi.json documents them). */
export function adminRoutes(options: AdminOptions): Route[] {
  return [
    {
      method: 'GET',
      path: /^\/health$/,
      open: true,
      handle: async () => {
        const results = await runChecks(options.checks);
        const healthy = Object.values(results).every((result) => result.ok);
        return [healthy ? 200 : 503, { status: healthy ? 'ok' : 'degraded', checks: results }];
      },
    },
    {
      method: 'GET',
      path: /^\/openapi\.json$/,
      open: true,
      handle: () => Promise.resolve([200, OPENAPI_DOCUMENT]),
    },
    ...orchestrateRoutes(options),
    ...crawlRoutes(options),
    ...organicRoutes(options),
    ...promptRoutes(options),
    ...deadLetterRoutes(options),
    ...statsRoutes(options),
  ];
}

/**
 * The admin HTTP API: JSON in and out, errors as {error: message}, a bearer token on
 * every route but GET /health.
 */
export async function startAdminServer(
  options: AdminOptions,
): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const routes = adminRoutes(options);

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://admin').pathname;
    const handle = async () => {
      for (const route of routes) {
        const match = route.path.exec(path);
        if (!match || route.method !== req.method) continue;
        if (!route.open) authorize(req, options.token);
        return route.handle(req, match.groups ?? {});
      }
      throw new HttpError(404, `no route ${req.method} ${path}`);
    };
    handle()
      .then(([status, body]) => send(res, status, body))
      .catch((err: unknown) => {
        if (err instanceof HttpError) return send(res, err.status, { error: err.message });
        options.log.error({ err, path }, 'admin request failed');
        send(res, 500, { error: 'internal error' });
      });
  });
  await new Promise<void>((resolve) => server.listen(options.port, options.host, resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    server,
    url: `http://${options.host}:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
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
