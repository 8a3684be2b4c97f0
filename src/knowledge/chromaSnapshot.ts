/**
 * Export and import of a Chroma collection through Chroma's HTTP API, for `npm run backup`: ids,
 * embeddings, documents, metadatas and URIs, in pages. Unlike a copy of Chroma's data directory this is
 * safe while Chroma runs (a copy taken mid-write can be torn), needs no access to the server's disk, and
 * works against any Chroma, a remote one included, and across Chroma versions.
 *
 * Import adds the records the collection lacks and, with `overwrite`, replaces those it has (an upsert
 * by id); it never deletes. The collection is created if missing, with the exported metadata and HNSW
 * configuration (cosine space for the wiki), and refused if it exists in another distance space.
 *
 * Ids, documents and metadata come back exactly. Embeddings are float32 in Chroma and travel as the
 * shortest decimal that names each float32, which JSON carries exactly; but a cosine collection (the
 * wiki's) hands back each vector normalised and scaled back, 1-2 ULP off what was written, and does the
 * same to what a restore writes: a restored embedding is within ~1e-7 of the exported one, relative to
 * its length (similarity scores agree to 6 decimal places), not bit for bit. A bit-exact copy needs the
 * data directory of a stopped Chroma (README, "Backups"). Metadata numbers are JSON numbers: a float
 * value that is a whole number (2.0) comes back as an integer, as with any JavaScript client (the wiki's
 * metadata has none).
 */
import { withoutPassword } from '../secrets';
import type { Collection, Metadata } from 'chromadb';
import { chromaClient } from './chromaChunks';

export interface ChromaCollectionInfo {
  name: string;
  metadata: Record<string, unknown> | null;
  /** The collection's configuration as Chroma reports it (`hnsw` and/or `spann` parameters). */
  configuration: Record<string, unknown>;
  count: number;
}

/** One record, as a line of the backup file. */
export interface ChromaRecord {
  id: string;
  embedding: number[];
  document: string | null;
  metadata: Metadata | null;
  uri?: string | null;
}

