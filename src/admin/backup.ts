/**
 * Backups of what the bots remember: every collection of the MongoDB database (conversation_history,
 * fine_tuning_data, character_prompts, rag_crawl_status, dead_letter_queue, and any other) and the Chroma
 * knowledge base (CHROMA_COLLECTION).
 *
 *   npm run backup -- export <dir> [--skip-mongodb] [--skip-chroma]
 *   npm run backup -- restore <dir> [--overwrite] [--skip-mongodb] [--skip-chroma]
 *   npm run backup -- verify <dir>
 *
 * MONGODB_URI, MONGODB_DB, CHROMA_URL and CHROMA_COLLECTION say where from and where to (a backup of one
 * database can be restored into another). A backup is a directory:
 *
 *   manifest.json                  written last: counts, sha256 of every file, indexes, time
 *   mongodb/<collection>.jsonl     one document a line, canonical Extended JSON (src/store/dump.ts)
 *   chroma/<collection>.jsonl      one record a line: id, embedding, document, metadata
 *
 * Restore checks every file against the manifest before writing anything, then adds what the target
 * lacks; documents and records it already has are kept (`--overwrite`: replaced by the backup's). It
 * deletes nothing, and running it twice is harmless. Exit status: 0 done, 1 done but some documents
 * conflicted with a unique index (listed), 2 failed.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, join, normalize, resolve, sep } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { BSON, type Document } from 'mongodb';
import { loadConfig } from '../config';
import { withoutPassword } from '../secrets';
import {
  describeChromaCollection,
  exportChromaRecords,
  importChromaRecords,
  type ChromaRecord,
  type ChromaRestoreCounts,
} from '../knowledge/chromaSnapshot';
import {
  connectForBackup,
  dumpDocuments,
  estimateCount,
  listCollectionInfos,
  parseDocumentLine,
  prepareCollection,
  restoreDocuments,
  type RestoreCounts,
} from '../store/dump';

const { EJSON } = BSON;

export const BACKUP_FORMAT = 'family-guy-bots-backup';
export const BACKUP_VERSION = 1;
const MANIFEST = 'manifest.json';

export interface BackupFile {
  /** Relative to the backup directory. */
  file: string;
  /** Lines (documents or records) in the file. */
  count: number;
  sha256: string;
}

export interface MongoCollectionEntry extends BackupFile {
  name: string;
  /** Relaxed Extended JSON. */
  options: Document;
  /** Relaxed Extended JSON, `_id` index left out. */
  indexes: Document[];
}

export interface ChromaEntry extends Partial<BackupFile> {
  collection: string;
  /** False when Chroma had no such collection yet (nothing crawled): nothing to restore. */
  present: boolean;
  metadata?: Record<string, unknown> | null;
  configuration?: Record<string, unknown>;
}

export interface BackupManifest {
  /** BACKUP_FORMAT in a manifest this program wrote. */
  format: string;
  version: number;
  created_at: string;
  duration_ms: number;
  /** Null when left out (--skip-mongodb). */
  mongodb: { database: string; collections: MongoCollectionEntry[] } | null;
  /** Null when left out (--skip-chroma). */
  chroma: ChromaEntry | null;
}

/** Where progress goes: a terminal (terminalReporter), or nowhere (tests). */
export interface BackupReporter {
  /** `done` of about `total` items of `task` handled so far. */
  progress(task: string, done: number, total: number): void;
  /** A finished step, a warning, a summary line. */
  line(text: string): void;
}

export const silentReporter: BackupReporter = { progress: () => undefined, line: () => undefined };

/**
 * Progress on one rewritten line of a terminal (10 updates a second at most); on a pipe or a log file a
 * line every 5 s instead.
 */
export function terminalReporter(stream: NodeJS.WriteStream = process.stderr): BackupReporter {
  const tty = Boolean(stream.isTTY);
  let last = 0;
  let lastKey = '';
  let taskStarted = { task: '', at: 0 };
  let open = false;
  return {
    progress(task, done, total) {
      const now = Date.now();
      if (taskStarted.task !== task) taskStarted = { task, at: now };
      const key = `${task} ${done}`;
      if (key === lastKey || (now - last < (tty ? 100 : 5000) && done < total)) return;
      last = now;
      lastKey = key;
      const seconds = (now - taskStarted.at) / 1000;
      const rate = seconds > 0.5 ? `  ${Math.round(done / seconds)}/s` : '';
      const percent = total > 0 ? ` (${Math.min(100, Math.floor((done / total) * 100))}%)` : '';
      const text = `${task}  ${done}/${total}${percent}${rate}`;
      if (tty) {
        stream.write(`\r\x1b[2K${text}`);
        open = true;
      } else stream.write(`${text}\n`);
    },
    line(text) {
      if (open) stream.write('\r\x1b[2K');
      open = false;
      stream.write(`${text}\n`);
    },
  };
}

