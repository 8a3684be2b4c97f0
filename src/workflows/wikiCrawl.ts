import {
  allHandlersFinished,
  CancellationScope,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  isCancellation,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { deadLetterStep } from './deadLetters';
import { STORE_OPTIONS } from './retryPolicies';
import { type CrawlCursor, type CrawlProgress, type CrawlState, type WikiCrawlInput } from './types';

/** Listing the wiki's pages: a few paged api.php requests. */
const { planCrawl } = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumAttempts: 5 },
});

/**
 * One page: fetch, parse, chunk, embed, upsert. A page that keeps failing (3 attempts,
 * 1 s then 2 s apart) is dead-lettered and the crawl goes on. The heartbeat timeout
 * moves a page off a dead worker quickly.
 */
const PAGE_MAX_ATTEMPTS = 3;
const { crawlPage } = proxyActivities<Activities>({
  startToCloseTimeout: '3 minutes',
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumAttempts: PAGE_MAX_ATTEMPTS },
});

const { recordCrawlStatus } = proxyLocalActivities<Activities>(STORE_OPTIONS);

export const pauseCrawl = defineSignal('pauseCrawl');
export const resumeCrawl = defineSignal('resumeCrawl');
export const cancelCrawl = defineSignal('cancelCrawl');
export const crawlProgress = defineQuery<CrawlProgress>('crawlProgress');

/** Continue as new well before Temporal's 51,200-event history limit (~10 events a page). */
const MAX_HISTORY_EVENTS = 5_000;
/** rag_crawl_status is written every this many pages (the memo and the query: every page). */
const STATUS_EVERY_PAGES = 5;
/** With link discovery, stop queueing new URLs beyond this multiple of maxPages. */
const QUEUE_HEADROOM = 3;

/**
 * Crawls a MediaWiki (the Family Guy Fandom wiki by default) into the Chroma knowledge
 * base, one page per activity, upserting as it goes so retrieval keeps working during
 * the crawl. Admins pause, resume and cancel it by signal and watch it by query, in the
 * Temporal UI (memo) and in rag_crawl_status.
 */
export async function WikiCrawlWorkflow(input: WikiCrawlInput): Promise<CrawlProgress> {
  const { crawlId, maxPages } = input;
  let state: CrawlState = input.cursor ? 'RUNNING' : 'PLANNING';
  let cancelled = false;
  let currentPage: string | null = null;
  let pagesSinceReport = 0;
  const cursor: CrawlCursor = input.cursor ?? {
    queue: [],
    seen: [],
    done: [],
    failed: [],
    chunksAdded: 0,
    followLinks: false,
    paused: false,
  };
  const seen = new Set(cursor.seen);
  const done = new Set(cursor.done);

  const progress = (): CrawlProgress => ({
    crawlId,
    state: cursor.paused && state === 'RUNNING' ? 'PAUSED' : state,
    maxPages,
    pagesDone: done.size,
    queued: cursor.queue.length,
    failed: cursor.failed.length,
    chunksAdded: cursor.chunksAdded,
    currentPage,
  });
  setHandler(crawlProgress, progress);
  setHandler(pauseCrawl, () => void (cursor.paused = true));
  setHandler(resumeCrawl, () => void (cursor.paused = false));
  setHandler(cancelCrawl, () => void (cancelled = true));

  const report = async (status: 'IN_PROGRESS' | 'SUCCESS' | 'FAILED', errorMessage: string | null = null) => {
    upsertMemo({ progress: progress() });
    await recordCrawlStatus({
      crawlId,
      status,
      pagesCrawled: done.size,
      documentsAdded: cursor.chunksAdded,
      errorMessage,
    });
  };

  try {
    if (!input.cursor) {
      await report('IN_PROGRESS');
      const plan = await planCrawl({ baseUrl: input.baseUrl, maxPages, seedTitles: input.seedTitles });
      cursor.followLinks = plan.followLinks;
      enqueue(plan.urls);
      state = 'RUNNING';
    }

    while (cursor.queue.length > 0 && done.size < maxPages) {
      await condition(() => !cursor.paused || cancelled);
      if (cancelled) break;
      const url = cursor.queue.shift() as string;
      currentPage = url;
      try {
        const page = await crawlPage({ url, crawlId, baseUrl: input.baseUrl });
        if (page.status === 'indexed' && !done.has(page.canonicalUrl)) {
          done.add(page.canonicalUrl);
          cursor.chunksAdded += page.chunks;
        }
        seen.add(page.canonicalUrl);
        if (cursor.followLinks) enqueue(page.links);
      } catch (err) {
        await deadLetterStep({
          step: `crawlPage ${url}`,
          error: err,
          maxAttempts: PAGE_MAX_ATTEMPTS,
          payload: { crawlId, url, baseUrl: input.baseUrl },
        });
        cursor.failed.push(url);
      }
      currentPage = null;
      pagesSinceReport++;
      upsertMemo({ progress: progress() });
      if (pagesSinceReport >= STATUS_EVERY_PAGES) {
        pagesSinceReport = 0;
        await report('IN_PROGRESS');
      }
      const historyLimit = input.maxHistoryEvents ?? MAX_HISTORY_EVENTS;
      if (workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > historyLimit) {
        await condition(allHandlersFinished);
        await continueAsNew<typeof WikiCrawlWorkflow>({ ...input, cursor: snapshot() });
      }
      if (input.delayMs > 0 && cursor.queue.length > 0) await sleep(input.delayMs);
    }

    if (cancelled) {
      state = 'CANCELLED';
      await report('FAILED', `cancelled by an admin after ${done.size} pages`);
    } else {
      state = 'SUCCESS';
      await report('SUCCESS');
    }
    return progress();
  } catch (err) {
    // Cancelled from the Temporal UI/CLI, or something unexpected: say so in rag_crawl_status.
    state = isCancellation(err) ? 'CANCELLED' : 'FAILED';
    await CancellationScope.nonCancellable(() => report('FAILED', String((err as Error).message ?? err)));
    throw err;
  }

  function enqueue(urls: string[]): void {
    for (const url of urls) {
      if (seen.has(url) || seen.size >= maxPages * QUEUE_HEADROOM) continue;
      seen.add(url);
      cursor.queue.push(url);
    }
  }

  function snapshot(): CrawlCursor {
    return { ...cursor, seen: [...seen], done: [...done] };
  }
}