async function getCollection(chromaUrl: string, name: string): Promise<Collection | null> {
  try {
    return await chromaClient(chromaUrl).getCollection({ name });
  } catch (err) {
    if (err instanceof Error && err.name === 'ChromaNotFoundError') return null;
    throw new Error(
      `cannot use Chroma at ${withoutPassword(chromaUrl)}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

/** The collection's settings and size, or null when Chroma has no such collection. */
export async function describeChromaCollection(
  chromaUrl: string,
  name: string,
): Promise<ChromaCollectionInfo | null> {
  const collection = await getCollection(chromaUrl, name);
  if (!collection) return null;
  return {
    name,
    metadata: (collection.metadata as Record<string, unknown> | undefined) ?? null,
    configuration: { ...(collection.configuration as Record<string, unknown>) },
    count: await collection.count(),
  };
}

/**
 * Every record of the collection. The ids are listed first (cheap), then fetched in pages with their
 * embeddings, so a record deleted meanwhile is left out rather than shifting the pages.
 */
export async function* exportChromaRecords(
  chromaUrl: string,
  name: string,
  options: { pageSize?: number; idPageSize?: number } = {},
): AsyncGenerator<ChromaRecord> {
  const collection = await getCollection(chromaUrl, name);
  if (!collection) throw new Error(`Chroma at ${withoutPassword(chromaUrl)} has no collection ${name}`);
  const idPageSize = options.idPageSize ?? 10_000;
  const ids: string[] = [];
  for (let offset = 0; ; offset += idPageSize) {
    const page = await collection.get({ include: [], limit: idPageSize, offset });
    ids.push(...page.ids);
    if (page.ids.length < idPageSize) break;
  }
  const pageSize = options.pageSize ?? 500;
  for (let start = 0; start < ids.length; start += pageSize) {
    const page = await collection.get({
      ids: ids.slice(start, start + pageSize),
      include: ['embeddings', 'documents', 'metadatas', 'uris'],
    });
    for (let i = 0; i < page.ids.length; i++) {
      const embedding = page.embeddings[i];
      if (!embedding) throw new Error(`Chroma returned no embedding for ${page.ids[i]}`);
      const record: ChromaRecord = {
        id: page.ids[i] as string,
        embedding: [...embedding],
        document: page.documents[i] ?? null,
        metadata: page.metadatas[i] ?? null,
      };
      const uri = page.uris[i];
      if (uri) record.uri = uri;
      yield record;
    }
  }
}

/** The parameters Chroma accepts back when creating a collection (it reports a few more). */
function creationConfiguration(configuration: Record<string, unknown>): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const key of ['hnsw', 'spann']) {
    const value = configuration[key];
    if (value && typeof value === 'object') result[key] = value;
  }
  return result;
}

function distanceSpace(configuration: Record<string, unknown> | undefined): string | undefined {
  const pick = (key: string) => (configuration?.[key] as { space?: unknown } | null | undefined)?.space;
  const space = pick('hnsw') ?? pick('spann');
  return typeof space === 'string' ? space : undefined;
}

export interface ChromaRestoreCounts {
  added: number;
  replaced: number;
  kept: number;
}

/**
 * Writes `records` into collection `targetName` (created like `info` if missing). `onProgress` gets the
 * number of records handled so far after each batch.
 */
export async function importChromaRecords(
  chromaUrl: string,
  info: Pick<ChromaCollectionInfo, 'metadata' | 'configuration'>,
  targetName: string,
  records: AsyncIterable<ChromaRecord>,
  options: { overwrite?: boolean; batchSize?: number; onProgress?: (done: number) => void } = {},
): Promise<ChromaRestoreCounts> {
  const client = chromaClient(chromaUrl);
  let collection = await getCollection(chromaUrl, targetName);
  if (!collection) {
    collection = await client.getOrCreateCollection({
      name: targetName,
      embeddingFunction: null,
      configuration: creationConfiguration(info.configuration),
      ...(info.metadata && { metadata: info.metadata as Metadata }),
    });
  }
  const wanted = distanceSpace(info.configuration);
  const actual = distanceSpace(collection.configuration as Record<string, unknown>);
  if (wanted && actual && wanted !== actual) {
    throw new Error(
      `Chroma collection ${targetName} uses ${actual} distance, the backup ${wanted}: ` +
        'delete it (or restore into another CHROMA_COLLECTION) and restore again',
    );
  }

  const present = new Set<string>();
  const idPageSize = 10_000;
  for (let offset = 0; ; offset += idPageSize) {
    const page = await collection.get({ include: [], limit: idPageSize, offset });
    for (const id of page.ids) present.add(id);
    if (page.ids.length < idPageSize) break;
  }

  const batchSize = Math.min(options.batchSize ?? 500, await client.getMaxBatchSize());
  const counts: ChromaRestoreCounts = { added: 0, replaced: 0, kept: 0 };
  let batch: ChromaRecord[] = [];
  let done = 0;
  const flush = async () => {
    const write = batch.filter((record) => options.overwrite || !present.has(record.id));
    for (const record of batch) {
      if (!present.has(record.id)) counts.added++;
      else if (options.overwrite) counts.replaced++;
      else counts.kept++;
      present.add(record.id);
    }
    // Records without a document, metadata or URI go in their own upserts, so none gets an empty one.
    const groups = new Map<string, ChromaRecord[]>();
    for (const record of write) {
      const key = `${record.document !== null}${record.metadata !== null}${Boolean(record.uri)}`;
      groups.set(key, [...(groups.get(key) ?? []), record]);
    }
    for (const group of groups.values()) {
      const [first] = group;
      await collection.upsert({
        ids: group.map((record) => record.id),
        embeddings: group.map((record) => record.embedding),
        ...(first?.document !== null && { documents: group.map((record) => record.document ?? '') }),
        ...(first?.metadata !== null && { metadatas: group.map((record) => record.metadata ?? {}) }),
        ...(first?.uri && { uris: group.map((record) => record.uri ?? '') }),
      });
    }
    done += batch.length;
    batch = [];
    options.onProgress?.(done);
  };
  for await (const record of records) {
    batch.push(record);
    if (batch.length >= batchSize) await flush();
  }
  await flush();
  return counts;
}
