import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { RETRIEVAL_DEFAULTS, type RetrievalChoices } from '../../src/knowledge/wikiKnowledge';
import type { WikiCrawlWorkflow } from '../../src/workflows/wikiCrawl';
import {
  CRAWL_SEARCH_ATTRIBUTES,
  wikiCrawlWorkflowId,
  type CrawlProgress,
  type WikiCrawlInput,
} from '../../src/workflows/contracts/wikiCrawl';
import { startFixtureWiki, type FixtureWiki, type FixtureWikiOptions } from '../fakes/fixtureWiki';
import {
  noSharedWordQuestions,
  paraphrasedQuestions,
  questions,
  smallTalk,
  type WikiQuestion,
} from '../fixtures/wiki/questions';
import { waitFor } from '../fakes/waitFor';
import { startHarness, type Harness } from './harness';

let h: Harness;
let wiki: FixtureWiki;
let crawlCount = 0;
/** Crawls of other wikis than the shared one: their chunks are removed again (see withWiki). */
const otherWikiCrawls: string[] = [];

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
  if (params.baseUrl && params.baseUrl !== wiki.url) otherWikiCrawls.push(crawlId);
  return h.temporal.workflow.start<typeof WikiCrawlWorkflow>('WikiCrawlWorkflow', {
    taskQueue: h.config.taskQueue,
    workflowId: wikiCrawlWorkflowId(crawlId),
    args: [{ crawlId, baseUrl: wiki.url, maxPages: 1000, delayMs: 0, seedTitles: [], ...params }],
  });
}

/**
 * A fixture wiki of its own (other knobs than the shared one's) for the length of `body`. What its crawls
 * indexed is deleted afterwards: the shared wiki's tests count the collection's chunks, and the same
 * articles under another host would crowd retrieval.
 */
async function withWiki<T>(options: FixtureWikiOptions, body: (odd: FixtureWiki) => Promise<T>): Promise<T> {
  const odd = await startFixtureWiki({ failTimes: {}, ...options });
  try {
    return await body(odd);
  } finally {
    await odd.close();
    const crawlIds = otherWikiCrawls.splice(0);
    if (crawlIds.length > 0) {
      await (await h.knowledge.collection()).delete({ where: { crawl_id: { $in: crawlIds } } });
    }
  }
}

