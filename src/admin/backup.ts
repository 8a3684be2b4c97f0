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
 *
 * This file is the command (`npm run backup`, `node dist/admin/backup.js`) and the API; the parts are in
 * ./backup/: export.ts, restore.ts, verify.ts, the manifest and file layout (format.ts, lines.ts),
 * progress (reporter.ts) and the command line (cli.ts).
 */
import { runBackupCommandLine } from './backup/cli';

export { exportBackup, type ExportOptions } from './backup/export';
export {
  BACKUP_FORMAT,
  BACKUP_VERSION,
  type BackupFile,
  type BackupManifest,
  type BackupTarget,
  type ChromaEntry,
  type MongoCollectionEntry,
} from './backup/format';
export { silentReporter, terminalReporter, type BackupReporter } from './backup/reporter';
export { restoreBackup, type RestoreOptions, type RestoreSummary } from './backup/restore';
export { verifyBackup } from './backup/verify';

if (require.main === module) runBackupCommandLine(process.argv.slice(2));
