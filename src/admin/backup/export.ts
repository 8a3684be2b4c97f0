/** `npm run backup -- export`: every MongoDB collection and the Chroma collection into a new directory. */
import { mkdir, readdir, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

import { BSON, type Db } from 'mongodb';

import {
  describeChromaCollection,
  exportChromaRecords,
  type ChromaCollectionInfo,
} from '../../knowledge/chromaSnapshot';
import { withoutPassword } from '../../secrets';
import { connectForBackup, dumpDocuments, estimateCount, listCollectionInfos } from '../../store/dump';
import {
  BACKUP_FORMAT,
  BACKUP_VERSION,
  MANIFEST,
  type BackupFile,
  type BackupManifest,
  type BackupTarget,
  type ChromaEntry,
  type MongoCollectionEntry,
} from './format';
import { mapAsync, writeLines } from './lines';
import { silentReporter, type BackupReporter } from './reporter';

const { EJSON } = BSON;

export interface ExportOptions extends BackupTarget {
  dir: string;
  skipMongodb?: boolean;
  skipChroma?: boolean;
  reporter?: BackupReporter;
}

/** Writes a backup of the target into `dir` (which must not exist or be empty). */
export async function exportBackup(options: ExportOptions): Promise<BackupManifest> {
  const reporter = options.reporter ?? silentReporter;
  const dir = resolve(options.dir);
  await requireEmptyDirectory(dir);
  const started = Date.now();
  const manifest: BackupManifest = {
    format: BACKUP_FORMAT,
    version: BACKUP_VERSION,
    created_at: new Date(started).toISOString(),
    duration_ms: 0,
    mongodb: null,
    chroma: null,
  };

  // Reach both servers before anything is written, so a bad address leaves no half-made directory.
  const client = options.skipMongodb ? undefined : await connectForBackup(options.mongodbUri, options);
  try {
    const chromaInfo = options.skipChroma
      ? undefined
      : await describeChromaCollection(options.chromaUrl, options.chromaCollection);
    await mkdir(dir, { recursive: true });
    if (client) manifest.mongodb = await exportMongo(client.db(options.mongodbDb), dir, options, reporter);
    if (chromaInfo !== undefined) manifest.chroma = await exportChroma(chromaInfo, dir, options, reporter);
  } finally {
    await client?.close();
  }

  manifest.duration_ms = Date.now() - started;
  // The manifest comes last and appears at once: a directory without one is an export that did not finish.
  await writeFile(join(dir, `${MANIFEST}.partial`), `${JSON.stringify(manifest, null, 2)}\n`);
  await rename(join(dir, `${MANIFEST}.partial`), join(dir, MANIFEST));
  return manifest;
}

async function exportMongo(
  db: Db,
  dir: string,
  options: ExportOptions,
  reporter: BackupReporter,
): Promise<NonNullable<BackupManifest['mongodb']>> {
  reporter.line(`MongoDB ${withoutPassword(options.mongodbUri)}, database ${options.mongodbDb}`);
  const collections: MongoCollectionEntry[] = [];
  for (const info of await listCollectionInfos(db)) {
    const total = await estimateCount(db, info.name);
    const file = `mongodb/${encodeURIComponent(info.name)}.jsonl`;
    const lines = dumpDocuments(db, info.name);
    const written = await writeBackupFile(dir, file, lines, { label: info.name, total }, reporter);
    reporter.line(`  ${info.name}: ${written.count} documents`);
    collections.push({
      name: info.name,
      file,
      ...written,
      options: EJSON.serialize(info.options, { relaxed: true }),
      indexes: info.indexes.map((index) => EJSON.serialize(index, { relaxed: true })),
    });
  }
  return { database: options.mongodbDb, collections };
}

/** The Chroma collection's records into a file; `info` null: Chroma has no such collection yet. */
async function exportChroma(
  info: ChromaCollectionInfo | null,
  dir: string,
  options: ExportOptions,
  reporter: BackupReporter,
): Promise<ChromaEntry> {
  if (info === null) {
    reporter.line(
      `Chroma ${withoutPassword(options.chromaUrl)} has no collection ${options.chromaCollection} (nothing crawled yet)`,
    );
    return { collection: options.chromaCollection, present: false };
  }
  reporter.line(`Chroma ${withoutPassword(options.chromaUrl)}, collection ${info.name}`);
  const file = `chroma/${info.name}.jsonl`;
  const lines = mapAsync(exportChromaRecords(options.chromaUrl, info.name), (record) =>
    JSON.stringify(record),
  );
  const written = await writeBackupFile(dir, file, lines, { label: info.name, total: info.count }, reporter);
  reporter.line(`  ${info.name}: ${written.count} records`);
  return {
    collection: info.name,
    present: true,
    file,
    ...written,
    metadata: info.metadata,
    configuration: info.configuration,
  };
}

/** Writes one file of the backup, its progress reported under `label` against about `total` lines. */
function writeBackupFile(
  dir: string,
  file: string,
  lines: AsyncIterable<string>,
  { label, total }: { label: string; total: number },
  reporter: BackupReporter,
): Promise<Omit<BackupFile, 'file'>> {
  const task = `  ${label}`;
  return writeLines(join(dir, file), lines, (done) => reporter.progress(task, done, Math.max(total, done)));
}

async function requireEmptyDirectory(dir: string): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    if (code === 'ENOTDIR') throw new Error(`${dir} is a file, not a directory`);
    throw err;
  }
  if (entries.length > 0) throw new Error(`${dir} is not empty: export into a new or empty directory`);
}
