/**
 * Writes high-rated replies as chat-format JSONL for fine-tuning a model:
 *
 *   npm run export-finetune -- --out FILE [--min-score N] [--character NAME]
 *
 * Reads MongoDB directly (MONGODB_URI, MONGODB_DB); HISTORY_WINDOW earlier turns per
 * example. The file appears only when the export is complete.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { loadConfig } from '../config';
import { openStore } from '../store/mongo';
import { exportFineTuningExamples } from './exportFineTuning';

const USAGE = 'usage: npm run export-finetune -- --out FILE [--min-score 1-5 (default 4)] [--character NAME]';

function parseArgs(argv: string[]): { out: string; minScore: number; character?: string } {
  const options: { out?: string; minScore: number; character?: string } = { minScore: 4 };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
    if (flag === '--out') options.out = value;
    else if (flag === '--character') options.character = value;
    else if (flag === '--min-score') {
      options.minScore = Number(value);
      if (!(options.minScore >= 1 && options.minScore <= 5))
        throw new Error(`--min-score ${value}: expected a number 1-5`);
    } else throw new Error(`unknown option ${flag}\n${USAGE}`);
  }
  if (!options.out) throw new Error(`--out is required\n${USAGE}`);
  return { ...options, out: options.out };
}

async function main(argv: string[]): Promise<void> {
  const args = parseArgs(argv);
  const config = loadConfig();
  const store = await openStore(config.mongodbUri, config.mongodbDb);
  const partial = `${args.out}.partial`;
  const file = createWriteStream(partial, { encoding: 'utf8' });
  try {
    const counts = await exportFineTuningExamples(
      store,
      { minScore: args.minScore, character: args.character, historyWindow: config.historyWindow },
      async (example) => {
        if (!file.write(`${JSON.stringify(example)}\n`)) await once(file, 'drain');
      },
      (progress) => process.stderr.write(`\rscanned ${progress.scanned} replies, wrote ${progress.written}`),
    );
    file.end();
    await once(file, 'finish');
    await rename(partial, args.out);
    process.stderr.write(
      `\n${counts.written} examples written to ${args.out} (${counts.scanned} replies scanned, ` +
        `${counts.belowScore} unrated or under ${args.minScore}, ${counts.incomplete} without their prompt or message)\n`,
    );
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