/** The failure of a crawl that ended FAILED: its message and the progress it carries. */
async function crawlFailure(handle: WorkflowHandle<typeof WikiCrawlWorkflow>) {
  const error = await handle.result().then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(WorkflowFailedError);
  const cause = (error as WorkflowFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  const failure = cause as ApplicationFailure;
  expect(failure).toMatchObject({ type: 'CrawlIndexedNothing', nonRetryable: true });
  return { message: failure.message, progress: failure.details?.[0] as CrawlProgress };
}

/** Path -> how many requests it got. */
function requestCounts(fixture: FixtureWiki): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { path } of fixture.pageRequests()) counts.set(path, (counts.get(path) ?? 0) + 1);
  return counts;
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

  it('falls back to link discovery from the root redirect, skipping namespaces, fragments and the 404, fetching a redirect target once', async () => {
    wiki.apiEnabled = false;
    wiki.failTimes = {};
    try {
      const result = await (await startCrawl()).result();
      expect(result).toMatchObject({ state: 'SUCCESS', mode: 'links', error: null });
      expect(result.plan).toBe(
        `no usable api.php (${wiki.url}/api.php answered 404; ${wiki.url}/w/api.php answered 404) -> ` +
          `link discovery from ${wiki.pageUrl('Main_Page')} (from the root redirect)`,
      );
      const fetched = articleFetches();
      expect(fetched.some((path) => /Special:|Talk:|File:|Category:|action=|#/i.test(path))).toBe(false);
      expect(result.pagesDone).toBe(wiki.articleTitles.length);
      // /wiki/Lois_Pewterschmidt (HTTP 301 to Lois_Griffin) is met on Lois_Griffin's own page: the
      // target is not fetched again. Every article, redirect and the missing page: one request each.
      const counts = requestCounts(wiki);
      expect(wiki.pageRequests().find((r) => r.path === '/wiki/Lois_Pewterschmidt')?.status).toBe(301);
      for (const title of wiki.articleTitles)
        expect(counts.has(new URL(wiki.pageUrl(title)).pathname)).toBe(true);
      for (const [path, count] of counts) expect([path, count]).toEqual([path, 1]);
    } finally {
      wiki.apiEnabled = true;
    }
  });

  it('fails, saying why, when the wiki has no usable api.php and its start page is missing', async () => {
    await withWiki({ api: false, mainPage: null }, async (odd) => {
      const handle = await startCrawl({ baseUrl: odd.url });
      const { message, progress } = await crawlFailure(handle);
      const reason =
        `indexed no page: the start page ${odd.pageUrl('Main_Page')} is missing (HTTP 404); no usable api.php ` +
        `(${odd.url}/api.php answered 404; ${odd.url}/w/api.php answered 404) -> link discovery from ` +
        `${odd.pageUrl('Main_Page')} (from the root redirect)`;
      expect(message).toBe(reason);
      expect(progress).toMatchObject({ state: 'FAILED', pagesDone: 0, mode: 'links', error: reason });
      expect(odd.pageRequests().map((r) => [r.path, r.status])).toEqual([['/wiki/Main_Page', 404]]);

      const status = await h.store.ragCrawlStatus.find(progress.crawlId);
      expect(status).toMatchObject({ status: 'FAILED', pages_crawled: 0, error_message: reason });
      const description = await handle.describe();
      expect(description.status.name).toBe('FAILED');
      expect(description.memo?.progress).toMatchObject({ state: 'FAILED', error: reason });
      expect(await handle.query<CrawlProgress>('crawlProgress')).toMatchObject({
        state: 'FAILED',
        error: reason,
      });
    });
  });

  it('fails, with the counts, when every page requested failed', async () => {
    await withWiki({ failTimes: { '/wiki/Peter_Griffin': 100 } }, async (odd) => {
      const { message, progress } = await crawlFailure(
        await startCrawl({ baseUrl: odd.url, seedTitles: ['Peter_Griffin', 'No_Such_Page'] }),
      );
      expect(message).toMatch(
        /^indexed no page: every page requested failed or had nothing to index \(2 requests: 1 failed and dead-lettered, 1 missing \(HTTP 404\), 0 without article text, 0 redirects\); seed titles given/,
      );
      expect(progress).toMatchObject({ state: 'FAILED', failed: 1, mode: 'seeds' });
    });
  });

  it('lists the articles one query at a time when api.php does not answer the combined probe', async () => {
    await withWiki({ combinedQueries: 'drop-list' }, async (odd) => {
      const result = await (await startCrawl({ baseUrl: odd.url })).result();
      expect(result).toMatchObject({
        state: 'SUCCESS',
        mode: 'listing',
        pagesDone: odd.articleTitles.length,
      });
      expect(result.plan).toContain(
        `api.php at ${odd.apiUrl}: list=allpages works -> listing mode (${odd.articleTitles.length} articles listed); probe: `,
      );
      expect(result.plan).toContain('the combined meta=siteinfo&list=allpages query was not accepted');
      // The listed articles, each once; no redirect or link followed.
      const fetched = odd.pageRequests().map((r) => r.path);
      expect(fetched.sort()).toEqual(odd.articleTitles.map((t) => new URL(odd.pageUrl(t)).pathname).sort());
    });
  });

  it.each([
    ['siteinfo names a renamed main page', { allpages: false }, 'siteinfo mainpage "Family Guy Wiki"'],
    ['the site root redirects to it', { api: false }, 'the root redirect'],
  ] as const)('starts link discovery at the main page when %s', async (_, options, source) => {
    await withWiki({ ...options, mainPage: 'Family_Guy_Wiki' }, async (odd) => {
      const result = await (await startCrawl({ baseUrl: odd.url, maxPages: 3 })).result();
      expect(result).toMatchObject({ state: 'SUCCESS', mode: 'links', pagesDone: 3 });
      expect(result.plan).toMatch(
        new RegExp(`-> link discovery from ${odd.pageUrl('Family_Guy_Wiki')} \\(from ${source}\\)$`),
      );
      expect(odd.pageRequests()[0]?.path).toBe('/wiki/Family_Guy_Wiki');
      expect(odd.pageRequests().some((r) => r.path === '/wiki/Main_Page')).toBe(false);
    });
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

  it('shows pause, resume and cancel in the memo and the CrawlStatus search attribute at once', async () => {
    const handle = await startCrawl({ delayMs: 3000, searchAttributes: true });
    const ui = async () => {
      const description = await handle.describe();
      return {
        memo: (description.memo?.progress as CrawlProgress).state,
        status: description.typedSearchAttributes.get(CRAWL_SEARCH_ATTRIBUTES.status),
        pagesDone: description.typedSearchAttributes.get(CRAWL_SEARCH_ATTRIBUTES.pagesDone),
      };
    };
    // Between two pages (in the 3 s pause after one): no page will end and update the memo meanwhile.
    await waitFor(
      async () => {
        const progress = await handle.query<CrawlProgress>('crawlProgress');
        return progress.pagesDone >= 1 && progress.currentPage === null;
      },
      { timeoutMs: 30_000 },
    );
    expect(await ui()).toMatchObject({ memo: 'RUNNING', status: 'RUNNING' });
    const fetchedBefore = articleFetches().length;

    await handle.signal('pauseCrawl');
    await waitFor(async () => (await ui()).memo === 'PAUSED', { timeoutMs: 1500, what: 'memo PAUSED' });
    expect(await ui()).toMatchObject({ memo: 'PAUSED', status: 'PAUSED' });
    expect(articleFetches()).toHaveLength(fetchedBefore); // no page in between
    const { count: paused } = await waitFor(async () => {
      const found = await h.temporal.workflow.count(
        `WorkflowId = '${handle.workflowId}' AND CrawlStatus = 'PAUSED'`,
      );
      return found.count > 0 ? found : null;
    });
    expect(paused).toBe(1);

    await handle.signal('resumeCrawl');
    await waitFor(async () => (await ui()).memo === 'RUNNING', { timeoutMs: 1500, what: 'memo RUNNING' });
    expect(await ui()).toMatchObject({ memo: 'RUNNING', status: 'RUNNING' });

    await handle.signal('cancelCrawl');
    const result = await handle.result();
    expect(result.state).toBe('CANCELLED');
    expect(await ui()).toEqual({ memo: 'CANCELLED', status: 'CANCELLED', pagesDone: result.pagesDone });
  });
});

describe('retrieval from the crawled wiki', () => {
  beforeAll(async () => {
    await (await startCrawl()).result();
  });

  /** Questions of `set` whose answer article is among the snippets `choices` retrieves (top 3). */
  async function found(set: readonly WikiQuestion[], choices: Partial<RetrievalChoices> = {}) {
    const misses: string[] = [];
    for (const { question, article } of set) {
      const snippets = await h.knowledge.search(question, {
        ...RETRIEVAL_DEFAULTS,
        minScore: h.config.ragMinScore,
        ...choices,
      });
      const titles = snippets.map((s) => decodeURIComponent(s.source_url.split('/wiki/')[1] ?? ''));
      if (!titles.includes(article)) misses.push(`${question} -> ${titles.join(', ')} (wanted ${article})`);
    }
    return { share: (set.length - misses.length) / set.length, misses };
  }

  it('finds the right article in the top 3 for 90% of casual and 85% of paraphrased questions', async () => {
    const casual = await found(questions);
    const paraphrased = await found(paraphrasedQuestions);
    // Printed so a regression shows which questions slipped.
    const misses = [...casual.misses, ...paraphrased.misses];
    if (misses.length > 0) process.stderr.write(`retrieval misses:\n  ${misses.join('\n  ')}\n`);
    expect(casual.share).toBeGreaterThanOrEqual(0.9);
    expect(paraphrased.share).toBeGreaterThanOrEqual(0.85);
  });

  it('finds at least as much as dense or lexical search alone, on every question set', async () => {
    for (const set of [questions, paraphrasedQuestions, noSharedWordQuestions]) {
      const hybrid = (await found(set)).share;
      expect(hybrid).toBeGreaterThanOrEqual((await found(set, { lexical: false })).share);
      expect(hybrid).toBeGreaterThanOrEqual((await found(set, { dense: false })).share);
    }
  });

  it('gives small talk no snippets', async () => {
    for (const message of smallTalk)
      expect([message, await h.knowledge.retrieve(message)]).toEqual([message, []]);
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
  /** `npm run admin -- <args>` against the admin API at `url`. */
  async function runCli(args: string[], url: string, token: string) {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/admin/cli.ts', ...args], {
      cwd: join(__dirname, '..', '..'),
      env: { PATH: process.env.PATH, ADMIN_URL: url, ADMIN_TOKEN: token },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    return { code, stdout, stderr };
  }

  it('starts a crawl through the admin API and shows progress until it ends', async () => {
    const token = `cli-${Date.now()}`;
    const admin = await h.startAdmin(token);
    try {
      const { code, stdout, stderr } = await runCli(
        ['crawl', 'start', '--max-pages', '3', '--delay-ms', '0', '--base-url', wiki.url],
        admin.url,
        token,
      );
      expect({ code, stderr }).toMatchObject({ code: 0 });
      expect(stdout).toMatch(/^crawl \S+ started \(workflow wiki-crawl-\S+\)/);
      expect(stderr).toMatch(/\[#{20}\]\s+3\/3 pages\s+\d+ chunks\s+0 failed\s+SUCCESS/);
    } finally {
      await admin.close();
    }
  });

  it('shows a crawl that indexed nothing as FAILED with the reason, in the CLI, the admin API and Temporal', async () => {
    await withWiki({ api: false, mainPage: null }, async (odd) => {
      const token = `cli-${Date.now()}`;
      const admin = await h.startAdmin(token);
      try {
        const { code, stdout, stderr } = await runCli(
          ['crawl', 'start', '--delay-ms', '0', '--base-url', odd.url],
          admin.url,
          token,
        );
        const reason = `indexed no page: the start page ${odd.pageUrl('Main_Page')} is missing (HTTP 404); no usable api.php`;
        expect(code).toBe(1);
        expect(stderr).toContain(`0 failed  FAILED: ${reason}`);
        const crawlId = /^crawl (\S+) started/.exec(stdout)?.[1] as string;

        const response = await fetch(`${admin.url}/crawls/${crawlId}`, {
          headers: { authorization: `Bearer ${token}` },
        });
        expect(response.status).toBe(200);
        expect(await response.json()).toMatchObject({
          state: 'FAILED',
          workflow_status: 'FAILED',
          pagesDone: 0,
          mode: 'links',
          error: expect.stringContaining(reason),
        });
        expect((await h.store.ragCrawlStatus.find(crawlId))?.error_message).toContain(reason);
        // The test stack registers the search attributes (temporal/search-attributes.txt), the admin API
        // found them, so the crawl set them.
        const description = await h.temporal.workflow.getHandle(wikiCrawlWorkflowId(crawlId)).describe();
        expect(description.typedSearchAttributes.get(CRAWL_SEARCH_ATTRIBUTES.status)).toBe('FAILED');
        expect(description.typedSearchAttributes.get(CRAWL_SEARCH_ATTRIBUTES.pagesDone)).toBe(0);
      } finally {
        await admin.close();
      }
    });
  });
});
