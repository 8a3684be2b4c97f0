/**
 * npm run stack -- up|down|status [--data-dir DIR] [--temporal-port N] [--ui-port N] [--mongo-port N] [--chroma-port N]
 *   [--ollama-port N]
 *
 * `up` starts the local stack in the background (services outlive this command), `down` stops it by its pid
 * files, `status` reports what runs. TEMPORAL_ADDRESS, MONGODB_URI, CHROMA_URL and OLLAMA_HOST point a service
 * elsewhere.
 */
import { parseArgs } from 'node:util';

import { localStackStatus, startLocalStack, stopLocalStack, type LocalStackOptions } from './localStack';
import { withoutPassword } from '../secrets';

const USAGE = `usage: npm run stack -- <up|down|status> [options]
  --data-dir DIR      state folder (default .data/local)
  --temporal-port N   Temporal gRPC port (default 7233)
  --ui-port N         Temporal Web UI port (default 8233)
  --mongo-port N      FerretDB (MongoDB) port (default 27017)
  --chroma-port N     Chroma port (default 8000)
  --ollama-port N     Ollama port (default 11434)
Set TEMPORAL_ADDRESS, MONGODB_URI, CHROMA_URL or OLLAMA_HOST to use an existing service instead of starting one.`;

const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

function portOption(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${flag}: not a port: ${value}`);
  return n;
}

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'data-dir': { type: 'string' },
      'temporal-port': { type: 'string' },
      'ui-port': { type: 'string' },
      'mongo-port': { type: 'string' },
      'chroma-port': { type: 'string' },
      'ollama-port': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const command = positionals[0];
  if (values.help || !command || positionals.length > 1) {
    out(USAGE);
    return values.help ? 0 : 2;
  }
  const dataDir = values['data-dir'];

  switch (command) {
    case 'up': {
      const options: LocalStackOptions = {
        dataDir,
        detached: true,
        ports: {
          temporal: portOption(values['temporal-port'], '--temporal-port'),
          temporalUi: portOption(values['ui-port'], '--ui-port'),
          mongo: portOption(values['mongo-port'], '--mongo-port'),
          chroma: portOption(values['chroma-port'], '--chroma-port'),
          ollama: portOption(values['ollama-port'], '--ollama-port'),
        },
      };
      const stack = await startLocalStack(options);
      out(`Temporal:    ${stack.temporalAddress}`);
      out(`Temporal UI: ${stack.temporalUiUrl ?? '(external Temporal; set TEMPORAL_UI_URL)'}`);
      out(`MongoDB:     ${withoutPassword(stack.mongodbUri)}`);
      out(`Chroma:      ${stack.chromaUrl}`);
      out(`Ollama:      ${stack.ollamaHost}${stack.bundledModel ? ` (model ${stack.bundledModel})` : ''}`);
      out(`Data:        ${stack.dataDir}`);
      out(`Logs:        ${stack.logDir}`);
      out('Stop with: npm run stack -- down');
      return 0;
    }
    case 'down': {
      const result = await stopLocalStack({ dataDir });
      if (Object.values(result).every((r) => r === 'not-running' || r === 'stale-pid-file')) {
        out('nothing was running');
      }
      return 0;
    }
    case 'status': {
      const statuses = await localStackStatus({ dataDir });
      for (const s of statuses) {
        const where = [s.address && withoutPassword(s.address), s.uiUrl && `UI ${s.uiUrl}`]
          .filter(Boolean)
          .join(', ');
        const extra = [s.pid && `pid ${s.pid}`, s.detail].filter(Boolean).join('; ');
        out(`${s.name.padEnd(9)} ${s.state.padEnd(9)} ${where}${extra ? ` (${extra})` : ''}`.trimEnd());
      }
      return statuses.every((s) => s.state === 'running' || s.state === 'external') ? 0 : 1;
    }
    default:
      out(USAGE);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