export interface BackupTarget {
  mongodbUri: string;
  mongodbDb: string;
  chromaUrl: string;
  chromaCollection: string;
  /** How long to look for the MongoDB server before giving up (default 10 s). */
  serverSelectionTimeoutMS?: number;
}

export interface ExportOptions extends BackupTarget {
  dir: string;
  skipMongodb?: boolean;
  skipChroma?: boolean;
  reporter?: BackupReporter;
}

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

    if (client) {
      const db = client.db(options.mongodbDb);
      reporter.line(`MongoDB ${withoutPassword(options.mongodbUri)}, database ${options.mongodbDb}`);
      const collections: MongoCollectionEntry[] = [];
      for (const info of await listCollectionInfos(db)) {
        const total = await estimateCount(db, info.name);
        const file = `mongodb/${encodeURIComponent(info.name)}.jsonl`;
        const task = `  ${info.name}`;
        const written = await writeLines(join(dir, file), dumpDocuments(db, info.name), (done) =>
          reporter.progress(task, done, Math.max(total, done)),
        );
        reporter.line(`  ${info.name}: ${written.count} documents`);
        collections.push({
          name: info.name,
          file,
          ...written,
          options: EJSON.serialize(info.options, { relaxed: true }),
          indexes: info.indexes.map((index) => EJSON.serialize(index, { relaxed: true })),
        });
      }
      manifest.mongodb = { database: options.mongodbDb, collections };
    }

    if (chromaInfo === null) {
      reporter.line(
        `Chroma ${withoutPassword(options.chromaUrl)} has no collection ${options.chromaCollection} (nothing crawled yet)`,
      );
      manifest.chroma = { collection: options.chromaCollection, present: false };
    } else if (chromaInfo) {
      reporter.line(`Chroma ${withoutPassword(options.chromaUrl)}, collection ${chromaInfo.name}`);
      const file = `chroma/${chromaInfo.name}.jsonl`;
      const task = `  ${chromaInfo.name}`;
      const written = await writeLines(
        join(dir, file),
        mapAsync(exportChromaRecords(options.chromaUrl, chromaInfo.name), (record) => JSON.stringify(record)),
        (done) => reporter.progress(task, done, Math.max(chromaInfo.count, done)),
      );
      reporter.line(`  ${chromaInfo.name}: ${written.count} records`);
      manifest.chroma = {
        collection: chromaInfo.name,
        present: true,
        file,
        ...written,
        metadata: chromaInfo.metadata,
        configuration: chromaInfo.configuration,
      };
    }
  } finally {
    await client?.close();
  }

  manifest.duration_ms = Date.now() - started;
  // The manifest comes last and appears at once: a directory without one is an export that did not finish.
  await writeFile(join(dir, `${MANIFEST}.partial`), `${JSON.stringify(manifest, null, 2)}\n`);
  await rename(join(dir, `${MANIFEST}.partial`), join(dir, MANIFEST));
  return manifest;
}

/** Reads and checks a backup's manifest and every file it names (count and sha256). */
export async function verifyBackup(dir: string, reporter: BackupReporter = silentReporter) {
  const manifest = await readManifest(dir);
  const files: Array<BackupFile & { label: string }> = [
    ...(manifest.mongodb?.collections ?? []).map((entry) => ({ ...entry, label: entry.name })),
  ];
  const chroma = manifest.chroma;
  if (chroma?.present && chroma.file && chroma.sha256 !== undefined && chroma.count !== undefined) {
    files.push({ file: chroma.file, count: chroma.count, sha256: chroma.sha256, label: chroma.collection });
  }
  const problems: string[] = [];
  for (const entry of files) {
    const path = insideBackup(dir, entry.file);
    const hash = createHash('sha256');
    let count = 0;
    try {
      for await (const line of readLines(path)) {
        hash.update(`${line}\n`);
        count++;
        if (count % 1000 === 0) reporter.progress(`  checking ${entry.label}`, count, entry.count);
      }
    } catch (err) {
      problems.push(`${entry.file}: ${(err as Error).message}`);
      continue;
    }
    if (count !== entry.count)
      problems.push(`${entry.file}: ${count} lines, the manifest says ${entry.count}`);
    else if (hash.digest('hex') !== entry.sha256)
      problems.push(`${entry.file}: sha256 differs from the manifest`);
  }
  if (problems.length > 0) {
    throw new Error(`backup ${dir} is damaged, nothing was restored:\n  - ${problems.join('\n  - ')}`);
  }
  return manifest;
}

