/**
 * `npm run backup -- verify`, and the check restore makes before it writes anything: the manifest is one
 * this program can read, and every file it names has the lines and sha256 it records.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

import {
  BACKUP_FORMAT,
  BACKUP_VERSION,
  insideBackup,
  MANIFEST,
  type BackupFile,
  type BackupManifest,
} from './format';
import { readLines } from './lines';
import { silentReporter, type BackupReporter } from './reporter';

/** A file the manifest names, and what progress calls it. */
type NamedFile = BackupFile & { label: string };

/** Reads and checks a backup's manifest and every file it names (count and sha256). */
export async function verifyBackup(
  dir: string,
  reporter: BackupReporter = silentReporter,
): Promise<BackupManifest> {
  const manifest = await readManifest(dir);
  const problems: string[] = [];
  for (const entry of filesOf(manifest)) {
    const problem = await checkFile(dir, entry, reporter);
    if (problem) problems.push(problem);
  }
  if (problems.length > 0) {
    throw new Error(`backup ${dir} is damaged, nothing was restored:\n  - ${problems.join('\n  - ')}`);
  }
  return manifest;
}

function filesOf(manifest: BackupManifest): NamedFile[] {
  const files: NamedFile[] = [
    ...(manifest.mongodb?.collections ?? []).map((entry) => ({ ...entry, label: entry.name })),
  ];
  const chroma = manifest.chroma;
  if (chroma?.present && chroma.file && chroma.sha256 !== undefined && chroma.count !== undefined) {
    files.push({ file: chroma.file, count: chroma.count, sha256: chroma.sha256, label: chroma.collection });
  }
  return files;
}

/** What is wrong with one file of the backup, or undefined when it is as the manifest says. */
async function checkFile(
  dir: string,
  entry: NamedFile,
  reporter: BackupReporter,
): Promise<string | undefined> {
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
    return `${entry.file}: ${(err as Error).message}`;
  }
  if (count !== entry.count) return `${entry.file}: ${count} lines, the manifest says ${entry.count}`;
  if (hash.digest('hex') !== entry.sha256) return `${entry.file}: sha256 differs from the manifest`;
  return undefined;
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
