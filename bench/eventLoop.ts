/**
 * Event-loop lag, of this process and of the worker processes a benchmark starts. The lag is
 * how late a 10 ms timer fires (perf_hooks' monitorEventLoopDelay, less the 10 ms it waits on
 * purpose), summed up per window.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';

export interface LoopLag {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

const RESOLUTION_MS = 10;
/** What a child's probe prints once per window, one JSON line on stdout (beside the worker's pino lines). */
export const PROBE_KEY = 'benchLoopLag';

/** Calls `onWindow` every `periodMs` with this process's lag over that window; returns a stop function. */
export function watchEventLoop(periodMs: number, onWindow: (lag: LoopLag) => void): () => void {
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  histogram.enable();
  const lag = (nanoseconds: number) => Math.max(0, nanoseconds / 1e6 - RESOLUTION_MS);
  const timer = setInterval(() => {
    onWindow({
      p50Ms: lag(histogram.percentile(50)),
      p99Ms: lag(histogram.percentile(99)),
      maxMs: lag(histogram.max),
    });
    histogram.reset();
  }, periodMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    histogram.disable();
  };
}

/**
 * NODE_OPTIONS that make a child Node process print its lag like watchEventLoop (a line
 * `{"benchLoopLag":{...}}` every `periodMs`), without a change to the program it runs. The probe
 * is plain JavaScript in a data: URL because NODE_OPTIONS preloads run before tsx is registered;
 * it skips worker threads (tsx's loader thread, Temporal's workflow threads).
 */
export function loopProbeNodeOptions(periodMs: number): string {
  const source = `
    import { isMainThread } from 'node:worker_threads';
    import { monitorEventLoopDelay } from 'node:perf_hooks';
    if (isMainThread) {
      const histogram = monitorEventLoopDelay({ resolution: ${RESOLUTION_MS} });
      histogram.enable();
      const lag = (ns) => Math.max(0, ns / 1e6 - ${RESOLUTION_MS});
      setInterval(() => {
        const window = { p50Ms: lag(histogram.percentile(50)), p99Ms: lag(histogram.percentile(99)), maxMs: lag(histogram.max) };
        histogram.reset();
        process.stdout.write(JSON.stringify({ ${PROBE_KEY}: window }) + '\\n');
      }, ${periodMs}).unref();
    }`;
  const probe = `--import data:text/javascript,${encodeURIComponent(source)}`;
  return [process.env.NODE_OPTIONS, probe].filter(Boolean).join(' ');
}
