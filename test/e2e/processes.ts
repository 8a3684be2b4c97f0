import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const repo = join(__dirname, '..', '..');

/**
 * One of the production processes (`src/worker.ts`, `src/bots/main.ts`, ...) run as production runs
 * it, with `env` on top of this process's; resolves once `isReady` sees its output say so.
 */
export async function startProcess(
  entry: string,
  env: NodeJS.ProcessEnv,
  isReady: (output: string) => boolean,
): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: repo,
    env: { ...process.env, ...env, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const onExit = (code: number | null) =>
      reject(new Error(`${entry} exited with ${code} before it was ready:\n${output}`));
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (!isReady(output)) return;
      // Ready: stop collecting (a long-lived child's output would grow this string without end),
      // but keep its pipes drained so it never blocks on a full one.
      for (const stream of [child.stdout, child.stderr]) stream?.off('data', onData).resume();
      child.off('exit', onExit);
      resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
  });
  return child;
}

/** Hands each line a child writes (stdout and stderr) from now on to `onLine`. */
export function onOutputLines(child: ChildProcess, onLine: (line: string) => void): void {
  for (const stream of [child.stdout, child.stderr]) {
    let partial = '';
    stream?.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) onLine(line);
    });
  }
}

/** A worker process (src/worker.ts), ready once it polls. */
export function startWorkerProcess(env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  return startProcess('src/worker.ts', env, (output) => output.includes('"msg":"worker running"'));
}

/** SIGKILLs a process and waits until it is gone. */
export async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The admin CLI (`npm run admin -- <args>`) as a user runs it, against the admin API at `adminUrl`: only PATH
 * and the two variables from this process's environment, in `cwd` (where it reads and writes files).
 */
export function runAdminCli(
  args: string[],
  options: { adminUrl: string; adminToken: string; cwd: string },
): Promise<CliRun> {
  // tsx's loader by path: the scratch directory has no node_modules to resolve `tsx` from.
  const loader = pathToFileURL(join(repo, 'node_modules/tsx/dist/loader.mjs')).href;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', loader, join(repo, 'src/admin/cli.ts'), ...args], {
      cwd: options.cwd,
      env: { PATH: process.env.PATH, ADMIN_URL: options.adminUrl, ADMIN_TOKEN: options.adminToken },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
