import { randomUUID } from 'node:crypto';
import { startAdminServer } from '../../src/admin/server';
import { logger } from '../../src/logger';
import { openStore, type Store } from '../../src/store/mongo';

const TOKEN = `admin-${randomUUID()}`;
let store: Store;
let admin: Awaited<ReturnType<typeof startAdminServer>>;
let ollamaUp = true;

beforeAll(async () => {
  store = await openStore(process.env.MONGODB_URI as string, `fgbots_admin_${randomUUID().slice(0, 8)}`);
  admin = await startAdminServer({
    host: '127.0.0.1',
    port: 0,
    token: TOKEN,
    store,
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
