import type { Collection, Document, IndexDescription } from 'mongodb';

/**
 * Creates indexes one `createIndex` call at a time. FerretDB v1 drops the connection
 * (a server-side panic) when a multi-index `createIndexes` names indexes that already
 * exist, which is every start after the first; single calls are idempotent everywhere.
 */
export async function createIndexes<T extends Document>(
  collection: Collection<T>,
  indexes: IndexDescription[],
): Promise<void> {
  for (const { key, ...options } of indexes) await collection.createIndex(key, options);
}
