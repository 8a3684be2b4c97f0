import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import type { WikiCrawlWorkflow } from '../../src/workflows/wikiCrawl';
import { wikiCrawlWorkflowId, type CrawlProgress, type WikiCrawlInput } from '../../src/workflows/types';
import { startFixtureWiki, type FixtureWiki } from '../fakes/fixtureWiki';
import { waitFor } from '../fakes/waitFor';
import { startHarness, type Harness } from './harness';

let h: Harness;
let wiki: FixtureWiki;
let crawlCount = 0;

beforeAll(async () => {
  h = await startHarness();
  wiki = await startFixtureWiki();
});

afterAll(async () => {
  await wiki?.close();
  await h?.stop();
});

beforeEach(() => {
  wiki.requests.length = 0;
});

async function startCrawl(
  params: Partial<WikiCrawlInput> = {},
): Promise<WorkflowHandle<typeof WikiCrawlWorkflow>> {
  const crawlId = `test-${Date.now()}-${++crawlCount}`;
  return h.temporal.workflow.start<typeof WikiCrawlWorkflow>('WikiCrawlWorkflow', {
    taskQueue: h.config.taskQueue,
    workflowId: wikiCrawlWorkflowId(crawlId),
    args: [{ crawlId, baseUrl: wiki.url, maxPages: 1000, delayMs: 0, seedTitles: [], ...params }],
  });
}

const articleFetches = () => wiki.pageRequests().map((r) => r.path);
const chunkCount = async () => (await h.knowledge.collection()).count();

