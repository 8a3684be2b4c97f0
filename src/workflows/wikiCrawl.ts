import {
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  ContinueAsNew,
  continueAsNew,
  isCancellation,
  proxyActivities,
  proxyLocalActivities,
  patched,
  setHandler,
  sleep,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { deadLetterStep } from './deadLetters';
import { CRAWL_PAGE_OPTIONS, PAGE_MAX_ATTEMPTS, PLAN_CRAWL_OPTIONS, STORE_OPTIONS } from './retryPolicies';
import {
  cancelCrawl,
  crawlProgress,
  pauseCrawl,
  resumeCrawl,
  CRAWL_SEARCH_ATTRIBUTES,
  type CrawlCursor,
  type CrawledPage,
  type CrawlProgress,
  type CrawlState,
  type WikiCrawlInput,
} from './contracts/wikiCrawl';

const { planCrawl } = proxyActivities<Activities>(PLAN_CRAWL_OPTIONS);
const { crawlPage } = proxyActivities<Activities>(CRAWL_PAGE_OPTIONS);

const { recordCrawlStatus } = proxyLocalActivities<Activities>(STORE_OPTIONS);

/** Continue as new well before Temporal's 51,200-event history limit (~10 events a page). */
const MAX_HISTORY_EVENTS = 5_000;
/** rag_crawl_status is written every this many pages (the memo and the query: every page). */
const STATUS_EVERY_PAGES = 5;
/** With link discovery, stop queueing new URLs beyond this multiple of maxPages. */
const QUEUE_HEADROOM = 3;

/**
 * Runs started before every state change was announced (memo and search attributes in the signal handlers,
 * a failed crawl that indexed nothing) replay without those commands: they take the old path.
 */
const ANNOUNCE_STATES_PATCH = 'wiki-crawl-announces-every-state';

/**
 * Crawls a MediaWiki (the Family Guy Fandom wiki by default) into the Chroma knowledge
 * base, one page per activity, upserting as it goes so retrieval keeps working during
 * the crawl. Admins pause, resume and cancel it by signal and watch it by query, in the
 * Temporal UI (memo `progress` and, when registered, the CrawlStatus and CrawlPagesDone
 * search attributes, updated on every state change) and in rag_crawl_status.
 *
 * A crawl that indexed no page fails (ApplicationFailure `CrawlIndexedNothing`, not
 * retryable, the final progress as its details) with a message saying why: the start
 * page is missing, every page failed, or api.php listed nothing. Cancelled crawls end
 * CANCELLED (the workflow's result), cancelled from Temporal: the cancellation.
 */
export async function WikiCrawlWorkflow(input: WikiCrawlInput): Promise<CrawlProgress> {
  const { crawlId, maxPages } = input;
  const announceEveryState = patched(ANNOUNCE_STATES_PATCH);
  let state: CrawlState = input.cursor ? 'RUNNING' : 'PLANNING';
  let cancelled = false;
  let error: string | null = null;
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
    mode: cursor.plan?.mode ?? null,
    plan: cursor.plan?.summary ?? null,
    error,
  });
  /** The Temporal UI's view: the memo, and the search attributes where the namespace has them. */
  const announce = (): void => {
    const now = progress();
    upsertMemo({ progress: now });
    if (input.searchAttributes) {
      upsertSearchAttributes([
        { key: CRAWL_SEARCH_ATTRIBUTES.status, value: now.state },
        { key: CRAWL_SEARCH_ATTRIBUTES.pagesDone, value: now.pagesDone },
      ]);
    }
  };
  const setPaused = (paused: boolean): void => {
    if (cursor.paused === paused) return;
    cursor.paused = paused;
    if (announceEveryState) announce();
  };
  setHandler(crawlProgress, progress);
  setHandler(pauseCrawl, () => setPaused(true));
  setHandler(resumeCrawl, () => setPaused(false));
  setHandler(cancelCrawl, () => void (cancelled = true));

  const report = async (status: 'IN_PROGRESS' | 'SUCCESS' | 'FAILED', errorMessage: string | null = null) => {
    announce();
    await recordCrawlStatus({
      crawlId,
      status,
      pagesCrawled: done.size,
      documentsAdded: cursor.chunksAdded,
      errorMessage,
    });
  };

  let indexedNothing: string | null = null;
  try {
    if (!input.cursor) {
      await report('IN_PROGRESS');
      const plan = await planCrawl({ baseUrl: input.baseUrl, maxPages, seedTitles: input.seedTitles });
      cursor.followLinks = plan.followLinks;
      cursor.plan = {
        mode: plan.mode,
        apiUrl: plan.apiUrl,
        startPage: plan.startPage,
        summary: plan.summary,
      };
      enqueue(plan.urls);
      state = 'RUNNING';
    }
    if (announceEveryState) announce(); // RUNNING (or PAUSED), in this run too after continue-as-new

    while (cursor.queue.length > 0 && done.size < maxPages) {
      await condition(() => !cursor.paused || cancelled);
      if (cancelled) break;
      const url = cursor.queue.shift() as string;
      // Indexed already through a redirect that served its content.
      if (announceEveryState && done.has(url)) continue;
      currentPage = url;
      try {
        const page = await crawlPage({ url, crawlId, baseUrl: input.baseUrl });
        countPage(cursor, page.status);
        if (page.status === 'redirect') {
          // Fetch the target next, unless it was fetched or queued already.
          if (!seen.has(page.canonicalUrl)) {
            seen.add(page.canonicalUrl);
            cursor.queue.unshift(page.canonicalUrl);
          }
        } else {
          if (page.status === 'indexed' && !done.has(page.canonicalUrl)) {
            done.add(page.canonicalUrl);
            cursor.chunksAdded += page.chunks;
          }
          seen.add(page.canonicalUrl);
          if (cursor.followLinks) enqueue(page.links);
        }
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
      error = `cancelled by an admin after ${done.size} pages`;
      await report('FAILED', error);
      return progress();
    }
    if (done.size === 0 && announceEveryState) {
      state = 'FAILED';
      error = indexedNothing = `indexed no page: ${whyNothing(cursor)}`;
      await report('FAILED', error);
    } else {
      state = 'SUCCESS';
      await report('SUCCESS');
      return progress();
    }
  } catch (err) {
    // Not an end: the next run goes on. (Runs from before the patch wrote FAILED here: their
    // histories replay through that old path.)
    if (err instanceof ContinueAsNew && announceEveryState) throw err;
    // Cancelled from the Temporal UI/CLI, or something unexpected: say so in rag_crawl_status.
    state = isCancellation(err) ? 'CANCELLED' : 'FAILED';
    error = String((err as Error).message ?? err);
    await CancellationScope.nonCancellable(() => report('FAILED', error));
    throw err;
  }
  // Temporal shows the run as Failed, with the reason; the admin API and the query show the progress.
  throw ApplicationFailure.create({
    type: 'CrawlIndexedNothing',
    message: indexedNothing,
    nonRetryable: true,
    details: [progress()],
  });

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

/** Counts a page that indexed nothing by why, for the message of a crawl that indexed none. */
function countPage(cursor: CrawlCursor, status: CrawledPage['status']): void {
  if (status === 'missing') cursor.missing = (cursor.missing ?? 0) + 1;
  if (status === 'empty') cursor.empty = (cursor.empty ?? 0) + 1;
  if (status === 'redirect') cursor.redirects = (cursor.redirects ?? 0) + 1;
}

/** Why a crawl that went through its queue indexed nothing, with the plan that led there. */
function whyNothing(cursor: CrawlCursor): string {
  const plan = cursor.plan;
  const summary = plan?.summary ?? 'no plan';
  const failed = cursor.failed.length;
  const missing = cursor.missing ?? 0;
  const empty = cursor.empty ?? 0;
  const redirects = cursor.redirects ?? 0;
  const requested = failed + missing + empty + redirects;
  if (requested === 0) {
    return plan?.mode === 'listing'
      ? `api.php at ${plan.apiUrl ?? '?'} listed no articles; ${summary}`
      : `there was no page to request; ${summary}`;
  }
  if (plan?.startPage && requested === 1) {
    const outcome =
      missing === 1
        ? 'is missing (HTTP 404)'
        : failed === 1
          ? 'failed (dead-lettered)'
          : 'has no article text';
    return `the start page ${plan.startPage.url} ${outcome}; ${summary}`;
  }
  return (
    `every page requested failed or had nothing to index (${requested} requests: ${failed} failed and ` +
    `dead-lettered, ${missing} missing (HTTP 404), ${empty} without article text, ${redirects} redirects); ${summary}`
  );
}
