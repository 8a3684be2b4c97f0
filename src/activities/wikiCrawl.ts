import { ApplicationFailure, Context } from '@temporalio/activity';
import { chunkArticle } from '../knowledge/chunking';
import { upsertPageChunks } from '../knowledge/chromaChunks';
import { fetchPage } from '../knowledge/fetchPage';
import { detectApi, listAllPages } from '../knowledge/mediawiki';
import { parseArticle } from '../knowledge/wikiPage';
import { articleUrl, normaliseArticleUrl } from '../knowledge/wikiUrls';
import type { WikiKnowledge } from '../knowledge/wikiKnowledge';
import type { CrawlStatus } from '../store/ragCrawlStatus';
import type { Store } from '../store/mongo';
import type { CrawledPage } from '../workflows/types';

const FETCH_TIMEOUT_MS = 30_000;
/** Chunks embedded between heartbeats (~1 s of CPU), so a long page never looks dead. */
const EMBED_SLICE = 32;
/** With link discovery or a page list, queue at most this multiple of maxPages. */
const LIST_HEADROOM = 3;

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
     * The pages to crawl: the seed titles (then links are followed), else the wiki's
     * article list from api.php (namespace 0, no redirects), else Main_Page and links.
     */
    async planCrawl(input: { baseUrl: string; maxPages: number; seedTitles: string[] }) {
      if (input.seedTitles.length > 0) {
        return { followLinks: true, urls: input.seedTitles.map((title) => articleUrl(input.baseUrl, title)) };
      }
      const context = Context.current();
      const api = await detectApi(input.baseUrl, {
        timeoutMs: FETCH_TIMEOUT_MS,
        signal: context.cancellationSignal,
      });
      if (!api) return { followLinks: true, urls: [articleUrl(input.baseUrl, 'Main_Page')] };
      const urls: string[] = [];
      const limit = input.maxPages * LIST_HEADROOM;
      for await (const title of listAllPages(api, {
        limit,
        timeoutMs: FETCH_TIMEOUT_MS,
        signal: context.cancellationSignal,
      })) {
        urls.push(articleUrl(input.baseUrl, title));
        context.heartbeat(urls.length);
        if (urls.length >= limit) break;
      }
      return { followLinks: false, urls };
    },

    /** Fetch, parse, chunk, embed and upsert one article; heartbeats between the steps. */
    async crawlPage(input: { url: string; crawlId: string; baseUrl: string }): Promise<CrawledPage> {
      const context = Context.current();
      context.heartbeat('fetch');
      const fetched = await fetchPage(input.url, {
        timeoutMs: FETCH_TIMEOUT_MS,
        signal: context.cancellationSignal,
      });
      if (fetched.status === 404) return { status: 'missing', canonicalUrl: input.url, chunks: 0, links: [] };
      if (fetched.status >= 400) {
        const message = `${input.url} answered HTTP ${fetched.status}`;
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
