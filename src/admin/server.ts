import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from '../logger';
import type { Store } from '../store/mongo';

/** A named dependency check for GET /health. */
export type HealthCheck = () => Promise<void>;

export interface AdminOptions {
  host: string;
  port: number;
  /** Required on every route but /health; unset disables those routes. */
  token: string | undefined;
  store: Store;
  checks: Record<string, HealthCheck>;
  log: Logger;
}

const CHECK_TIMEOUT_MS = 3000;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The admin HTTP API. JSON in and out, errors as {error: message}. This routes:
 * GET /health (open: each dependency's state) and GET /dead_letters (token).
 */
export async function startAdminServer(
  options: AdminOptions,
): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const routes: Record<string, (req: IncomingMessage) => Promise<[number, unknown]>> = {
    'GET /health': async () => {
      const results = await runChecks(options.checks);
      const healthy = Object.values(results).every((result) => result.ok);
      return [healthy ? 200 : 503, { status: healthy ? 'ok' : 'degraded', checks: results }];
    },
    'GET /dead_letters': async (req) => {
      authorize(req, options.token);
      return [200, { dead_letters: await options.store.deadLetterQueue.list() }];
    },
  };

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://admin').pathname;
    const route = routes[`${req.method} ${path}`];
    const handle = route ? route(req) : Promise.reject(new HttpError(404, `no route ${req.method} ${path}`));
    handle
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

function authorize(req: IncomingMessage, token: string | undefined): void {
  if (!token) throw new HttpError(503, 'admin routes are disabled: set ADMIN_TOKEN');
  const given = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  if (a.length !== b.length || !timingSafeEqual(a, b)) {
    throw new HttpError(401, 'missing or wrong admin token (Authorization: Bearer <ADMIN_TOKEN>)');
  }
}

interface CheckResult {
  ok: boolean;
  latency_ms: number;
  error?: string;
}

async function runChecks(checks: Record<string, HealthCheck>): Promise<Record<string, CheckResult>> {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]): Promise<[string, CheckResult]> => {
      const started = Date.now();
      try {
        await withTimeout(check(), CHECK_TIMEOUT_MS);
        return [name, { ok: true, latency_ms: Date.now() - started }];
      } catch (err) {
        return [name, { ok: false, latency_ms: Date.now() - started, error: (err as Error).message }];
      }
    }),
  );
  return Object.fromEntries(entries);
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}
