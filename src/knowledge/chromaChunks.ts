/**
 * The one owner of the Chroma collection of wiki chunks (`family_guy_wiki`). We embed ourselves
 * (`embeddingFunction: null`), in cosine space, so a hit's score is 1 - cosine distance.
 *
 * A chunk's id is `<sha1 of the page URL>#<chunk index>`: re-crawling a page overwrites its chunks in
 * place (upsert), and chunks past the new count are deleted afterwards, so the page is never missing from
 * the knowledge base while it is replaced and a page that shrank leaves nothing stale. Nothing is ever
 * wiped before a crawl. Metadata of each chunk: source_url, title, section ('' for the lead: Chroma drops
 * null metadata values), chunk_index, crawl_id, indexed_at (ms since the epoch when the page was written:
 * what other processes' lexical indexes catch up from; chunks written before it existed lack it).
 */
import { createHash } from 'node:crypto';
import { ChromaClient, type Collection, type Metadata } from 'chromadb';

export const WIKI_COLLECTION = 'family_guy_wiki';

/** Collection metadata key recording the embedding size the collection was made for. */
const DIMENSIONS_KEY = 'embedding_dimensions';
const MODEL_KEY = 'embedding_model';

export interface OpenWikiCollectionOptions {
  /** Length of every embedding (384 for all-MiniLM-L6-v2). */
  dimensions: number;
  /** Collection name (tests use their own). */
  name?: string;
  /** Embedding model name, recorded on creation and checked afterwards when both are known. */
  model?: string;
}

export interface PageChunk {
  text: string;
  section: string | null;
  index: number;
}

export interface PageChunksInput {
  /** Canonical article URL (`normaliseArticleUrl`): the page's identity. */
  url: string;
  title: string;
  crawlId: string;
  /** Indexes 0..n-1, in order (as `chunkArticle` makes them). */
  chunks: readonly PageChunk[];
  /** One per chunk, in the same order. */
  embeddings: readonly number[][];
}

/** A chunk found by a query. */
export interface WikiHit extends StoredChunk {
  /** 1 - cosine distance: 1 for the same direction, 0 unrelated, down to -1. */
  score: number;
}

interface ChunkMetadata extends Metadata {
  source_url: string;
  title: string;
  section: string;
  chunk_index: number;
  crawl_id: string;
  indexed_at: number;
}

/** A chunk as stored, for indexes kept beside Chroma's (the lexical one). */
export interface StoredChunk {
  id: string;
  text: string;
  source_url: string;
  title: string;
  section: string | null;
  /** 0 for chunks written before indexed_at was recorded. */
  indexed_at: number;
}

/**
 * Gets (or creates, in cosine space) the wiki collection on the Chroma server at `chromaUrl`. Refuses a
 * collection made in another space or for embeddings of another size (or model): its scores or vectors
 * would not mean what this code assumes. Delete it and re-crawl.
 */
export async function openWikiCollection(
  chromaUrl: string,
  options: OpenWikiCollectionOptions,
): Promise<Collection> {
  const name = options.name ?? WIKI_COLLECTION;
  const metadata: Record<string, string | number> = { [DIMENSIONS_KEY]: options.dimensions };
  if (options.model) metadata[MODEL_KEY] = options.model;
  const collection = await chromaClient(chromaUrl).getOrCreateCollection({
    name,
    embeddingFunction: null,
    configuration: { hnsw: { space: 'cosine' } },
    metadata,
  });
  const space = collection.configuration?.hnsw?.space ?? collection.configuration?.spann?.space;
  if (space && space !== 'cosine') {
    throw new Error(`Chroma collection ${name} uses ${space} distance, not cosine: delete it and re-crawl`);
  }
  const existing = collection.metadata ?? {};
  const dimensions = existing[DIMENSIONS_KEY];
  if (typeof dimensions === 'number' && dimensions !== options.dimensions) {
    throw new Error(
      `Chroma collection ${name} holds ${dimensions}-dimensional embeddings, ` +
        `not ${options.dimensions}: delete it and re-crawl`,
    );
  }
  const model = existing[MODEL_KEY];
  if (options.model && typeof model === 'string' && model !== options.model) {
    throw new Error(
      `Chroma collection ${name} was embedded with ${model}, not ${options.model}: delete it and re-crawl`,
    );
  }
  return collection;
}

/** A client for `http(s)://host[:port]` (the client's `path` option is deprecated and loses the port). */
export function chromaClient(chromaUrl: string): ChromaClient {
  const url = new URL(chromaUrl);
  const ssl = url.protocol === 'https:';
  return new ChromaClient({ host: url.hostname, port: url.port ? Number(url.port) : ssl ? 443 : 80, ssl });
}

/** Stable id of a page's chunk. */
export function chunkId(url: string, index: number): string {
  return `${createHash('sha1').update(url).digest('hex')}#${index}`;
}

/**
 * Writes a page's chunks over its previous ones, then deletes those past the new count (all of them for
 * an empty `chunks`). Returns how many were written.
 */
