import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

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
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (isReady(output)) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) =>
      reject(new Error(`${entry} exited with ${code} before it was ready:\n${output}`)),
    );
  });
  return child;
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