/** Restores a backup into the target (see the module comment). */
export async function restoreBackup(options: RestoreOptions): Promise<RestoreSummary> {
  const reporter = options.reporter ?? silentReporter;
  const dir = resolve(options.dir);
  const manifest = await verifyBackup(dir, reporter);
  const summary: RestoreSummary = { manifest, mongodb: null, chroma: null, warnings: [] };
  const restoreMongo = manifest.mongodb && !options.skipMongodb;
  const restoreChroma = manifest.chroma?.present && !options.skipChroma;

  if (restoreMongo && manifest.mongodb) {
    const client = await connectForBackup(options.mongodbUri, options);
    try {
      const db = client.db(options.mongodbDb);
      reporter.line(
        `MongoDB ${withoutPassword(options.mongodbUri)}, database ${options.mongodbDb} ` +
          `(backup of ${manifest.mongodb.database}, ${manifest.created_at})`,
      );
      summary.mongodb = [];
      for (const entry of manifest.mongodb.collections) {
        summary.warnings.push(
          ...(await prepareCollection(db, {
            name: entry.name,
            options: EJSON.deserialize(entry.options, { relaxed: true }) as Document,
            indexes: entry.indexes.map((index) => EJSON.deserialize(index, { relaxed: true }) as Document),
          })),
        );
        const task = `  ${entry.name}`;
        const documents = mapAsync(numbered(readLines(insideBackup(dir, entry.file))), ([line, n]) => {
          try {
            return parseDocumentLine(line);
          } catch (err) {
            throw new Error(`${entry.file} line ${n}: ${(err as Error).message}`);
          }
        });
        const counts = await restoreDocuments(db, entry.name, documents, {
          overwrite: options.overwrite,
          onProgress: (done) => reporter.progress(task, done, entry.count),
        });
        summary.mongodb.push({ name: entry.name, ...counts });
        reporter.line(`  ${entry.name}: ${describeCounts(counts)}`);
        for (const sample of counts.conflictSamples) {
          reporter.line(`    conflict: _id ${sample.id}: ${sample.error}`);
        }
      }
    } finally {
      await client.close();
    }
  }

  const chroma = manifest.chroma;
  if (restoreChroma && chroma?.file) {
    const chromaFile = chroma.file;
    reporter.line(
      `Chroma ${withoutPassword(options.chromaUrl)}, collection ${options.chromaCollection} ` +
        `(backup of ${chroma.collection})`,
    );
    const task = `  ${options.chromaCollection}`;
    const records = mapAsync(numbered(readLines(insideBackup(dir, chromaFile))), ([line, n]) => {
      try {
        return JSON.parse(line) as ChromaRecord;
      } catch (err) {
        throw new Error(`${chromaFile} line ${n}: ${(err as Error).message}`);
      }
    });
    const counts = await importChromaRecords(
      options.chromaUrl,
      { metadata: chroma.metadata ?? null, configuration: chroma.configuration ?? {} },
      options.chromaCollection,
      records,
      {
        overwrite: options.overwrite,
        onProgress: (done) => reporter.progress(task, done, chroma.count ?? done),
      },
    );
    summary.chroma = { collection: options.chromaCollection, ...counts };
    reporter.line(
      `  ${options.chromaCollection}: ${counts.added} added, ${counts.replaced} replaced, ${counts.kept} already there`,
    );
  }
  for (const warning of summary.warnings) reporter.line(`warning: ${warning}`);
  return summary;
}

