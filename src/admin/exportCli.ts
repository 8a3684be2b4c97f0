/**
 * Writes fine-tuning data as JSONL:
 *
 *   npm run export-finetune -- --out FILE [--format chat|preference] [--min-score N] [--character NAME]
 *
 * chat (the default): high-rated replies, one {"messages": [...]} per reply.
 * preference: chosen/rejected pairs from regenerations, ratings and QC regenerations, one
 * {"prompt": [...], "chosen": [...], "rejected": [...]} per pair (DPO-style trainers' conversational
 * preference format).
 * Reads MongoDB directly (MONGODB_URI, MONGODB_DB); HISTORY_WINDOW earlier turns per
 * example. The file appears only when the export is complete.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { loadConfig } from '../config';
import { openStore, type Store } from '../store/mongo';
import { exportFineTuningExamples } from './exportFineTuning';
import { exportPreferencePairs } from './exportPreferences';

const USAGE =
  'usage: npm run export-finetune -- --out FILE [--format chat|preference (default chat)] ' +
  '[--min-score 1-5 (chat only, default 4)] [--character NAME]';

interface ExportArgs {
  out: string;
  format: 'chat' | 'preference';
  minScore?: number;
  character?: string;
}

function parseArgs(argv: string[]): ExportArgs {
  const options: Partial<ExportArgs> = { format: 'chat' };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
    if (flag === '--out') options.out = value;
    else if (flag === '--character') options.character = value;
    else if (flag === '--format') {
      if (value !== 'chat' && value !== 'preference')
        throw new Error(`--format ${value}: expected chat or preference`);
      options.format = value;
    } else if (flag === '--min-score') {
      options.minScore = Number(value);
      if (!(options.minScore >= 1 && options.minScore <= 5))
        throw new Error(`--min-score ${value}: expected a number 1-5`);
    } else throw new Error(`unknown option ${flag}\n${USAGE}`);
  }
  if (!options.out) throw new Error(`--out is required\n${USAGE}`);
  if (options.format === 'preference' && options.minScore !== undefined) {
    throw new Error(`--min-score applies to --format chat only\n${USAGE}`);
  }
  return { ...options, out: options.out, format: options.format ?? 'chat' };
}

/** Runs the export `args` asks for, writing each line with `writeLine`; returns the summary to print. */
async function runExport(
  store: Store,
  args: ExportArgs,
  historyWindow: number,
  writeLine: (example: object) => Promise<void>,
): Promise<string> {
  const { character } = args;
  if (args.format === 'preference') {
    const counts = await exportPreferencePairs(store, { character, historyWindow }, writeLine, (progress) =>
      process.stderr.write(`\rscanned ${progress.scanned} replies, wrote ${sum(progress.written)} pairs`),
    );
    const { regeneration, rating, qc } = counts.written;
    return (
      `${sum(counts.written)} pairs written to ${args.out} (${regeneration} from regenerations, ${rating} ` +
      `from ratings, ${qc} from QC; ${counts.scanned} replies scanned, ${counts.duplicates} duplicates, ` +
      `${counts.contradicted} contradicted, ${counts.incomplete} without their prompt or message)`
    );
  }
  const minScore = args.minScore ?? 4;
  const counts = await exportFineTuningExamples(
    store,
    { minScore, character, historyWindow },
    writeLine,
    (progress) => process.stderr.write(`\rscanned ${progress.scanned} replies, wrote ${progress.written}`),
  );
  return (
    `${counts.written} examples written to ${args.out} (${counts.scanned} replies scanned, ` +
    `${counts.belowScore} unrated or under ${minScore}, ${counts.incomplete} without their prompt or message)`
  );
}

function sum(counts: Record<string, number>): number {
  return Object.values(counts).reduce((total, count) => total + count, 0);
}

async function main(argv: string[]): Promise<void> {
  const args = parseArgs(argv);
  const config = loadConfig();
  const store = await openStore(config.mongodbUri, config.mongodbDb);
  const partial = `${args.out}.partial`;
  const file = createWriteStream(partial, { encoding: 'utf8' });
  try {
    const summary = await runExport(store, args, config.historyWindow, async (example) => {
      if (!file.write(`${JSON.stringify(example)}\n`)) await once(file, 'drain');
    });
    file.end();
    await once(file, 'finish');
    await rename(partial, args.out);
    process.stderr.write(`\n${summary}\n`);
  } catch (err) {
    file.destroy();
    await rm(partial, { force: true });
    throw err;
  } finally {
    await store.close();
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`export failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
