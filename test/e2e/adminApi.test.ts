import { spawn } from 'node:child_process';
import { join } from 'node:path';
import Fastify from 'fastify';
import { adminRoutes, adminSettings } from '../../src/admin/server';
import { logger } from '../../src/logger';
import { sessionIdFor } from '../../src/store/sessionId';
import { startHarness, type Harness } from './harness';

const TOKEN = 'admin-api-test-token';
let h: Harness;
let admin: Awaited<ReturnType<Harness['startAdmin']>>;

beforeAll(async () => {
  h = await startHarness();
  admin = await h.startAdmin(TOKEN);
});

afterEach(() => {
  h.ollama.recover();
  h.ollama.reply('Well, actually, my novel is a searing indictment of suburbia.');
});

afterAll(async () => {
  await admin?.close();
  await h?.stop();
});

async function call(method: 'GET' | 'POST', path: string, body?: unknown, token: string | null = TOKEN) {
  const res = await fetch(`${admin.url}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('POST /orchestrate: a reply without Discord', () => {
  it('runs ReplyWorkflow for the character named in the query and returns the reply, posting nothing', async () => {
    h.ollama.reply('Well, actually, my novel is a searing indictment of suburbia.');
    const postedBefore = h.discord.botMessages().length;
    const answer = await call('POST', '/orchestrate', {
      query: 'Brian, what is your novel about?',
      user: 'api-user-1',
      channel: 'api-channel-1',
    });
    expect(answer).toEqual({
      status: 200,
      body: expect.objectContaining({
        response: 'Well, actually, my novel is a searing indictment of suburbia.',
        character: 'Brian',
        prompt_version: 'v1.0',
        used_fallback: false,
        dead_letter_ids: [],
      }),
    });
    expect(h.discord.botMessages()).toHaveLength(postedBefore);
    const turns = await h.store.conversationHistory.collection
      .find({ session_id: sessionIdFor('api-channel-1') })
      .sort({ turn_id: 1 })
      .toArray();
    expect(turns.map((t) => [t.speaker_type, t.user_id, t.bot_name, t.message_content])).toEqual([
      ['USER', 'api-user-1', null, 'Brian, what is your novel about?'],
      ['BOT', null, 'Brian', 'Well, actually, my novel is a searing indictment of suburbia.'],
    ]);
  });

  it('lets the caller pick the character', async () => {
    const answer = await call('POST', '/orchestrate', {
      query: 'what do you think?',
      user: 'u',
      channel: 'c',
      character: 'stewie',
    });
    expect(answer.body.character).toBe('Stewie');
  });
});

describe('the dead-letter queue', () => {
  it('shows a failed reply, replays it through ReplyWorkflow once the LLM is back, and refuses a second replay', async () => {
    h.ollama.failAll(500);
    const failed = await call('POST', '/orchestrate', {
      query: 'Peter, sing',
      user: 'u',
      channel: 'dlq-channel',
    });
    expect(failed.body).toMatchObject({ character: 'Peter', used_fallback: true });
    const [id] = failed.body.dead_letter_ids as string[];
    expect(id).toMatch(/:generateReply$/);

    const listed = await call('GET', '/dead_letters');
    expect(listed.body.counts).toMatchObject({ PENDING: 1 });
    const shown = await call('GET', `/dead_letters/${encodeURIComponent(id as string)}`);
    expect(shown.body).toMatchObject({
      _id: id,
      status: 'PENDING',
      workflow_type: 'ReplyWorkflow',
      retry_attempts: 3,
    });

    h.ollama.recover();
    h.ollama.reply('Surfin bird! Bird bird bird.');
    const replay = await call('POST', `/dead_letters/${encodeURIComponent(id as string)}/replay`, {
      by: 'ops',
    });
    expect(replay.status).toBe(202);
    const replayResult = await h.temporal.workflow
      .getHandle(replay.body.replay_workflow_id as string)
      .result();
    expect(replayResult).toMatchObject({ text: 'Surfin bird! Bird bird bird.', usedFallback: false });
    expect(await call('GET', `/dead_letters/${encodeURIComponent(id as string)}`)).toMatchObject({
      body: { status: 'REPLAYED', resolved_by: 'ops', replay_workflow_id: replay.body.replay_workflow_id },
    });
    expect(await call('POST', `/dead_letters/${encodeURIComponent(id as string)}/replay`)).toEqual({
      status: 409,
      body: { error: `dead letter ${id} is already REPLAYED` },
    });
  }, 60_000);

  it('discards an entry once', async () => {
    const id = await h.store.deadLetterQueue.record({
      failed_event_payload: {},
      error_details: 'deliverReply: 403 Missing Access',
      retry_attempts: 1,
      workflow_type: 'ReplyWorkflow',
      workflow_id: 'reply-123-peter',
      failed_step: 'deliverReply',
    });
    const path = `/dead_letters/${encodeURIComponent(id)}/discard`;
    expect(await call('POST', path, {})).toEqual({ status: 200, body: { id, status: 'DISCARDED' } });
    expect((await call('POST', path, {})).status).toBe(409);
    expect((await call('GET', '/dead_letters?status=discarded')).body.dead_letters).toEqual([
      expect.objectContaining({ _id: id, status: 'DISCARDED', resolved_by: 'admin' }),
    ]);
  });
});

describe('GET /stats', () => {
  it('reports QC and rating statistics, prompt versions and dead-letter counts', async () => {
    await h.store.fineTuningData.record({
      _id: 'user:stats-test:u1',
      response_id: 'stats-test',
      rating_type: 'USER_SUBMITTED',
      rating_score: 4,
      feedback_text: '',
      rated_by: 'u1',
      timestamp: new Date(),
      prompt_version_used: 'v1.0',
      character_name: 'Peter',
    });
    const stats = await call('GET', '/stats');
    expect(stats.status).toBe(200);
    expect(stats.body).toMatchObject({
      user_ratings: { count: 1, average_score: 4 },
      qc: { assessments: 0 },
      dead_letters: { REPLAYED: 1, DISCARDED: 1 },
    });
    expect(stats.body.prompt_versions).toContainEqual(
      expect.objectContaining({
        character: 'Peter',
        version: 'v1.0',
        is_default: true,
        user_count: 1,
        user_avg: 4,
      }),
    );
  });
});

describe('hostile admin requests', () => {
  it.each([
    ['no token', 'POST', '/orchestrate', { query: 'x', user: 'u', channel: 'c' }, null, 401, 'admin token'],
    ['a wrong token', 'GET', '/stats', undefined, 'nope', 401, 'admin token'],
    ['malformed JSON', 'POST', '/orchestrate', '{"query": ', TOKEN, 400, 'not valid JSON'],
    ['a JSON array', 'POST', '/prompts/Peter/promote', '["v1.0"]', TOKEN, 400, 'must be a JSON object'],
    ['a missing field', 'POST', '/orchestrate', { query: 'hi', user: 'u' }, TOKEN, 400, 'channel: expected'],
    [
      'a wrong type',
      'POST',
      '/orchestrate',
      { query: 5, user: 'u', channel: 'c' },
      TOKEN,
      400,
      'query: expected',
    ],
    [
      'an over-long query',
      'POST',
      '/orchestrate',
      { query: 'x'.repeat(4001), user: 'u', channel: 'c' },
      TOKEN,
      400,
      'at most 4000',
    ],
    [
      'an unknown character',
      'POST',
      '/orchestrate',
      { query: 'hi', user: 'u', channel: 'c', character: 'Quagmire' },
      TOKEN,
      400,
      'one of Peter, Brian, Stewie',
    ],
    [
      'a huge body',
      'POST',
      '/orchestrate',
      { query: 'x'.repeat(70_000), user: 'u', channel: 'c' },
      TOKEN,
      413,
      'over 65536 bytes',
    ],
    ['an unknown dead letter', 'POST', '/dead_letters/nope/replay', {}, TOKEN, 404, 'no dead letter nope'],
    [
      'a bad status filter',
      'GET',
      '/dead_letters?status=LOST',
      undefined,
      TOKEN,
      400,
      'status: expected one of',
    ],
    ['a bad limit', 'GET', '/dead_letters?limit=100000', undefined, TOKEN, 400, 'limit: expected'],
    ['an unknown crawl', 'GET', '/crawls/no-such-crawl', undefined, TOKEN, 404, 'no crawl'],
    ['an unknown character prompt', 'GET', '/prompts/Quagmire', undefined, TOKEN, 404, 'no prompts'],
    [
      'a wrong type of version',
      'POST',
      '/prompts/Peter/promote',
      { version: 1 },
      TOKEN,
      400,
      'version: expected',
    ],
  ] as const)('refuses %s, saying why', async (_what, method, path, body, token, status, message) => {
    const answer = await call(method, path, body, token);
    expect(answer.status).toBe(status);
    expect(answer.body.error).toEqual(expect.stringContaining(message));
  });
});

describe('the OpenAPI document', () => {
  it('is served without a token', async () => {
    const doc = await call('GET', '/openapi.json', undefined, null);
    expect(doc.status).toBe(200);
    expect(doc.body).toMatchObject({ openapi: '3.1.0', info: { title: 'Family Guy bots admin API' } });
  });

  it('documents every route the server has, and nothing it lacks', async () => {
    // The same registration as the server's, on an instance that lists each route as it is added.
    const app = Fastify();
    const served: string[] = [];
    app.addHook('onRoute', (route) => {
      for (const method of [route.method].flat()) {
        // Fastify adds a HEAD beside each GET, which OpenAPI documents with the GET.
        if (method !== 'HEAD') served.push(`${method} ${openapiPath(route.url)}`);
      }
    });
    await adminRoutes(app, {
      ...adminSettings(h.config, []),
      store: h.store,
      temporal: h.temporal,
      checks: {},
      log: logger,
    });
    await app.ready();
    const doc = app.swagger() as unknown as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(doc.paths).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(served.length).toBeGreaterThan(20);
    expect(documented.sort()).toEqual(served.sort());
    await app.close();
  });
});

/** A Fastify route URL as OpenAPI writes it: `:name(regexp)` and `:name` as `{name}`, a wildcard as `{*}`. */
function openapiPath(url: string): string {
  return url.replace(/:(\w+)(\([^/]*\))?/g, '{$1}').replace(/\*$/, '{*}');
}

describe('the admin CLI over the same API', () => {
  function cli(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/admin/cli.ts', ...args], {
        cwd: join(__dirname, '..', '..'),
        env: { PATH: process.env.PATH, ADMIN_URL: admin.url, ADMIN_TOKEN: TOKEN },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  it('answers a message, lists prompt versions and dead letters, and explains bad usage', async () => {
    h.ollama.reply('Giggity.');
    const answer = await cli('orchestrate', 'hey', 'Stewie', '--channel', 'cli-channel');
    expect(answer.code).toBe(0);
    expect(JSON.parse(answer.stdout)).toMatchObject({ response: 'Giggity.', character: 'Stewie' });

    const prompts = await cli('prompts', 'list', 'Brian');
    expect(prompts.code).toBe(0);
    expect(
      (JSON.parse(prompts.stdout) as { prompts: Array<{ prompt_version: string }> }).prompts[0],
    ).toMatchObject({
      prompt_version: 'v1.0',
    });

    const letters = await cli('dead-letters', 'list', 'REPLAYED');
    expect(letters.code).toBe(0);
    expect(JSON.parse(letters.stdout)).toMatchObject({ counts: { REPLAYED: 1 } });

    const refused = await cli('prompts', 'promote', 'Brian', 'v9');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('404 Brian has no prompt version "v9"');

    const usage = await cli('prompts', 'promote');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('usage:');
  }, 60_000);
});