function describeCounts(counts: RestoreCounts): string {
  const parts = [`${counts.inserted} added`, `${counts.unchanged} already there`];
  if (counts.kept > 0)
    parts.push(`${counts.kept} there in another version (kept; --overwrite replaces them)`);
  if (counts.replaced > 0) parts.push(`${counts.replaced} replaced by the backup's version`);
  if (counts.conflicts > 0) parts.push(`${counts.conflicts} CONFLICTS (not written)`);
  return parts.join(', ');
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

async function readManifest(dir: string): Promise<BackupManifest> {
  const info = await stat(dir).catch(() => undefined);
  if (!info) throw new Error(`no backup at ${dir}: no such directory`);
  if (!info.isDirectory()) throw new Error(`no backup at ${dir}: not a directory`);
  let text: string;
  try {
    text = await readFile(join(dir, MANIFEST), 'utf8');
  } catch {
    throw new Error(
      `${dir} is not a complete backup: it has no ${MANIFEST} (an export that did not finish writes none)`,
    );
  }
  let manifest: BackupManifest;
  try {
    manifest = JSON.parse(text) as BackupManifest;
  } catch (err) {
    throw new Error(`${join(dir, MANIFEST)} is not valid JSON: ${(err as Error).message}`);
  }
  if (manifest.format !== BACKUP_FORMAT)
    throw new Error(`${join(dir, MANIFEST)} is not a ${BACKUP_FORMAT} manifest`);
  if (manifest.version > BACKUP_VERSION) {
    throw new Error(
      `backup format version ${String(manifest.version)} is newer than this program (${BACKUP_VERSION})`,
    );
  }
  return manifest;
}

/** A manifest's relative path inside the backup directory (never outside it). */
function insideBackup(dir: string, file: string): string {
  const path = normalize(join(dir, file));
  if (!path.startsWith(`${normalize(dir)}${sep}`))
    throw new Error(`manifest names a file outside the backup: ${file}`);
  return path;
}

/** Writes each line plus '\n', honouring back-pressure; returns the count and the sha256 of the bytes. */
async function writeLines(
  path: string,
  lines: AsyncIterable<string>,
  onCount: (count: number) => void,
): Promise<Omit<BackupFile, 'file'>> {
  await mkdir(dirname(path), { recursive: true });
  const out = createWriteStream(path, { flags: 'wx' });
  const hash = createHash('sha256');
  let count = 0;
  try {
    for await (const line of lines) {
      if (line.includes('\n')) throw new Error('a line of the backup contains a newline');
      const text = `${line}\n`;
      hash.update(text);
      count++;
      if (!out.write(text)) await once(out, 'drain');
      if (count % 200 === 0) onCount(count);
    }
  } finally {
    out.end();
    await once(out, 'close');
  }
  onCount(count);
  return { count, sha256: hash.digest('hex') };
}

async function* readLines(path: string): AsyncGenerator<string> {
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  for await (const line of lines) if (line !== '') yield line;
}

async function* numbered<T>(items: AsyncIterable<T>): AsyncGenerator<[T, number]> {
  let n = 0;
  for await (const item of items) yield [item, ++n];
}

async function* mapAsync<T, U>(items: AsyncIterable<T>, map: (item: T) => U): AsyncGenerator<U> {
  for await (const item of items) yield map(item);
}

const USAGE = `usage:
  npm run backup -- export <dir> [--skip-mongodb] [--skip-chroma]
  npm run backup -- restore <dir> [--overwrite] [--skip-mongodb] [--skip-chroma]
  npm run backup -- verify <dir>
MONGODB_URI, MONGODB_DB, CHROMA_URL and CHROMA_COLLECTION say which servers, database and collection.`;

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      overwrite: { type: 'boolean' },
      'skip-mongodb': { type: 'boolean' },
      'skip-chroma': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, dir, ...extra] = positionals;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (!command || !dir || extra.length > 0 || !['export', 'restore', 'verify'].includes(command)) {
    throw new UsageError(USAGE);
  }
  if (values.overwrite && command !== 'restore') throw new UsageError(`--overwrite is for restore\n${USAGE}`);
  const reporter = terminalReporter();
  if (command === 'verify') {
    const manifest = await verifyBackup(dir, reporter);
    reporter.line(`${dir}: complete and intact (${describeManifest(manifest)})`);
    return 0;
  }
  const config = loadConfig();
  const target: BackupTarget = {
    mongodbUri: config.mongodbUri,
    mongodbDb: config.mongodbDb,
    chromaUrl: config.chromaUrl,
    chromaCollection: config.chromaCollection,
  };
  const skip = { skipMongodb: values['skip-mongodb'], skipChroma: values['skip-chroma'] };
  if (command === 'export') {
    const manifest = await exportBackup({ ...target, ...skip, dir, reporter });
    reporter.line(
      `backup written to ${resolve(dir)} in ${(manifest.duration_ms / 1000).toFixed(1)} s (${describeManifest(manifest)})`,
    );
    return 0;
  }
  const summary = await restoreBackup({ ...target, ...skip, dir, reporter, overwrite: values.overwrite });
  const conflicts = (summary.mongodb ?? []).reduce((sum, entry) => sum + entry.conflicts, 0);
  if (conflicts > 0) {
    reporter.line(
      `restored, except ${conflicts} documents that clash with a unique index of documents already in ` +
        `${config.mongodbDb} (listed above): resolve them by hand, or restore into an empty database`,
    );
    return 1;
  }
  reporter.line('restored');
  return 0;
}

function describeManifest(manifest: BackupManifest): string {
  const parts: string[] = [];
  if (manifest.mongodb) {
    const documents = manifest.mongodb.collections.reduce((sum, entry) => sum + entry.count, 0);
    parts.push(`${manifest.mongodb.collections.length} collections, ${documents} documents`);
  }
  if (manifest.chroma?.present) parts.push(`${manifest.chroma.count ?? 0} Chroma records`);
  parts.push(`taken ${manifest.created_at}`);
  return parts.join(', ');
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(2);
    },
  );
}