describe('WikiCrawlWorkflow', () => {
  it('indexes exactly the article pages, survives 500s, and a re-crawl leaves the chunk count unchanged', async () => {
    const first = await (await startCrawl()).result();
    expect(first.state).toBe('SUCCESS');
    const fetched = articleFetches();
    expect(fetched.some((path) => /Special:|Talk:|File:|Category:|action=/i.test(path))).toBe(false);
    // Every article fetched once; the flaky one three times (500, 500, then 200).
    const counts = new Map<string, number>();
    for (const path of fetched) counts.set(path, (counts.get(path) ?? 0) + 1);
    for (const [path, count] of counts)
      expect([path, count]).toEqual([path, path === wiki.flakyPath ? 3 : 1]);
    expect(first.pagesDone).toBe(wiki.articleTitles.length);
    expect(first.failed).toBe(0);
    const chunks = await chunkCount();
    expect(chunks).toBe(first.chunksAdded);

    const status = await h.store.ragCrawlStatus.find(first.crawlId);
    expect(status).toMatchObject({
      status: 'SUCCESS',
      pages_crawled: first.pagesDone,
      documents_added: first.chunksAdded,
    });

    const second = await (await startCrawl()).result();
    expect(second.pagesDone).toBe(first.pagesDone);
    expect(await chunkCount()).toBe(chunks);
  });

  it('falls back to link discovery, skipping namespaces, fragments, redirects twice and the 404', async () => {
    wiki.apiEnabled = false;
    try {
      const result = await (await startCrawl()).result();
      expect(result.state).toBe('SUCCESS');
      const fetched = articleFetches();
      expect(fetched.some((path) => /Special:|Talk:|File:|Category:|action=|#/i.test(path))).toBe(false);
      expect(result.pagesDone).toBe(wiki.articleTitles.length);
    } finally {
      wiki.apiEnabled = true;
    }
  });

  it('continues as new along the way without refetching or losing progress', async () => {
    wiki.failTimes = {}; // every page answers at once, so each is fetched exactly once
    const handle = await startCrawl({ maxHistoryEvents: 60 });
    const result = await handle.result(); // follows the chain of runs
    expect(result).toMatchObject({ state: 'SUCCESS', pagesDone: wiki.articleTitles.length, failed: 0 });
    const { count } = await h.temporal.workflow.count(`WorkflowId = '${handle.workflowId}'`);
    expect(count).toBeGreaterThan(2); // several runs, chained by continue-as-new
    const fetched = articleFetches();
    expect(new Set(fetched).size).toBe(fetched.length);
    expect(await chunkCount()).toBe(result.chunksAdded);
  });

  it('dead-letters a page that keeps failing and goes on', async () => {
    const brokenPath = '/wiki/Glenn_Quagmire';
    wiki.failTimes = { [brokenPath]: 100 };
    try {
      const result = await (await startCrawl()).result();
      expect(result).toMatchObject({ state: 'SUCCESS', failed: 1, pagesDone: wiki.articleTitles.length - 1 });
      expect(wiki.pageRequests().filter((r) => r.path === brokenPath)).toHaveLength(3);
      const [letter] = await h.store.deadLetterQueue.collection
        .find({ workflow_id: wikiCrawlWorkflowId(result.crawlId) })
        .toArray();
      expect(letter).toMatchObject({
        workflow_type: 'WikiCrawlWorkflow',
        retry_attempts: 3,
        failed_event_payload: { crawlId: result.crawlId, url: wiki.pageUrl('Glenn_Quagmire') },
      });
      expect(letter?.error_details).toContain('HTTP 500');
    } finally {
      wiki.failTimes = {};
    }
  });

  it('respects max pages and the delay between requests', async () => {
    const result = await (await startCrawl({ maxPages: 4, delayMs: 300 })).result();
    expect(result.pagesDone).toBe(4);
    const times = wiki.pageRequests().map((r) => r.time);
    expect(times).toHaveLength(4);
    for (let i = 1; i < times.length; i++)
      expect((times[i] as number) - (times[i - 1] as number)).toBeGreaterThanOrEqual(290);
  });

  it('pauses, resumes, reports progress and cancels', async () => {
    const handle = await startCrawl({ delayMs: 200 });
    await waitFor(async () => (await handle.query<CrawlProgress>('crawlProgress')).pagesDone >= 2, {
      timeoutMs: 30_000,
    });
    await handle.signal('pauseCrawl');
    await waitFor(async () => (await handle.query<CrawlProgress>('crawlProgress')).state === 'PAUSED');
    const fetchedWhenPaused = articleFetches().length;
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(articleFetches().length).toBeLessThanOrEqual(fetchedWhenPaused + 1); // at most the page in flight
    const paused = await handle.query<CrawlProgress>('crawlProgress');
    expect(paused).toMatchObject({ state: 'PAUSED', maxPages: 1000 });
    // The Temporal UI shows the same progress in the workflow's memo.
    const { memo } = await handle.describe();
    expect((memo?.progress as CrawlProgress).pagesDone).toBe(paused.pagesDone);
    expect(paused.queued).toBeGreaterThan(0);

    await handle.signal('resumeCrawl');
    await waitFor(() => articleFetches().length > fetchedWhenPaused + 1, { timeoutMs: 10_000 });
    await handle.signal('cancelCrawl');
    const result = await handle.result();
    expect(result.state).toBe('CANCELLED');
    expect(result.pagesDone).toBeLessThan(wiki.articleTitles.length);
    const status = await h.store.ragCrawlStatus.find(result.crawlId);
    expect(status?.status).toBe('FAILED');
    expect(status?.error_message).toMatch(/cancelled by an admin/);
  });
});

describe('retrieval from the crawled wiki', () => {
  beforeAll(async () => {
    await (await startCrawl()).result();
  });

  it('finds the right article in the top 3 for at least 90% of the questions', async () => {
    const { questions } = await import('../fixtures/wiki/questions');
    expect(questions.length).toBeGreaterThanOrEqual(20);
    const misses: string[] = [];
    for (const { question, article } of questions) {
      const snippets = await h.knowledge.retrieve(question);
      const titles = snippets.map((s) => decodeURIComponent(s.source_url.split('/wiki/')[1] ?? ''));
      if (!titles.includes(article)) misses.push(`${question} -> ${titles.join(', ')} (wanted ${article})`);
    }
    // Printed so a regression shows which questions slipped.
    if (misses.length > 0) process.stderr.write(`retrieval misses:\n  ${misses.join('\n  ')}\n`);
    expect((questions.length - misses.length) / questions.length).toBeGreaterThanOrEqual(0.9);
  });

  it('puts the retrieved snippets in the prompt and names their sources in rag_context_used', async () => {
    h.ollama.reply('Oh, that chicken. We fight every few years, it is a whole thing.');
    const message = await h.discord.userSays({
      channelId: h.channelId,
      content: 'Peter, what about the chicken fight?',
    });
    const result = await waitFor(
      () =>
        h.temporal.workflow.getHandle(`reply-${message.id}-peter`).result() as Promise<{
          responseId: string;
        }>,
    );
    const turn = await h.store.conversationHistory.findByResponseId(result.responseId);
    const sources = turn?.rag_context_used.map((s) => s.source_url) ?? [];
    expect(sources.length).toBeGreaterThan(0);
    expect(sources.some((url) => url.includes('Ernie'))).toBe(true);
    for (const snippet of turn?.rag_context_used ?? [])
      expect(snippet.score).toBeGreaterThanOrEqual(h.config.ragMinScore);

    const request = h.ollama.requests.find((r) => r.body.messages?.at(-1)?.content === message.content);
    const system = request?.body.messages?.[0]?.content ?? '';
    for (const snippet of turn?.rag_context_used ?? []) {
      expect(system).toContain(snippet.text.trim().slice(0, 80));
      expect(system).toContain(snippet.source_url);
    }
  });
});

describe('crawl CLI', () => {
  it('starts a crawl through the admin API and shows progress until it ends', async () => {
    const token = `cli-${Date.now()}`;
    const admin = await h.startAdmin(token);
    try {
      const child = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          'src/admin/cli.ts',
          'crawl',
          'start',
          '--max-pages',
          '3',
          '--delay-ms',
          '0',
          '--base-url',
          wiki.url,
        ],
        {
          cwd: join(__dirname, '..', '..'),
          env: { PATH: process.env.PATH, ADMIN_URL: admin.url, ADMIN_TOKEN: token },
        },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      expect({ code, stderr }).toMatchObject({ code: 0 });
      expect(stdout).toMatch(/^crawl \S+ started \(workflow wiki-crawl-\S+\)/);
      expect(stderr).toMatch(/\[#{20}\]\s+3\/3 pages\s+\d+ chunks\s+0 failed\s+SUCCESS/);
    } finally {
      await admin.close();
    }
  });
});
