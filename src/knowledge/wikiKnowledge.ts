import type { Collection } from 'chromadb';
import type { RagSnippet } from '../store/conversationHistory';
import { chunkEmbeddings, openWikiCollection, queryChunks, type WikiHit } from './chromaChunks';
import { recentlyMemoized } from './recentlyMemoized';
import { createMiniLmEmbedder, MINILM_MODEL_ID, type Embedder } from './embedder';
import { capPerArticle, reciprocalRankFusion, type ArticleCap, type Candidate } from './fusion';
import { createLexicalIndex, indexTerms } from './lexicalIndex';
import type { Retriever } from './retriever';

/** Longest a reply's retrieval waits for the lexical index to be built or catch up. */
const LEXICAL_MAX_WAIT_MS = 1000;

export interface WikiKnowledgeOptions {
  chromaUrl: string;
  collectionName: string;
  /** Unset: replies go without wiki context and crawls fail, each saying why. */
  modelDir: string | undefined;
  topK: number;
  minScore: number;
  /**
   * How often the lexical index checks Chroma for chunks written since (ms; two small requests per
   * check). Default 1 s.
   */
  lexicalRefreshMs?: number;
}

/**
 * The choices `search` makes; `retrieve` uses RETRIEVAL_DEFAULTS with the configured minScore (each
 * measured by `npm run bench`).
 */
export interface RetrievalChoices {
  dense: boolean;
  lexical: boolean;
  /** Null: no cap. */
  articleCap: ArticleCap | null;
  /** Candidates each method contributes before fusion. */
  pool: number;
  /**
   * Lexical hits sharing fewer of the question's terms (or fewer than all, for a shorter question)
   * are left out: a chunk that shares one everyday word ("dad", "town") is mostly noise.
   */
  lexicalMinTerms: number;
  /** Cosine similarity to the question every snippet needs, whichever method found it. */
  minScore: number;
}

export const RETRIEVAL_DEFAULTS: Omit<RetrievalChoices, 'minScore'> = {
  dense: true,
  lexical: true,
  articleCap: { perArticle: 1, perNamedArticle: 2 },
  pool: 30,
  lexicalMinTerms: 2,
};

/**
 * The wiki knowledge base as the worker sees it: the embedder and the Chroma collection,
 * each opened on first use (and opened again after a failure, e.g. Chroma restarting),
 * and retrieval for replies.
 */
export interface WikiKnowledge extends Retriever {
  embedder(): Promise<Embedder>;
  collection(): Promise<Collection>;
  /** The best `topK` chunks for `query` with these choices. */
  search(query: string, choices: RetrievalChoices): Promise<WikiHit[]>;
  /** Loads the model and builds the lexical index now, so the first replies need not wait. */
  warm(): Promise<void>;
}

/** Query embeddings kept: a message answered by several characters is embedded once. */
const QUERY_EMBEDDINGS_KEPT = 256;

export function createWikiKnowledge(options: WikiKnowledgeOptions): WikiKnowledge {
  const { modelDir } = options;
  const embedder = lazy(async () => {
    if (!modelDir)
      throw new Error(
        'EMBEDDING_MODEL_DIR is not set: run scripts/install-tools.sh and set it to the path it prints',
      );
    return createMiniLmEmbedder({ modelDir });
  });
  const collection = lazy(async () =>
    openWikiCollection(options.chromaUrl, {
      name: options.collectionName,
      dimensions: (await embedder()).dimensions,
      model: MINILM_MODEL_ID,
    }),
  );
  const lexical = createLexicalIndex({
    collection,
    refreshMs: options.lexicalRefreshMs ?? 1000,
    maxWaitMs: LEXICAL_MAX_WAIT_MS,
  });

  const embedQuery = recentlyMemoized(
    async (query: string) => (await (await embedder()).embed([query]))[0],
    QUERY_EMBEDDINGS_KEPT,
  );

  async function search(query: string, choices: RetrievalChoices): Promise<WikiHit[]> {
    if (options.topK === 0 || query.trim() === '') return [];
    const vector = await embedQuery(query);
    if (!vector) return [];
    const chunks = await collection();
    const [dense, words] = await Promise.all([
      choices.dense ? queryChunks(chunks, vector, { k: choices.pool }) : [],
      choices.lexical ? lexical.search(query, choices.pool) : [],
    ]);
    const minTerms = Math.min(choices.lexicalMinTerms, new Set(indexTerms(query)).size);
    const candidates = new Map<string, Candidate<Omit<WikiHit, 'score'>>>();
    dense.forEach((hit, i) => candidates.set(hit.id, { hit, denseRank: i + 1 }));
    words
      .filter((hit) => hit.matchedTerms >= minTerms)
      .forEach((hit, i) => candidates.set(hit.id, { hit, ...candidates.get(hit.id), lexicalRank: i + 1 }));
    // Every snippet is judged by the same measure, cosine similarity, whichever method found it.
    const cosines = new Map(dense.map((hit) => [hit.id, hit.score]));
    const unscored = [...candidates.keys()].filter((id) => !cosines.has(id));
    for (const [id, embedding] of await chunkEmbeddings(chunks, unscored))
      cosines.set(id, dot(vector, embedding));
    const ranked = reciprocalRankFusion([...candidates.values()]).flatMap(({ hit }): WikiHit[] => {
      const score = cosines.get(hit.id); // none: deleted since the lexical index last caught up
      return score !== undefined && score >= choices.minScore ? [{ ...hit, score }] : [];
    });
    return choices.articleCap
      ? capPerArticle(ranked, query, options.topK, choices.articleCap)
      : ranked.slice(0, options.topK);
  }

  return {
    embedder,
    collection,
    search,
    async warm(): Promise<void> {
      await embedder();
      await lexical.warm();
    },
    async retrieve(query: string): Promise<RagSnippet[]> {
      const hits = await search(query, { ...RETRIEVAL_DEFAULTS, minScore: options.minScore });
      return hits.map(({ text, source_url, score }) => ({ text, source_url, score }));
    },
  };
}

/** Cosine similarity of unit vectors (MiniLM's are normalised). */
function dot(a: readonly number[], b: readonly number[]): number {
  return a.reduce((sum, x, i) => sum + x * (b[i] ?? 0), 0);
}

/** A value made on first use and kept, unless making it failed (then it is tried again). */
function lazy<T>(make: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => {
    value ??= make().catch((err: unknown) => {
      value = undefined;
      throw err;
    });
    return value;
  };
}
