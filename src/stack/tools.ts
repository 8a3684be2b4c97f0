/** Locates the server binaries the local stack runs. */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface StackTools {
  /** The static `temporal` CLI (runs `server start-dev`). */
  temporalCli: string;
  /** FerretDB v1 (MongoDB wire protocol on SQLite). */
  ferretdbBin: string;
  /** `node_modules/.bin/chroma` from the chromadb npm package (the real Chroma server). */
  chromaBin: string;
  /** all-MiniLM-L6-v2 in transformers.js layout, from a PyPI package (scripts/install-model.sh). */
  embeddingModelDir: string;
}

type InstalledTools = Omit<StackTools, 'chromaBin'>;

/** The repository root: the nearest ancestor of `from` holding scripts/install-tools.sh and package.json. */
export function findRepoRoot(from: string = __dirname): string {
  let dir = path.resolve(from);
  for (;;) {
    if (
      fs.existsSync(path.join(dir, 'package.json')) &&
      fs.existsSync(path.join(dir, 'scripts', 'install-tools.sh'))
    ) {
      return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir)
      throw new Error(`cannot find the repository root (scripts/install-tools.sh) above ${from}`);
    dir = parent;
  }
}

const cache = new Map<string, Promise<InstalledTools>>();

/**
 * Resolves the Temporal CLI, FerretDB and the embedding model: `TEMPORAL_CLI` / `FERRETDB_BIN` /
 * `EMBEDDING_MODEL_DIR` from `env` when all are set,
 * otherwise by running scripts/install-tools.sh (idempotent: instant when cached, 1-2 min the very first
 * time, so its progress on stderr is passed to `log` line by line). Memoized per repository.
 */
export async function resolveServerTools(
  repoRoot: string,
  log: (msg: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): Promise<InstalledTools> {
  if (env.TEMPORAL_CLI && env.FERRETDB_BIN && env.EMBEDDING_MODEL_DIR) {
    return {
      temporalCli: env.TEMPORAL_CLI,
      ferretdbBin: env.FERRETDB_BIN,
      embeddingModelDir: env.EMBEDDING_MODEL_DIR,
    };
  }
  let pending = cache.get(repoRoot);
  if (!pending) {
    pending = runInstallTools(repoRoot, log);
    cache.set(repoRoot, pending);
    pending.catch(() => cache.delete(repoRoot));
  }
  return pending;
}

/** `node_modules/.bin/chroma` (throws when dependencies are not installed). */
export function chromaBin(repoRoot: string): string {
  const bin = path.join(repoRoot, 'node_modules', '.bin', 'chroma');
  if (!fs.existsSync(bin)) throw new Error(`Chroma server not found at ${bin}: run \`npm ci\` first`);
  return bin;
}

function runInstallTools(repoRoot: string, log: (msg: string) => void): Promise<InstalledTools> {
  const script = path.join(repoRoot, 'scripts', 'install-tools.sh');
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [script], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    const stderrLines: string[] = [];
    let partial = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) {
        stderrLines.push(line);
        if (line.trim()) log(`install-tools: ${line}`);
      }
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (partial.trim()) {
        stderrLines.push(partial);
        log(`install-tools: ${partial}`);
      }
      const vars = Object.fromEntries(
        stdout
          .split('\n')
          .map((l) => /^([A-Z_]+)=(.*)$/.exec(l.trim()))
          .filter((m): m is RegExpExecArray => m !== null)
          .map((m) => [m[1], m[2]]),
      ) as Record<string, string | undefined>;
      if (code === 0 && vars.TEMPORAL_CLI && vars.FERRETDB_BIN && vars.EMBEDDING_MODEL_DIR) {
        resolve({
          temporalCli: vars.TEMPORAL_CLI,
          ferretdbBin: vars.FERRETDB_BIN,
          embeddingModelDir: vars.EMBEDDING_MODEL_DIR,
        });
      } else {
        reject(
          new Error(
            `${script} failed (exit code ${code}); last output:\n${stderrLines.slice(-20).join('\n')}\n${stdout}`,
          ),
        );
      }
    });
  });
}
