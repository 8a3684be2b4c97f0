/**
 * `npm run backup -- restore`: checks every file against the manifest before writing anything, then adds
 * what the target lacks; documents and records it already has are kept (`overwrite`: replaced by the
 * backup's). It deletes nothing, and running it twice is harmless.
 */
import { resolve } from 'node:path';

import { BSON, type Db, type Document } from 'mongodb';

import {
  importChromaRecords,
  type ChromaRecord,
  type ChromaRestoreCounts,
} from '../../knowledge/chromaSnapshot';
import { withoutPassword } from '../../secrets';
import { DataDeletions } from '../../store/dataDeletions';
import {
  connectForBackup,
  parseDocumentLine,
  prepareCollection,
  restoreDocuments,
  type RestoreCounts,
} from '../../store/dump';
import {
  insideBackup,
  type BackupManifest,
  type BackupTarget,
  type ChromaEntry,
  type MongoCollectionEntry,
} from './format';
import { parseLines } from './lines';
import { silentReporter, type BackupReporter } from './reporter';
import { verifyBackup } from './verify';

const { EJSON } = BSON;

export interface RestoreOptions extends BackupTarget {
  dir: string;
  /** Replace documents and records the target already has with the backup's version. */
  overwrite?: boolean;
  skipMongodb?: boolean;
  skipChroma?: boolean;
  reporter?: BackupReporter;
}

export interface RestoreSummary {
  manifest: BackupManifest;
  mongodb: Array<RestoreCounts & { name: string }> | null;
  chroma: (ChromaRestoreCounts & { collection: string }) | null;
  warnings: string[];
}

/** One restore: the checked backup directory, the options and where progress goes. */
interface Restore {
  dir: string;
  options: RestoreOptions;
  reporter: BackupReporter;
}

/** Restores a backup into the target (see the module comment). */
export async function restoreBackup(options: RestoreOptions): Promise<RestoreSummary> {
  const reporter = options.reporter ?? silentReporter;
  const dir = resolve(options.dir);
  const manifest = await verifyBackup(dir, reporter);
  const restore: Restore = { dir, options, reporter };
  const summary: RestoreSummary = { manifest, mongodb: null, chroma: null, warnings: [] };
  if (manifest.mongodb && !options.skipMongodb) {
    const mongodb = await restoreMongo(manifest, manifest.mongodb, restore);
    summary.mongodb = mongodb.collections;
    summary.warnings.push(...mongodb.warnings);
  }
  const chroma = manifest.chroma;
  if (chroma?.present && !options.skipChroma && chroma.file) {
    summary.chroma = await restoreChroma(chroma, chroma.file, restore);
  }
  for (const warning of summary.warnings) reporter.line(`warning: ${warning}`);
  return summary;
}

async function restoreMongo(
  manifest: BackupManifest,
  backup: NonNullable<BackupManifest['mongodb']>,
  { dir, options, reporter }: Restore,
): Promise<{ collections: NonNullable<RestoreSummary['mongodb']>; warnings: string[] }> {
  const client = await connectForBackup(options.mongodbUri, options);
  try {
    const db = client.db(options.mongodbDb);
    reporter.line(
      `MongoDB ${withoutPassword(options.mongodbUri)}, database ${options.mongodbDb} ` +
        `(backup of ${backup.database}, ${manifest.created_at})`,
    );
    const collections: NonNullable<RestoreSummary['mongodb']> = [];
    const warnings: string[] = [];
    for (const entry of backup.collections) {
      warnings.push(
        ...(await prepareCollection(db, {
          name: entry.name,
          options: EJSON.deserialize(entry.options, { relaxed: true }) as Document,
          indexes: entry.indexes.map((index) => EJSON.deserialize(index, { relaxed: true }) as Document),
        })),
      );
      collections.push({
        name: entry.name,
        ...(await restoreCollection(db, entry, { dir, options, reporter })),
      });
    }
    warnings.push(...(await deletionsSince(db, manifest.created_at)));
    return { collections, warnings };
  } finally {
    await client.close();
  }
}

/**
 * Forget-me deletions made after the backup: the backup still held those users' data, and restoring it
 * brought it back. The deletion is not redone here (data they wrote since would go too): an admin runs it.
 */
async function deletionsSince(db: Db, backupCreatedAt: string): Promise<string[]> {
  const later = await new DataDeletions(db).completedAfter(new Date(backupCreatedAt));
  const users = [...new Set(later.map((deletion) => deletion.user_id))];
  return users.map(
    (userId) =>
      `user ${userId} was forgotten (forget-me) after this backup was made, which holds their data again: ` +
      `run \`npm run admin -- users forget ${userId}\``,
  );
}

async function restoreCollection(
  db: Db,
  entry: MongoCollectionEntry,
  { dir, options, reporter }: Restore,
): Promise<RestoreCounts> {
  const task = `  ${entry.name}`;
  const documents = parseLines(insideBackup(dir, entry.file), entry.file, parseDocumentLine);
  const counts = await restoreDocuments(db, entry.name, documents, {
    overwrite: options.overwrite,
    onProgress: (done) => reporter.progress(task, done, entry.count),
  });
  reporter.line(`  ${entry.name}: ${describeCounts(counts)}`);
  for (const sample of counts.conflictSamples) {
    reporter.line(`    conflict: _id ${sample.id}: ${sample.error}`);
  }
  return counts;
}

function describeCounts(counts: RestoreCounts): string {
  const parts = [`${counts.inserted} added`, `${counts.unchanged} already there`];
  if (counts.kept > 0)
    parts.push(`${counts.kept} there in another version (kept; --overwrite replaces them)`);
  if (counts.replaced > 0) parts.push(`${counts.replaced} replaced by the backup's version`);
  if (counts.conflicts > 0) parts.push(`${counts.conflicts} CONFLICTS (not written)`);
  return parts.join(', ');
}

async function restoreChroma(
  chroma: ChromaEntry,
  file: string,
  { dir, options, reporter }: Restore,
): Promise<NonNullable<RestoreSummary['chroma']>> {
  const target = options.chromaCollection;
  reporter.line(
    `Chroma ${withoutPassword(options.chromaUrl)}, collection ${target} (backup of ${chroma.collection})`,
  );
  const task = `  ${target}`;
  const records = parseLines(insideBackup(dir, file), file, (line) => JSON.parse(line) as ChromaRecord);
  const counts = await importChromaRecords(
    options.chromaUrl,
    { metadata: chroma.metadata ?? null, configuration: chroma.configuration ?? {} },
    target,
    records,
    {
      overwrite: options.overwrite,
      onProgress: (done) => reporter.progress(task, done, chroma.count ?? done),
    },
  );
  reporter.line(
    `  ${target}: ${counts.added} added, ${counts.replaced} replaced, ${counts.kept} already there`,
  );
  return { collection: target, ...counts };
}
