/**
 * Dump and restore of a whole MongoDB database, collection by collection, for `npm run backup`.
 * Generic over collections: whatever the app stores (the design document's five collections and any
 * added later) is in a backup, with its indexes.
 *
 * Documents travel as canonical Extended JSON, one a line: every BSON type survives (Date, ObjectId,
 * Int32 vs Double vs Int64, Binary, ...), and `mongoimport` reads the same files.
 *
 * Restoring adds the documents the database lacks and leaves those it has (same `_id`) as they are, like
 * `mongorestore` without `--drop`; `overwrite` makes the backup's version win (an upsert by `_id`).
 * Either way nothing the target holds beyond the backup is removed, and a second run changes nothing.
 *
 * Written for FerretDB v1 (the local stack) as much as for MongoDB. On its SQLite backend every query
 * scans the collection, `_id` lookups included (explain: SCAN), and a bulk write stops at its first error
 * whatever `ordered` says; an upsert per document would make a restore quadratic. So the target is read
 * once (each `_id` with a fingerprint of the document), documents it lacks are inserted in batches (one
 * at a time when a batch fails, to find the culprit), identical ones are skipped, and only documents
 * that differ are replaced by `_id`, and only with `overwrite`.
 */
import { createHash } from 'node:crypto';
import { BSON, MongoClient, MongoServerError, type Db, type Document } from 'mongodb';
import { scrubPassword, withoutPassword } from '../secrets';
import { isDuplicateKeyError } from './errors';

const { EJSON } = BSON;

/** What a backup records about a collection besides its documents. */
export interface CollectionInfo {
  name: string;
  /** `createCollection` options (capped, validator, collation, ...); usually empty. */
  options: Document;
  /** `listIndexes` output without the `_id` index. */
  indexes: Document[];
}

export interface RestoreCounts {
  /** Documents the target lacked, now added. */
  inserted: number;
  /** Documents the target has exactly as the backup does. */
  unchanged: number;
  /** Documents the target has (same `_id`) in another version, left as they are (without `overwrite`). */
  kept: number;
  /** Documents the target had (same `_id`) in another version, replaced by the backup's (`overwrite`). */
  replaced: number;
  /** Documents a unique index refused (another document holds the same key); not written. */
  conflicts: number;
  /** The first conflicts: the `_id` (Extended JSON) and the server's message. */
  conflictSamples: Array<{ id: string; error: string }>;
}

const MAX_CONFLICT_SAMPLES = 20;

/**
 * Connects, or throws an error that names the server (password hidden) and says why. Server selection
 * gives up after `serverSelectionTimeoutMS` (default 10 s).
 */
export async function connectForBackup(
  uri: string,
  options: { serverSelectionTimeoutMS?: number } = {},
): Promise<MongoClient> {
  let client: MongoClient | undefined;
  try {
    client = new MongoClient(uri, {
      serverSelectionTimeoutMS: options.serverSelectionTimeoutMS ?? 10_000,
      appName: 'family-guy-bots-backup',
    });
    await client.connect();
    await client.db('admin').command({ ping: 1 });
    return client;
  } catch (err) {
    await client?.close().catch(() => undefined);
    const reason = scrubPassword(err instanceof Error ? err.message : String(err), uri);
    throw new Error(`cannot use MongoDB at ${withoutPassword(uri)}: ${reason}`);
  }
}

/** The database's collections (views and `system.*` left out), with their options and indexes. */
export async function listCollectionInfos(db: Db): Promise<CollectionInfo[]> {
  const listed = await db.listCollections({}, { nameOnly: false }).toArray();
  const infos: CollectionInfo[] = [];
  for (const entry of listed) {
    if ((entry.type && entry.type !== 'collection') || entry.name.startsWith('system.')) continue;
    const indexes = (await db.collection(entry.name).listIndexes().toArray()) as Document[];
    infos.push({
      name: entry.name,
      options: (entry as { options?: Document }).options ?? {},
      indexes: indexes.filter((index) => index.name !== '_id_'),
    });
  }
  return infos.sort((a, b) => a.name.localeCompare(b.name));
}

/** An estimate of a collection's size, for progress. */
export function estimateCount(db: Db, name: string): Promise<number> {
  return db.collection(name).estimatedDocumentCount();
}

/** Every document of a collection as a line of canonical Extended JSON (no newline). */
export async function* dumpDocuments(db: Db, name: string, batchSize = 1000): AsyncGenerator<string> {
  // promoteValues: false keeps Int32, Int64 and Double apart (as BSON wrapper objects), so the
  // canonical form records each number's exact type.
  const cursor = db.collection(name).find({}, { promoteValues: false, batchSize });
  try {
    for await (const document of cursor) yield EJSON.stringify(document, { relaxed: false });
  } finally {
    await cursor.close();
  }
}

/** The filter that finds `document` by its `_id` (whatever BSON type that is). */
function byId(document: Document): Document {
  return { _id: document._id as unknown };
}

