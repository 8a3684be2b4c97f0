/**
 * BM25 over the wiki chunks (MiniSearch, in this process's memory), beside the dense search in Chroma.
 * Words the sentence encoder blurs (names, episode titles, "Lemon Pledge") are what it finds best.
 *
 * Chroma stays the one store: the index is built from the collection on first use and then catches
 * up on what any process wrote since, at most every `refreshMs`: the chunks whose `indexed_at` is at
 * or after the newest one it has seen replace their page's chunks (an upsert rewrites a whole page at
 * once), and when the counts still differ (a page deleted) it is rebuilt. So a crawl on another worker
 * reaches lexical search within `refreshMs`, while dense search sees it at once.
 *
 * A search waits for a build or catch-up at most `maxWaitMs`, then goes on with what the index holds
 * (nothing before the first build: replies then get dense results only). Building from 10,000 chunks
 * takes about 1.5 s, so a large wiki never makes a reply's retrieval time out; `warm()` builds ahead.
 */
import { within } from '../within';
import type { Collection } from 'chromadb';
import MiniSearch from 'minisearch';
import { listChunks, type StoredChunk } from './chromaChunks';

export interface LexicalHit extends StoredChunk {
  /** BM25 score: only comparable within one query. */
  bm25: number;
  /** How many of the query's terms the chunk has. */
  matchedTerms: number;
}

export interface LexicalIndex {
  /** The `limit` chunks that best match the query's words, best first. */
  search(query: string, limit: number): Promise<LexicalHit[]>;
  /** Builds (or catches up) now, waiting for it. */
  warm(): Promise<void>;
}

export interface LexicalIndexOptions {
  collection: () => Promise<Collection>;
  /** Check Chroma for changes at most this often (ms). */
  refreshMs: number;
  /** Longest a search waits for a build or catch-up in progress (ms). */
  maxWaitMs: number;
}

/** Words too common to say what a question is about. */
const STOPWORDS = new Set(
  (
    'a about after again all also am an and any are as at be because been before being but by can could ' +
    'did do does doing done for from get got had has have having he her here hers him his how i if in ' +
    'into is it its just like me more most my no not of on once one only or other our out over own said ' +
    'same she should so some such than that the their them then there these they this those through to ' +
    'too under until up us very was we were what when where which while who whom why will with would you ' +
    'your ever know tell thing things guy guys someone something anyone kind lot really'
  ).split(' '),
);

/** Lower case, no possessive or plural s, no stopwords or single letters (MiniSearch drops a null term). */
export function normaliseTerm(term: string): string | null {
  const word = term.toLowerCase().replace(/['’]s$/, '');
  if (word.length < 2 || STOPWORDS.has(word)) return null;
  return word.length > 3 && /[^s]s$/.test(word) ? word.slice(0, -1) : word;
}

/** The terms the index sees in `text` (its tokenizer, then `normaliseTerm`). */
export function indexTerms(text: string): string[] {
  const tokenize = MiniSearch.getDefault('tokenize') as (text: string) => string[];
  return tokenize(text)
    .map(normaliseTerm)
    .filter((term): term is string => term !== null);
}

function newIndex(): MiniSearch<StoredChunk> {
  return new MiniSearch<StoredChunk>({
    fields: ['text'],
    storeFields: ['text', 'source_url', 'title', 'section', 'indexed_at'],
    processTerm: normaliseTerm,
    searchOptions: { combineWith: 'OR' },
  });
}

export function createLexicalIndex(options: LexicalIndexOptions): LexicalIndex {
  let index = newIndex();
  /** Chunk ids per page URL, to replace a page's chunks when it is written again. */
  let pages = new Map<string, Set<string>>();
  let watermark: number | null = null;
  let checkedAt = -Infinity;
  /** The build or catch-up in progress: settles with its error, if any, rather than rejecting. */
  let refreshing: Promise<unknown> | null = null;

  async function rebuild(collection: Collection): Promise<void> {
    const fresh = newIndex();
    const freshPages = new Map<string, Set<string>>();
    let newest = 0;
    for await (const batch of listChunks(collection)) {
      for (const chunk of batch) {
        if (fresh.has(chunk.id)) continue; // offset paging can show a chunk twice
        fresh.add(chunk);
        pageOf(freshPages, chunk.source_url).add(chunk.id);
        newest = Math.max(newest, chunk.indexed_at);
      }
    }
    [index, pages, watermark] = [fresh, freshPages, newest];
  }

  async function catchUp(collection: Collection, since: number): Promise<void> {
    const changed = new Map<string, StoredChunk[]>();
    for await (const batch of listChunks(collection, { since })) {
      for (const chunk of batch) {
        const list = changed.get(chunk.source_url) ?? [];
        if (!list.some((c) => c.id === chunk.id)) list.push(chunk);
        changed.set(chunk.source_url, list);
      }
    }
    for (const [url, chunks] of changed) {
      const ids = pageOf(pages, url);
      for (const id of ids) index.discard(id);
      ids.clear();
      for (const chunk of chunks) {
        index.add(chunk);
        ids.add(chunk.id);
        watermark = Math.max(watermark ?? 0, chunk.indexed_at);
      }
    }
    if ((await collection.count()) !== index.documentCount) await rebuild(collection);
  }

  async function refresh(): Promise<void> {
    const collection = await options.collection();
    if (watermark === null) await rebuild(collection);
    else await catchUp(collection, watermark);
    checkedAt = Date.now();
  }

  /** The refresh in progress, started if due. */
  function refreshIfDue(): Promise<unknown> | null {
    if (Date.now() - checkedAt < options.refreshMs) return refreshing;
    refreshing ??= refresh().then(
      () => (refreshing = null),
      (err: unknown) => ((refreshing = null), err instanceof Error ? err : new Error(String(err))),
    );
    return refreshing;
  }

  return {
    async search(query: string, limit: number): Promise<LexicalHit[]> {
      const pending = refreshIfDue();
      if (pending) {
        const outcome = await within(pending, options.maxWaitMs, null);
        if (outcome instanceof Error) throw outcome;
      }
      return index
        .search(query)
        .slice(0, limit)
        .map((result) => ({
          id: String(result.id),
          text: result.text as string,
          source_url: result.source_url as string,
          title: result.title as string,
          section: result.section as string | null,
          indexed_at: result.indexed_at as number,
          bm25: result.score,
          matchedTerms: result.queryTerms.length,
        }));
    },
    async warm(): Promise<void> {
      checkedAt = -Infinity;
      const outcome = await refreshIfDue();
      if (outcome instanceof Error) throw outcome;
    },
  };
}

function pageOf(pages: Map<string, Set<string>>, url: string): Set<string> {
  let ids = pages.get(url);
  if (!ids) pages.set(url, (ids = new Set()));
  return ids;
}
