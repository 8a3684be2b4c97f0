/**
 * The wiki-crawl family's contract: what an admin starts a crawl with, how it reports progress
 * (query, memo, search attributes), the signals that steer it, and its ids.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal } from '@temporalio/workflow';

/** What an admin chooses when starting a wiki crawl. */
export interface WikiCrawlParams {
  /** Wiki root, e.g. https://familyguy.fandom.com */
  baseUrl: string;
  maxPages: number;
  /** Pause between page requests (politeness). */
  delayMs: number;
  /** Start from these article titles (link discovery) instead of the wiki's page list. */
  seedTitles: string[];
}

/** How a crawl finds its pages: the seed titles' links, the api.php article list, or links from a start page. */
export type CrawlMode = 'seeds' | 'listing' | 'links';

/** What planCrawl decided, and why (one line, also in the activity's log). */
export interface CrawlPlan {
  mode: CrawlMode;
  /** Follow links found in pages (seeds, or no api.php listing). */
  followLinks: boolean;
  /** The first pages to fetch. */
  urls: string[];
  /** The api.php that listed the articles (listing mode). */
  apiUrl: string | null;
  /** Where link discovery starts and who named it (links mode). */
  startPage: { url: string; source: 'siteinfo mainpage' | 'root redirect' | 'default' } | null;
  /**
   * e.g. "api.php at http://x/api.php: meta=siteinfo&list=allpages answered together -> listing mode
   * (31 articles)" or "no usable api.php (http://x/api.php answered 404; ...) -> link discovery from
   * http://x/wiki/Main_Page (from the root redirect)".
   */
  summary: string;
}

/** Where a crawl stands; carried across continue-as-new so nothing is fetched twice. */
export interface CrawlCursor {
  /** Article URLs still to fetch, in order. */
  queue: string[];
  /** Every URL ever queued (dedup for link discovery). */
  seen: string[];
  /** Canonical URLs indexed so far. */
  done: string[];
  /** URLs that failed for good (also dead-lettered). */
  failed: string[];
  chunksAdded: number;
  /** Follow links found in pages (no api.php page list, or seed titles given). */
  followLinks: boolean;
  paused: boolean;
  /** What planning decided (absent in cursors of older runs). */
  plan?: Omit<CrawlPlan, 'urls' | 'followLinks'>;
  /** Pages that answered 404, had no article text, or were HTTP redirects (counted for the failure message). */
  missing?: number;
  empty?: number;
  redirects?: number;
}

export interface WikiCrawlInput extends WikiCrawlParams {
  crawlId: string;
  /**
   * Upsert the CrawlStatus and CrawlPagesDone search attributes (CRAWL_SEARCH_ATTRIBUTES). Only when the
   * namespace has them registered (temporal/setup.sh): upserting an unregistered attribute fails the
   * workflow task. The admin API checks and sets it; absent: no search attributes.
   */
  searchAttributes?: boolean;
  /** Continue as new past this many history events (default 5,000; tests go lower). */
  maxHistoryEvents?: number;
  /** Set when the workflow continues as new. */
  cursor?: CrawlCursor;
}

export type CrawlState = 'PLANNING' | 'RUNNING' | 'PAUSED' | 'CANCELLED' | 'SUCCESS' | 'FAILED';

/** The answer of the `crawlProgress` query (and the workflow's memo `progress`). */
export interface CrawlProgress {
  crawlId: string;
  state: CrawlState;
  maxPages: number;
  pagesDone: number;
  queued: number;
  failed: number;
  chunksAdded: number;
  currentPage: string | null;
  /** How pages are found, once planned. */
  mode: CrawlMode | null;
  /** Why that mode (CrawlPlan.summary), once planned. */
  plan: string | null;
  /** Why the crawl FAILED or was CANCELLED; null otherwise. */
  error: string | null;
}

/** What crawling one page did. */
export interface CrawledPage {
  /**
   * indexed: chunks upserted; missing: 404; empty: no article text; redirect: an HTTP redirect to
   * `canonicalUrl` (not followed: the workflow fetches the target unless it has it already).
   */
  status: 'indexed' | 'missing' | 'empty' | 'redirect';
  /** The article's own URL (a redirect resolves to its target). */
  canonicalUrl: string;
  chunks: number;
  /** Normalised article URLs linked from the page. */
  links: string[];
}

/**
 * Search attributes a crawl upserts on every state change, when the namespace has them
 * (`WikiCrawlInput.searchAttributes`). Registered by temporal/search-attributes.txt (setup.sh and the
 * local dev server read it; a unit test keeps the two in step).
 */
export const CRAWL_SEARCH_ATTRIBUTES = {
  status: defineSearchAttributeKey('CrawlStatus', SearchAttributeType.KEYWORD),
  pagesDone: defineSearchAttributeKey('CrawlPagesDone', SearchAttributeType.INT),
} as const;

export const WIKI_CRAWL_WORKFLOW_TYPE = 'WikiCrawlWorkflow';

export function wikiCrawlWorkflowId(crawlId: string): string {
  return `wiki-crawl-${crawlId}`;
}

export const pauseCrawl = defineSignal('pauseCrawl');
export const resumeCrawl = defineSignal('resumeCrawl');
export const cancelCrawl = defineSignal('cancelCrawl');
export const crawlProgress = defineQuery<CrawlProgress>('crawlProgress');
