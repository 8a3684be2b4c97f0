import { ApplicationFailure, Context } from '@temporalio/activity';
import { chunkArticle } from '../knowledge/chunking';
import { upsertPageChunks } from '../knowledge/chromaChunks';
import { fetchPage } from '../knowledge/fetchPage';
import { findStartPage, listAllPages, probeApi } from '../knowledge/mediawiki';
import { parseArticle } from '../knowledge/wikiPage';
import { articleUrl, normaliseArticleUrl } from '../knowledge/wikiUrls';
import type { WikiKnowledge } from '../knowledge/wikiKnowledge';
import type { CrawlStatus } from '../store/ragCrawlStatus';
import type { Store } from '../store/mongo';
import type { CrawledPage, CrawlPlan } from '../workflows/contracts/wikiCrawl';

const FETCH_TIMEOUT_MS = 30_000;
/** Chunks embedded between heartbeats (~1 s of CPU), so a long page never looks dead. */
const EMBED_SLICE = 32;
/** With link discovery or a page list, queue at most this multiple of maxPages. */
const LIST_HEADROOM = 3;
/** HTTP redirects followed within one article (another spelling, http -> https). */
const MAX_REDIRECT_HOPS = 5;

export interface CrawlStatusUpdate {
  crawlId: string;
  status: CrawlStatus;
  pagesCrawled: number;
  documentsAdded: number;
  errorMessage: string | null;
}

/** Activities of WikiCrawlWorkflow. */
export function createCrawlActivities(deps: { store: Store; knowledge: WikiKnowledge }) {
  return {
    /**
     * The pages to crawl: the seed titles (then links are followed), else the wiki's article list from
     * api.php (namespace 0, no redirects), else links from the wiki's start page (siteinfo's main page,
     * the site root's redirect, or Main_Page). The decision and its reason are logged and returned.
     */
    async planCrawl(input: { baseUrl: string; maxPages: number; seedTitles: string[] }): Promise<CrawlPlan> {
      const context = Context.current();
      const plan = await makePlan(input, context);
      context.log.info(`crawl plan: ${plan.summary}`, {
        mode: plan.mode,
        apiUrl: plan.apiUrl,
        startPage: plan.startPage?.url,
        startPageSource: plan.startPage?.source,
        pages: plan.urls.length,
      });
      return plan;
    },

    /**
     * Fetch, parse, chunk, embed and upsert one article; heartbeats between the steps. An HTTP redirect
     * to another article is not followed but returned (`redirect`): the workflow fetches the target
     * unless it has it already. Redirects within the same article (another spelling, http -> https) are
     * followed here.
     */
    async crawlPage(input: { url: string; crawlId: string; baseUrl: string }): Promise<CrawledPage> {
      const context = Context.current();
      context.heartbeat('fetch');
      const here = normaliseArticleUrl(input.url, input.baseUrl) ?? input.url;
      let fetched = await fetchPage(input.url, {
        timeoutMs: FETCH_TIMEOUT_MS,
        signal: context.cancellationSignal,
      });
      for (let hop = 1; fetched.location !== null; hop++) {
        const target = normaliseArticleUrl(fetched.location, input.baseUrl);
        // Out of the wiki's articles (another host, a special page): nothing to index.
        if (target === null) return { status: 'empty', canonicalUrl: here, chunks: 0, links: [] };
        if (target !== here) return { status: 'redirect', canonicalUrl: target, chunks: 0, links: [] };
        if (hop > MAX_REDIRECT_HOPS) {
          throw ApplicationFailure.nonRetryable(`${input.url} redirects in a loop`, 'WikiHttpError');
        }
        fetched = await fetchPage(fetched.location, {
          timeoutMs: FETCH_TIMEOUT_MS,
          signal: context.cancellationSignal,
        });
      }
      if (fetched.status === 404) return { status: 'missing', canonicalUrl: here, chunks: 0, links: [] };
      if (fetched.status >= 400) {
        const message = `${fetched.url} answered HTTP ${fetched.status}`;
        // 5xx and 429 may pass; other 4xx will not.
        if (fetched.status >= 500 || fetched.status === 429)
          throw ApplicationFailure.retryable(message, 'WikiHttpError');
        throw ApplicationFailure.nonRetryable(message, 'WikiHttpError');
      }
      const page = parseArticle(fetched.html, fetched.url);
      const canonicalUrl =
        normaliseArticleUrl(page.redirectTo ?? fetched.url, input.baseUrl) ??
        normaliseArticleUrl(input.url, input.baseUrl) ??
        input.url;
      const links = [
        ...new Set(
          page.links.map((href) => normaliseArticleUrl(href, canonicalUrl)).filter((u): u is string => !!u),
        ),
      ];
      const chunks = chunkArticle(page.sections, { title: page.title });
      if (page.isMissing || chunks.length === 0) return { status: 'empty', canonicalUrl, chunks: 0, links };

      const embedder = await deps.knowledge.embedder();
      const embeddings: number[][] = [];
      for (let start = 0; start < chunks.length; start += EMBED_SLICE) {
        context.heartbeat(`embed ${start}/${chunks.length}`);
        embeddings.push(
          ...(await embedder.embed(chunks.slice(start, start + EMBED_SLICE).map((chunk) => chunk.text))),
        );
      }
      context.heartbeat('upsert');
      await upsertPageChunks(await deps.knowledge.collection(), {
        url: canonicalUrl,
        title: page.title,
        crawlId: input.crawlId,
        chunks,
        embeddings,
      });
      return { status: 'indexed', canonicalUrl, chunks: chunks.length, links };
    },

    async recordCrawlStatus(update: CrawlStatusUpdate): Promise<void> {
      await deps.store.ragCrawlStatus.record(update.crawlId, {
        status: update.status,
        pages_crawled: update.pagesCrawled,
        documents_added: update.documentsAdded,
        error_message: update.errorMessage,
      });
    },
  };
}

