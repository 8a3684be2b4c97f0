/**
 * What a backup directory holds (see ../backup.ts): the manifest's shape, and where its files may be.
 *
 *   manifest.json                  written last: counts, sha256 of every file, indexes, time
 *   mongodb/<collection>.jsonl     one document a line, canonical Extended JSON (src/store/dump.ts)
 *   chroma/<collection>.jsonl      one record a line: id, embedding, document, metadata
 */
import { join, normalize, sep } from 'node:path';

import type { Document } from 'mongodb';

export const BACKUP_FORMAT = 'family-guy-bots-backup';
export const BACKUP_VERSION = 1;
export const MANIFEST = 'manifest.json';

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

/** Which servers, database and collection a backup is taken from or restored into. */
export interface BackupTarget {
  mongodbUri: string;
  mongodbDb: string;
  chromaUrl: string;
  chromaCollection: string;
  /** How long to look for the MongoDB server before giving up (default 10 s). */
  serverSelectionTimeoutMS?: number;
}

/** A manifest's relative path inside the backup directory (never outside it). */
export function insideBackup(dir: string, file: string): string {
  const path = normalize(join(dir, file));
  if (!path.startsWith(`${normalize(dir)}${sep}`))
    throw new Error(`manifest names a file outside the backup: ${file}`);
  return path;
}