/** A line of `dumpDocuments` back to a document with the same BSON types. */
export function parseDocumentLine(line: string): Document {
  const parsed: unknown = EJSON.parse(line, { relaxed: false });
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || !('_id' in parsed)) {
    throw new Error('not a document with an _id');
  }
  return parsed;
}

/**
 * Creates the collection (with its options) if the database lacks it, then its indexes, one
 * `createIndex` at a time (see indexes.ts). Returns warnings for indexes the target already has under
 * other options (the target's are kept).
 */
export async function prepareCollection(db: Db, info: CollectionInfo): Promise<string[]> {
  const exists = (await db.listCollections({ name: info.name }, { nameOnly: true }).toArray()).length > 0;
  if (!exists) {
    try {
      await db.createCollection(info.name, info.options);
    } catch (err) {
      // 48: NamespaceExists (created meanwhile)
      if (!(err instanceof MongoServerError && err.code === 48)) throw err;
    }
  }
  const warnings: string[] = [];
  for (const index of info.indexes) {
    const options: Document = { ...index };
    for (const field of ['key', 'v', 'ns']) delete options[field];
    const key = index.key as Document;
    try {
      await db.collection(info.name).createIndex(key, options);
    } catch (err) {
      // 85: IndexOptionsConflict, 86: IndexKeySpecsConflict
      if (err instanceof MongoServerError && (err.code === 85 || err.code === 86)) {
        warnings.push(`${info.name}: index ${String(index.name)} exists with other options: ${err.message}`);
      } else throw err;
    }
  }
  return warnings;
}

function idKey(id: unknown): string {
  return EJSON.stringify({ id }, { relaxed: false });
}

/** A short fingerprint of a document's exact content (types and field order included). */
function fingerprint(document: Document): string {
  return createHash('sha1')
    .update(EJSON.stringify(document, { relaxed: false }))
    .digest('base64');
}

/**
 * Writes `documents` into collection `name` (see the module comment for what happens to documents that
 * exist). `onProgress` gets the number of documents handled so far after each batch.
 */
export async function restoreDocuments(
  db: Db,
  name: string,
  documents: AsyncIterable<Document>,
  options: { overwrite?: boolean; batchSize?: number; onProgress?: (done: number) => void } = {},
): Promise<RestoreCounts> {
  const collection = db.collection(name);
  const batchSize = options.batchSize ?? 500;
  const counts: RestoreCounts = {
    inserted: 0,
    unchanged: 0,
    kept: 0,
    replaced: 0,
    conflicts: 0,
    conflictSamples: [],
  };
  // What the target holds, read once: _id -> fingerprint (one scan; per-document lookups scan on FerretDB).
  const present = new Map<string, string>();
  for await (const document of collection.find({}, { promoteValues: false })) {
    present.set(idKey(document._id), fingerprint(document));
  }

  const conflict = (document: Document, err: unknown) => {
    counts.conflicts++;
    if (counts.conflictSamples.length < MAX_CONFLICT_SAMPLES) {
      counts.conflictSamples.push({
        id: EJSON.stringify(document._id, { relaxed: false }),
        error: err instanceof Error ? err.message : String(err),
      });
    }
  };
  /** A document whose `_id` the target has, in another version. */
  const differing = async (document: Document) => {
    if (!options.overwrite) {
      counts.kept++;
      return;
    }
    try {
      const result = await collection.replaceOne(byId(document), document);
      if (result.matchedCount > 0) counts.replaced++;
      else await single(document, false); // deleted meanwhile
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      conflict(document, err);
    }
  };
  /** Inserts one document the target seemed to lack. */
  const single = async (document: Document, retry = true): Promise<void> => {
    try {
      await collection.insertOne(document);
      counts.inserted++;
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      const stored = await collection.findOne(byId(document), { promoteValues: false });
      if (!stored) conflict(document, err);
      else if (fingerprint(stored) === fingerprint(document)) {
        counts.inserted++; // ours, from the failed batch (or an identical one written meanwhile)
      } else if (retry) await differing(document);
      else conflict(document, err);
    }
  };

  let handled = 0;
  let missing: Document[] = [];
  let known: Document[] = [];
  const flush = async () => {
    if (missing.length > 0) {
      try {
        await collection.insertMany(missing, { ordered: true });
        counts.inserted += missing.length;
      } catch (err) {
        if (!isDuplicateKeyError(err)) throw err; // (a MongoBulkWriteError is a MongoServerError)
        for (const document of missing) await single(document);
      }
    }
    for (const document of known) await differing(document);
    handled += missing.length + known.length;
    missing = [];
    known = [];
    options.onProgress?.(handled);
  };
  for await (const document of documents) {
    const key = idKey(document._id);
    const stored = present.get(key);
    const mine = fingerprint(document);
    present.set(key, mine); // a repeated _id in the input then counts as present, not as a conflict
    if (stored === undefined) missing.push(document);
    else if (stored !== mine) known.push(document);
    else {
      counts.unchanged++;
      if (++handled % batchSize === 0) options.onProgress?.(handled);
    }
    if (missing.length + known.length >= batchSize) await flush();
  }
  await flush();
  return counts;
}
