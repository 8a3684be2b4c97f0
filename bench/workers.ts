/**
 * Worker processes for the load and soak benchmarks: src/worker.ts started as production runs
 * it (test/e2e/processes.ts), with what a benchmark reads from its output kept small.
 */
import { kill, onOutputLines, startWorkerProcess } from '../test/e2e/processes';
import { loopProbeNodeOptions, PROBE_KEY, type LoopLag } from './eventLoop';

export interface BenchWorker {
  pid: number;
  /** Lines the worker logged at level error or above. */
  errors: string[];
  /** Its event-loop lag over the last probe window (undefined before the first one). */
  lag(): LoopLag | undefined;
  /** SIGKILL, and wait until it is gone. */
  kill(): Promise<void>;
}

/** Starts a worker on `env` that reports its event-loop lag every `lagWindowMs`; resolves once it polls. */
export async function startBenchWorker(env: NodeJS.ProcessEnv, lagWindowMs = 10_000): Promise<BenchWorker> {
  const child = await startWorkerProcess({ ...env, NODE_OPTIONS: loopProbeNodeOptions(lagWindowMs) });
  const errors: string[] = [];
  let lag: LoopLag | undefined;
  onOutputLines(child, (line) => {
    if (line.includes(PROBE_KEY)) lag = (JSON.parse(line) as Record<string, LoopLag>)[PROBE_KEY];
    else if (Number(/"level":(\d+)/.exec(line)?.[1] ?? 0) >= 50) errors.push(line);
  });
  return { pid: child.pid ?? -1, errors, lag: () => lag, kill: () => kill(child) };
}
