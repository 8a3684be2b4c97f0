import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { startAdminServer } from '../../src/admin/server';
import { logger } from '../../src/logger';
import { openStore, type Store } from '../../src/store/mongo';

const TOKEN = `admin-${randomUUID()}`;
let store: Store;
let admin: Awaited<ReturnType<typeof startAdminServer>>;
let ollamaUp = true;
let connection: Connection;

beforeAll(async () => {
  store = await openStore(process.env.MONGODB_URI as string, `fgbots_admin_${randomUUID().slice(0, 8)}`);
  connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS as string });
  admin = await startAdminServer({
    host: '127.0.0.1',
    port: 0,
    token: TOKEN,
    cookieSecure: false,
    store,
    temporal: new Client({ connection }),
    taskQueue: `admin-${randomUUID()}`,
    crawlDefaults: { baseUrl: 'http://127.0.0.1:9', maxPages: 5, delayMs: 0, seedTitles: [] },
    characters: () => [{ name: 'Peter', aliases: ['peter'] }],
    checks: {
      mongodb: async () => {
        await store.db.command({ ping: 1 });
      },
      ollama: async () => {
        if (!ollamaUp) throw new Error('connect ECONNREFUSED 127.0.0.1:11434');
      },
    },
    log: logger,
  });
});

afterAll(async () => {
  await admin?.close();
  await connection?.close();
  await store?.db.dropDatabase();
  await store?.close();
});

const get = (path: string, token?: string) =>
  fetch(`${admin.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

describe('admin API', () => {
  it('reports every dependency on GET /health without a token, 503 when one is down', async () => {
    const healthy = await get('/health');
    expect(healthy.status).toBe(200);
    expect(await healthy.json()).toMatchObject({
      status: 'ok',
      checks: { mongodb: { ok: true }, ollama: { ok: true } },
    });

    ollamaUp = false;
    const degraded = await get('/health');
    expect(degraded.status).toBe(503);
    expect(await degraded.json()).toMatchObject({
      status: 'degraded',
      checks: { mongodb: { ok: true }, ollama: { ok: false, error: 'connect ECONNREFUSED 127.0.0.1:11434' } },
    });
    ollamaUp = true;
  });

  it('refuses admin routes without the right token, with a JSON reason', async () => {
    for (const token of [undefined, 'wrong', `${TOKEN}x`]) {
      const response = await get('/dead_letters', token);
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({ error: expect.stringContaining('admin token') });
    }
  });

  it('lists pending dead letters with the token', async () => {
    await store.deadLetterQueue.record({
      failed_event_payload: { character: 'Peter' },
      error_details: 'generateReply: boom',
      retry_attempts: 3,
      workflow_type: 'ReplyWorkflow',
      workflow_id: 'reply-1-peter',
      failed_step: 'generateReply',
    });
    const response = await get('/dead_letters', TOKEN);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { dead_letters: Array<Record<string, unknown>> };
    expect(body.dead_letters).toEqual([
      expect.objectContaining({ _id: 'reply-1-peter:generateReply', retry_attempts: 3, status: 'PENDING' }),
    ]);
  });

  it('answers an unknown route with 404 JSON', async () => {
    const response = await get('/nope', TOKEN);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: 'no route GET /nope' });
  });
});

describe('admin API: wiki crawls', () => {
  const post = (path: string, body: string, token = TOKEN) =>
    fetch(`${admin.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body,
    });

  it.each([
    ['malformed JSON', '{"max_pages": ', 400, 'not valid JSON'],
    ['a JSON array', '[1,2]', 400, 'must be a JSON object'],
    ['a wrong type', '{"max_pages": "lots"}', 400, 'max_pages must be an integer'],
    ['a negative delay', '{"delay_ms": -5}', 400, 'delay_ms must be an integer'],
    ['a non-http base URL', '{"base_url": "file:///etc/passwd"}', 400, 'base_url must be an http(s) URL'],
    ['an unknown field', '{"max_page": 5}', 400, 'unknown field "max_page"'],
    ['bad seed titles', '{"seed_titles": ["", 3]}', 400, 'seed_titles must be an array'],
    ['a huge body', JSON.stringify({ seed_titles: ['x'.repeat(100_000)] }), 413, 'over 65536 bytes'],
  ])('rejects %s with %i and a clear message', async (_what, body, status, message) => {
    const response = await post('/load_fandom_wiki', body);
    expect(response.status).toBe(status);
    expect(((await response.json()) as { error: string }).error).toContain(message);
  });

  it('needs the token to start a crawl', async () => {
    expect((await post('/load_fandom_wiki', '{}', 'nope')).status).toBe(401);
  });

  it('answers 404 for an unknown crawl', async () => {
    const response = await get('/crawls/no-such-crawl', TOKEN);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: 'no crawl no-such-crawl' });
    expect((await post('/crawls/no-such-crawl/pause', '')).status).toBe(404);
  });

  it('starts a crawl workflow with the defaults filled in', async () => {
    const response = await post('/load_fandom_wiki', '{"max_pages": 7, "seed_titles": ["Peter_Griffin"]}');
    expect(response.status).toBe(202);
    const body = (await response.json()) as { crawl_id: string; workflow_id: string; params: unknown };
    expect(body.workflow_id).toBe(`wiki-crawl-${body.crawl_id}`);
    expect(body.params).toEqual({
      baseUrl: 'http://127.0.0.1:9',
      maxPages: 7,
      delayMs: 0,
      seedTitles: ['Peter_Griffin'],
    });
    // No worker polls this test's queue: the crawl waits, visible and steerable.
    const handle = new Client({ connection }).workflow.getHandle(body.workflow_id);
    expect((await handle.describe()).status.name).toBe('RUNNING');
    await handle.terminate('test done');
  });
});