async function makePlan(
  input: { baseUrl: string; maxPages: number; seedTitles: string[] },
  context: Context,
): Promise<CrawlPlan> {
  if (input.seedTitles.length > 0) {
    const urls = input.seedTitles.map((title) => articleUrl(input.baseUrl, title));
    return {
      mode: 'seeds',
      followLinks: true,
      urls,
      apiUrl: null,
      startPage: null,
      summary: `seed titles given -> link discovery from ${urls.length} seed page(s)`,
    };
  }
  const request = { timeoutMs: FETCH_TIMEOUT_MS, signal: context.cancellationSignal };
  const probe = await probeApi(input.baseUrl, request);
  if (!probe.apiUrl) {
    const startPage = await findStartPage(input.baseUrl, probe.mainPage, request);
    const from = {
      'siteinfo mainpage': `siteinfo mainpage "${probe.mainPage ?? ''}"`,
      'root redirect': 'the root redirect',
      default: 'default: neither siteinfo nor the site root named a main page',
    }[startPage.source];
    return {
      mode: 'links',
      followLinks: true,
      urls: [startPage.url],
      apiUrl: null,
      startPage,
      summary: `no usable api.php (${probe.reason}) -> link discovery from ${startPage.url} (from ${from})`,
    };
  }
  const urls: string[] = [];
  const limit = input.maxPages * LIST_HEADROOM;
  for await (const title of listAllPages(probe.apiUrl, { ...request, limit })) {
    urls.push(articleUrl(input.baseUrl, title));
    context.heartbeat(urls.length);
    if (urls.length >= limit) break;
  }
  const how =
    probe.queryMode === 'combined' ? 'meta=siteinfo&list=allpages answered together' : 'list=allpages works';
  return {
    mode: 'listing',
    followLinks: false,
    urls,
    apiUrl: probe.apiUrl,
    startPage: null,
    summary:
      `api.php at ${probe.apiUrl}: ${how} -> listing mode (${urls.length} articles listed)` +
      (probe.queryMode === 'single' ? `; probe: ${probe.reason}` : ''),
  };
}
