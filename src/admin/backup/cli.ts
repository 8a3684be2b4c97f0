/** The `npm run backup` command line: export, restore or verify, with progress on stderr. */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { loadConfig } from '../../config';
import { exportBackup, type ExportOptions } from './export';
import type { BackupManifest, BackupTarget } from './format';
import { terminalReporter, type BackupReporter } from './reporter';
import { restoreBackup, type RestoreOptions } from './restore';
import { verifyBackup } from './verify';

const USAGE = `usage:
  npm run backup -- export <dir> [--skip-mongodb] [--skip-chroma]
  npm run backup -- restore <dir> [--overwrite] [--skip-mongodb] [--skip-chroma]
  npm run backup -- verify <dir>
MONGODB_URI, MONGODB_DB, CHROMA_URL and CHROMA_COLLECTION say which servers, database and collection.`;

class UsageError extends Error {}

/** Runs the command in `argv` and exits: 0 done, 1 done but some documents conflicted, 2 failed. */
export function runBackupCommandLine(argv: string[]): void {
  main(argv).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(2);
    },
  );
}

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
  if (command === 'verify') return verify(dir, reporter);
  const config = loadConfig();
  const target: BackupTarget = {
    mongodbUri: config.mongodbUri,
    mongodbDb: config.mongodbDb,
    chromaUrl: config.chromaUrl,
    chromaCollection: config.chromaCollection,
  };
  const skip = { skipMongodb: values['skip-mongodb'], skipChroma: values['skip-chroma'] };
  if (command === 'export') return exportTo({ ...target, ...skip, dir, reporter });
  return restoreFrom({ ...target, ...skip, dir, reporter, overwrite: values.overwrite });
}

async function verify(dir: string, reporter: BackupReporter): Promise<number> {
  const manifest = await verifyBackup(dir, reporter);
  reporter.line(`${dir}: complete and intact (${describeManifest(manifest)})`);
  return 0;
}

async function exportTo(options: ExportOptions & { reporter: BackupReporter }): Promise<number> {
  const manifest = await exportBackup(options);
  options.reporter.line(
    `backup written to ${resolve(options.dir)} in ${(manifest.duration_ms / 1000).toFixed(1)} s (${describeManifest(manifest)})`,
  );
  return 0;
}

async function restoreFrom(options: RestoreOptions & { reporter: BackupReporter }): Promise<number> {
  const summary = await restoreBackup(options);
  const conflicts = (summary.mongodb ?? []).reduce((sum, entry) => sum + entry.conflicts, 0);
  if (conflicts > 0) {
    options.reporter.line(
      `restored, except ${conflicts} documents that clash with a unique index of documents already in ` +
        `${options.mongodbDb} (listed above): resolve them by hand, or restore into an empty database`,
    );
    return 1;
  }
  options.reporter.line('restored');
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
