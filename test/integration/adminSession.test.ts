/**
 * The admin API's browser sign-in on a real server and MongoDB: the session cookie, CSRF, sign-out,
 * throttled wrong tokens, and the security headers on API answers and the dashboard's files.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startAdminServer } from '../../src/admin/server';
import { logger } from '../../src/logger';
import { openStore, type Store } from '../../src/store/mongo';

const TOKEN = `admin-${randomUUID()}`;
let store: Store;
let connection: Connection;
let dashboardDir: string;
let admin: Awaited<ReturnType<typeof startAdminServer>>;

beforeAll(async () => {
  store = await openStore(process.env.MONGODB_URI as string, `fgbots_session_${randomUUID().slice(0, 8)}`);
  connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS as string });
  dashboardDir = await mkdtemp(join(tmpdir(), 'dashboard-'));
  admin = await startServer({ cookieSecure: false });
});

afterAll(async () => {
  await admin?.close();
  await connection?.close();
  await store?.db.dropDatabase();
  await store?.close();
  await rm(dashboardDir, { recursive: true, force: true });
});

function startServer(options: { cookieSecure: boolean }) {
  return startAdminServer({
    host: '127.0.0.1',
    port: 0,
    token: TOKEN,
    cookieSecure: options.cookieSecure,
    dashboardDir,
    store,
    temporal: new Client({ connection }),
    taskQueue: `session-${randomUUID()}`,
    crawlDefaults: { baseUrl: 'http://127.0.0.1:9', maxPages: 5, delayMs: 0, seedTitles: [] },
    characters: () => [{ name: 'Peter', aliases: ['peter'] }],
    checks: {},
    log: logger,
  });
}

async function request(
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: unknown; url?: string } = {},
) {
  const started = Date.now();
  const res = await fetch(`${options.url ?? admin.url}${path}`, {
    method,
    headers: options.headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    text,
    json: () => JSON.parse(text) as Record<string, unknown>,
    ms: Date.now() - started,
  };
}

/** Signs in: the session cookie (as a Cookie header) and the CSRF token. */
async function signIn(): Promise<{ cookie: string; csrf: string; setCookie: string }> {
  const answer = await request('POST', '/session', { body: { token: TOKEN } });
  expect(answer.status).toBe(200);
  const setCookie = answer.headers.getSetCookie()[0] ?? '';
  return {
    cookie: setCookie.split(';')[0] as string,
    csrf: answer.json().csrf_token as string,
    setCookie,
  };
}

const discardable = () =>
  store.deadLetterQueue.record({
    failed_event_payload: {},
    error_details: 'deliverReply: 403 Missing Access',
    retry_attempts: 1,
    workflow_type: 'ReplyWorkflow',
    workflow_id: `reply-${randomUUID()}-peter`,
    failed_step: 'deliverReply',
  });