export async function upsertPageChunks(collection: Collection, page: PageChunksInput): Promise<number> {
  const { url, chunks, embeddings } = page;
  if (embeddings.length !== chunks.length) {
    throw new Error(`${url}: ${chunks.length} chunks but ${embeddings.length} embeddings`);
  }
  chunks.forEach((chunk, i) => {
    if (chunk.index !== i)
      throw new Error(`${url}: chunk ${i} has index ${chunk.index}; indexes must be 0..n-1`);
  });
  const dimensions = collection.metadata?.[DIMENSIONS_KEY];
  embeddings.forEach((embedding, i) => {
    if (typeof dimensions === 'number' && embedding.length !== dimensions) {
      throw new Error(
        `${url}: embedding ${i} has ${embedding.length} dimensions, the collection ${dimensions}`,
      );
    }
    if (!embedding.every(Number.isFinite))
      throw new Error(`${url}: embedding ${i} is not all finite numbers`);
  });

  const indexedAt = Date.now();
  if (chunks.length > 0) {
    await collection.upsert({
      ids: chunks.map((chunk) => chunkId(url, chunk.index)),
      embeddings: embeddings.map((embedding) => [...embedding]),
      documents: chunks.map((chunk) => chunk.text),
      metadatas: chunks.map((chunk): ChunkMetadata => ({
        source_url: url,
        title: page.title,
        section: chunk.section ?? '',
        chunk_index: chunk.index,
        crawl_id: page.crawlId,
        indexed_at: indexedAt,
      })),
    });
  }
  // Chroma 1.0 answers { deleted: 0 } whatever it deleted: nothing to learn from the result.
  await collection.delete({
    where: { $and: [{ source_url: url }, { chunk_index: { $gte: chunks.length } }] },
  });
  return chunks.length;
}

/** Removes every chunk of a page (it is gone from the wiki, or became a redirect). */
export async function deletePageChunks(collection: Collection, url: string): Promise<void> {
  await collection.delete({ where: { source_url: url } });
}

export async function countChunks(collection: Collection): Promise<number> {
  return collection.count();
}

/**
 * The `k` chunks nearest to `embedding` whose score (1 - cosine distance) is at least `minScore`, best
 * first. Empty when the collection is.
 */
export async function queryChunks(
  collection: Collection,
  embedding: readonly number[],
  options: { k: number; minScore?: number },
): Promise<WikiHit[]> {
  if (options.k <= 0) return [];
  const result = await collection.query<ChunkMetadata>({
    queryEmbeddings: [[...embedding]],
    nResults: options.k,
    include: ['documents', 'metadatas', 'distances'],
  });
  const hits: WikiHit[] = [];
  const distances = result.distances[0] ?? [];
  const documents = result.documents[0] ?? [];
  const metadatas = result.metadatas[0] ?? [];
  distances.forEach((distance, i) => {
    const metadata = metadatas[i];
    if (distance === null || !metadata) return;
    hits.push({ ...toStoredChunk(result.ids[0]?.[i] ?? '', documents[i], metadata), score: 1 - distance });
  });
  return hits.filter((hit) => hit.score >= (options.minScore ?? -Infinity)).sort((a, b) => b.score - a.score);
}

/**
 * Every chunk (or, with `since`, those written at or after that `indexed_at`), in batches of `batchSize`.
 * Paged by offset: chunks written meanwhile may be missed or seen twice, which `since` catches up on.
 */
export async function* listChunks(
  collection: Collection,
  options: { since?: number; batchSize?: number } = {},
): AsyncGenerator<StoredChunk[]> {
  const batchSize = options.batchSize ?? 1000;
  const where = options.since === undefined ? undefined : { indexed_at: { $gte: options.since } };
  for (let offset = 0; ; offset += batchSize) {
    const result = await collection.get<ChunkMetadata>({
      ...(where ? { where } : {}),
      limit: batchSize,
      offset,
      include: ['documents', 'metadatas'],
    });
    const batch = result.ids.flatMap((id, i) => {
      const metadata = result.metadatas[i];
      return metadata ? [toStoredChunk(id, result.documents[i], metadata)] : [];
    });
    if (batch.length > 0) yield batch;
    if (result.ids.length < batchSize) return;
  }
}

/** The stored embeddings of the chunks `ids` (those that exist). */
export async function chunkEmbeddings(
  collection: Collection,
  ids: readonly string[],
): Promise<Map<string, number[]>> {
  if (ids.length === 0) return new Map();
  const result = await collection.get({ ids: [...ids], include: ['embeddings'] });
  return new Map(
    result.ids.flatMap((id, i) => {
      const embedding = result.embeddings[i];
      return embedding ? [[id, [...embedding]] as [string, number[]]] : [];
    }),
  );
}

function toStoredChunk(
  id: string,
  document: string | null | undefined,
  metadata: ChunkMetadata,
): StoredChunk {
  return {
    id,
    text: document ?? '',
    source_url: metadata.source_url,
    title: metadata.title,
    section: metadata.section === '' || metadata.section === undefined ? null : metadata.section,
    indexed_at: typeof metadata.indexed_at === 'number' ? metadata.indexed_at : 0,
  };
}
