import type { Collection } from 'chromadb';
import type { RagSnippet } from '../store/conversationHistory';
import { openWikiCollection, queryChunks } from './chromaChunks';
import { createMiniLmEmbedder, MINILM_MODEL_ID, type Embedder } from './embedder';
import type { Retriever } from './retriever';

export interface WikiKnowledgeOptions {
  chromaUrl: string;
  collectionName: string;
  /** Unset: replies go without wiki context and crawls fail, each saying why. */
  modelDir: string | undefined;
  topK: number;
  minScore: number;
}

/**
 * The wiki knowledge base as the worker sees it: the embedder and the Chroma collection,
 * each opened on first use (and opened again after a failure, e.g. Chroma restarting),
 * and retrieval for replies.
 */
export interface WikiKnowledge extends Retriever {
  embedder(): Promise<Embedder>;
  collection(): Promise<Collection>;
}

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
  return {
    embedder,
    collection,
    async retrieve(query: string): Promise<RagSnippet[]> {
      if (options.topK === 0 || query.trim() === '') return [];
      const [vector] = await (await embedder()).embed([query]);
      if (!vector) return [];
      const hits = await queryChunks(await collection(), vector, {
        k: options.topK,
        minScore: options.minScore,
      });
      return hits.map(({ text, source_url, score }) => ({ text, source_url, score }));
    },
  };
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