describe('browser sessions', () => {
  it('signs in with the admin token: an HttpOnly SameSite=Strict cookie (stored hashed) and a CSRF token', async () => {
    const { cookie, csrf, setCookie } = await signIn();
    expect(setCookie).toMatch(/^fg_admin_session=[\w-]{40,}; /);
    expect(setCookie.split('; ').slice(1).sort()).toEqual(['HttpOnly', 'Path=/', 'SameSite=Strict']);
    expect(csrf).toMatch(/^[\w-]{40,}$/);

    const id = cookie.slice('fg_admin_session='.length);
    const hash = createHash('sha256').update(id).digest('hex');
    expect(await store.adminSessions.collection.findOne({ _id: hash })).toMatchObject({ csrf_token: csrf });
    expect(await store.adminSessions.collection.countDocuments({ _id: id })).toBe(0);

    const again = await request('GET', '/session', { headers: { cookie } });
    expect(again.status).toBe(200);
    expect(again.json()).toEqual({ csrf_token: csrf });
    expect((await request('GET', '/dead_letters', { headers: { cookie } })).status).toBe(200);
  });

  it('marks the cookie Secure with ADMIN_COOKIE_SECURE', async () => {
    const secure = await startServer({ cookieSecure: true });
    try {
      const answer = await request('POST', '/session', { url: secure.url, body: { token: TOKEN } });
      expect(answer.headers.getSetCookie()[0]).toMatch(/; Secure(;|$)/);
    } finally {
      await secure.close();
    }
  });

  it('refuses a cookie-authenticated change without the CSRF token (403) and takes it with it', async () => {
    const { cookie, csrf } = await signIn();
    const id = await discardable();
    const path = `/dead_letters/${encodeURIComponent(id)}/discard`;
    const withoutToken: Array<Record<string, string>> = [
      { cookie },
      { cookie, 'x-csrf-token': 'not-the-token' },
    ];
    for (const headers of withoutToken) {
      const refused = await request('POST', path, { headers, body: {} });
      expect(refused.status).toBe(403);
      expect(refused.json()).toEqual({ error: 'missing or wrong CSRF token' });
    }
    expect((await store.deadLetterQueue.get(id))?.status).toBe('PENDING');

    const done = await request('POST', path, { headers: { cookie, 'x-csrf-token': csrf }, body: {} });
    expect(done.status).toBe(200);
    expect(done.json()).toEqual({ id, status: 'DISCARDED' });
  });

  it('needs no CSRF token with the bearer token', async () => {
    const id = await discardable();
    const done = await request('POST', `/dead_letters/${encodeURIComponent(id)}/discard`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(done.status).toBe(200);
  });

  it('refuses requests without a cookie or bearer token, and never takes the token from the URL', async () => {
    for (const [path, headers] of [
      ['/stats', {}],
      [`/stats?token=${TOKEN}`, {}],
      [`/stats?access_token=${TOKEN}`, {}],
      ['/stats', { cookie: 'fg_admin_session=made-up' }],
    ] as const) {
      const refused = await request('GET', path, { headers });
      expect(refused.status).toBe(401);
      expect(refused.json().error).toContain('no live session');
    }
    expect((await request('GET', '/session')).status).toBe(401);
  });

  it('ends an expired session', async () => {
    const { cookie } = await signIn();
    await store.adminSessions.collection.updateMany(
      {},
      { $set: { expires_at: new Date(Date.now() - 1000) } },
    );
    expect((await request('GET', '/stats', { headers: { cookie } })).status).toBe(401);
    expect((await request('GET', '/session', { headers: { cookie } })).status).toBe(401);
  });

  it('signs out: the cookie is cleared and the session is gone', async () => {
    const { cookie, csrf } = await signIn();
    expect((await request('DELETE', '/session', { headers: { cookie } })).status).toBe(403);

    const out = await request('DELETE', '/session', { headers: { cookie, 'x-csrf-token': csrf } });
    expect(out.status).toBe(204);
    expect(out.headers.getSetCookie()[0]).toMatch(/^fg_admin_session=; Max-Age=0;/);
    expect((await request('GET', '/session', { headers: { cookie } })).status).toBe(401);
    expect((await request('GET', '/stats', { headers: { cookie } })).status).toBe(401);
    const id = cookie.slice('fg_admin_session='.length);
    const hash = createHash('sha256').update(id).digest('hex');
    expect(await store.adminSessions.collection.countDocuments({ _id: hash })).toBe(0);
  });
});

describe('security headers and the dashboard files', () => {
  const expectStrictHeaders = (headers: Headers) => {
    const csp = headers.get('content-security-policy') ?? '';
    for (const directive of [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self'",
      "connect-src 'self'",
      "img-src 'self' data:",
      "frame-ancestors 'none'",
    ]) {
      expect(csp.split(';')).toContain(directive);
    }
    expect(csp).not.toMatch(/unsafe-(inline|eval)/);
    expect(headers.get('x-content-type-options')).toBe('nosniff');
    expect(headers.get('referrer-policy')).toBe('no-referrer');
  };

  it('sends a strict CSP on API answers, errors included', async () => {
    for (const answer of [
      await request('GET', '/health'),
      await request('GET', '/stats', { headers: { authorization: `Bearer ${TOKEN}` } }),
      await request('GET', '/stats'),
      await request('GET', '/nope'),
    ]) {
      expectStrictHeaders(answer.headers);
    }
  });

  it('says how to build the dashboard until it is built, then serves its files openly with the same headers', async () => {
    const missing = await request('GET', '/');
    expect(missing.status).toBe(503);
    expect(missing.text).toContain('npm run build:dashboard');
    expectStrictHeaders(missing.headers);

    await mkdir(join(dashboardDir, 'assets'), { recursive: true });
    await writeFile(
      join(dashboardDir, 'index.html'),
      '<!doctype html><script src="/assets/app-1.js"></script>',
    );
    await writeFile(join(dashboardDir, 'assets', 'app-1.js'), 'console.log("dashboard");');
    await writeFile(join(dashboardDir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');

    const page = await request('GET', '/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.text).toContain('/assets/app-1.js');
    expectStrictHeaders(page.headers);

    const script = await request('GET', '/assets/app-1.js');
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/javascript/);
    expect(script.headers.get('cache-control')).toContain('immutable');
    expectStrictHeaders(script.headers);
    expect((await request('GET', '/favicon.svg')).status).toBe(200);
    expect((await request('GET', '/assets/nope.js')).status).toBe(404);
  });
});

// Last: it blocks this server's only client address.
describe('wrong tokens', () => {
  it('are slowed down after a few, then refused with 429 and Retry-After, the right token included', async () => {
    const attempts = [];
    for (let i = 0; i < 8; i++)
      attempts.push(await request('POST', '/session', { body: { token: `guess-${i}` } }));
    expect(attempts.slice(0, 7).map((a) => a.status)).toEqual([401, 401, 401, 401, 401, 401, 401]);
    expect(attempts[0]?.json()).toEqual({ error: 'wrong admin token' });
    expect(attempts.slice(0, 3).every((a) => a.ms < 200)).toBe(true);
    expect(attempts[3]?.ms).toBeGreaterThanOrEqual(240);
    expect(attempts[6]?.ms).toBeGreaterThanOrEqual(1900);

    const blocked = attempts[7];
    expect(blocked?.status).toBe(429);
    expect(blocked?.headers.get('retry-after')).toBe('60');
    expect(blocked?.json().error).toContain('too many wrong admin tokens');
    expect((await request('POST', '/session', { body: { token: TOKEN } })).status).toBe(429);
    const bearer = await request('GET', '/stats', { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(bearer.status).toBe(429);
  }, 30_000);
});
