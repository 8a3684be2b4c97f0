/**
 * BENCH=soak: steady traffic for BENCH_SOAK_MINUTES (20) and what it does to every process.
 * BENCH_SOAK_CHANNELS (20) channels at BENCH_SOAK_RATE (0.1) messages per second each, open
 * loop as in the load bench (bench/traffic.ts), the scripted Ollama taking BENCH_SOAK_LLM_MS
 * (200) per reply, BENCH_SOAK_WORKERS (2) worker processes, the bots in this process.
 *
 * Every BENCH_SOAK_SAMPLE_SECONDS (30) it samples each process's RSS (/proc VmRSS; a server's
 * helper processes included) and, for the Node processes, its event-loop lag over the last 10 s
 * (workers: a probe preloaded through NODE_OPTIONS, see bench/eventLoop.ts). It prints RSS and
 * lag at the start, middle and end of the load, the RSS slope over the whole run and over its
 * second half (memory that is still climbing at the end is what grows without bound; a warm-up
 * climb levels off), and latency per third of the run. It fails (non-zero exit) when a message
 * was not answered, or was answered or stored twice.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { LocalStack, ServiceName } from '../src/stack/localStack';
import { startHarness, type Harness } from '../test/e2e/harness';
import { watchEventLoop, type LoopLag } from './eventLoop';
import { rssMb } from './procfs';
import { quantile } from './stats';
import { REPLY, sendSteadily, setting, storedTurns, tally, warmUp, type Sent } from './traffic';
import { startBenchWorker, type BenchWorker } from './workers';

const MINUTES = setting('BENCH_SOAK_MINUTES', 20);
const CHANNELS = setting('BENCH_SOAK_CHANNELS', 20);
const RATE = setting('BENCH_SOAK_RATE', 0.1);
const LLM_MS = setting('BENCH_SOAK_LLM_MS', 200);
const WORKERS = setting('BENCH_SOAK_WORKERS', 2);
const SAMPLE_SECONDS = setting('BENCH_SOAK_SAMPLE_SECONDS', 30);
const DRAIN_SECONDS = 60;
const LAG_WINDOW_MS = 10_000;
/** RSS still climbing faster than this in the second half is reported as growing. */
const GROWING_MB_PER_MINUTE = 0.5;

/** A process whose memory (and, for Node, event-loop lag) the soak watches. */
interface Watched {
  name: string;
  rss(): number | undefined;
  lag(): LoopLag | undefined;
}

interface Sample {
  /** Minutes since the load started. */
  minute: number;
  rss: Array<number | undefined>;
  lag: Array<LoopLag | undefined>;
  turns: number;
}

export async function benchSoak(stack: LocalStack): Promise<void> {
  const h = await startHarness({ worker: false, llmConcurrency: 8 });
  const workers: BenchWorker[] = [];
  let ownLag: LoopLag | undefined;
  const stopWatching = watchEventLoop(LAG_WINDOW_MS, (lag) => (ownLag = lag));
  try {
    for (let i = 0; i < WORKERS; i++) workers.push(await startBenchWorker(h.workerEnv, LAG_WINDOW_MS));
    h.ollama.reply(REPLY);
    h.ollama.latencyMs = LLM_MS;
    const channels = Array.from({ length: CHANNELS }, (_, i) => h.discord.createTextChannel(`soak-${i}`));
    await warmUp(h, channels);
    const watched: Watched[] = [
      {
        name: 'bench (bots, fake Discord, scripted Ollama)',
        rss: () => rssMb(process.pid),
        lag: () => ownLag,
      },
      ...workers.map((worker, i) => ({
        name: `worker ${i + 1}`,
        rss: () => rssMb(worker.pid),
        lag: worker.lag,
      })),
      ...(['temporal', 'ferretdb', 'chroma', 'ollama'] as const).map((name) => service(stack, name)),
    ];
    console.log(
      `soak: ${CHANNELS} channels at ${RATE} msg/s each (${(CHANNELS * RATE).toFixed(1)} msg/s) for ${MINUTES} min, ` +
        `LLM ${LLM_MS} ms per reply, ${WORKERS} worker processes, a sample every ${SAMPLE_SECONDS} s`,
    );
    const { sent, samples } = await run(h, channels, watched);
    await check(h, sent, samples, watched);
  } finally {
    stopWatching();
    await Promise.all(workers.map((worker) => worker.kill()));
    await h.stop();
  }
}

/** A server of the stack, with its helper processes; no lag (not a Node process of ours). */
function service(stack: LocalStack, name: ServiceName): Watched {
  const pid = stack.services[name].pid;
  return { name, rss: () => (pid === undefined ? undefined : rssMb(pid, true)), lag: () => undefined };
}

/** Runs the load, sampling every process meanwhile; resolves once the replies are in (or the drain ran out). */
async function run(
  h: Harness,
  channels: string[],
  watched: Watched[],
): Promise<{ sent: Sent[]; samples: Sample[] }> {
  const start = performance.now() + 100;
  const end = start + MINUTES * 60_000;
  const samples: Sample[] = [];
  const sampling = (async () => {
    for (let k = 1; start + k * SAMPLE_SECONDS * 1000 <= end; k++) {
      await sleep(Math.max(0, start + k * SAMPLE_SECONDS * 1000 - performance.now()));
      samples.push({
        minute: (performance.now() - start) / 60_000,
        rss: watched.map((proc) => proc.rss()),
        lag: watched.map((proc) => proc.lag()),
        turns: await h.store.conversationHistory.collection.estimatedDocumentCount(),
      });
      if (k % 4 === 0) console.log(`  ${progress(samples.at(-1) as Sample, watched)}`);
    }
  })();
  const traffic = await sendSteadily(h, channels, RATE, { start, end, deadline: end + DRAIN_SECONDS * 1000 });
  await sampling;
  await traffic.answered;
  await sleep(2000); // a late duplicate would show up here
  return { sent: traffic.sent, samples };
}

/** One line of how things stand: minute, turns stored, each process's RSS. */
function progress(sample: Sample, watched: Watched[]): string {
  const rss = watched.map((proc, i) => `${proc.name.split(' ')[0]} ${mb(sample.rss[i])}`);
  return `${sample.minute.toFixed(1)} min, ${sample.turns} turns: ${rss.join(', ')}`;
}

/** Prints the table and the counts, and throws when anything was lost or doubled. */
async function check(h: Harness, sent: Sent[], samples: Sample[], watched: Watched[]): Promise<void> {
  const counts = await tally(h, sent);
  const stored = await storedTurns(h, sent);
  printTable(samples, watched);
  const thirds = [0, 1, 2].map((third) => {
    const from = sent[0]?.dueAt ?? 0;
    const span = ((sent.at(-1)?.dueAt ?? from) - from) / 3;
    const latencies = sent.flatMap((entry) =>
      entry.repliedAt !== undefined && Math.min(2, Math.floor((entry.dueAt - from) / span)) === third
        ? [entry.repliedAt - entry.dueAt]
        : [],
    );
    return `${quantile(latencies, 0.5).toFixed(0)} / ${quantile(latencies, 0.95).toFixed(0)} ms`;
  });
  console.log(`\n  latency p50 / p95 by third of the run: ${thirds.join(', then ')}`);
  console.log(
    `  sent ${counts.sent}, delivered ${counts.delivered}, duplicates ${counts.duplicates}, lost ${counts.lost}, ` +
      `unanswered ${counts.unanswered}${counts.unansweredStates}, fallback lines ${counts.fallbacks}, ` +
      `wrong character ${counts.wrongCharacter}; turns stored ${stored.user} user, ${stored.bot} bot, ` +
      `${stored.duplicated} stored twice; conversation_history ${samples[0]?.turns} -> ${samples.at(-1)?.turns} turns`,
  );
  const problems = [
    counts.delivered !== counts.sent && `delivered ${counts.delivered} of ${counts.sent}`,
    counts.duplicates > 0 && `${counts.duplicates} duplicate replies`,
    stored.duplicated > 0 && `${stored.duplicated} turns stored twice`,
  ].filter(Boolean);
  if (problems.length > 0) throw new Error(`soak failed: ${problems.join(', ')}`);
}

/** RSS and lag at the start, middle and end of the load per process, and the RSS slopes. */
function printTable(samples: Sample[], watched: Watched[]): void {
  const at = [samples[0], samples[Math.floor((samples.length - 1) / 2)], samples.at(-1)];
  const second = samples.slice(Math.floor(samples.length / 2));
  console.log(
    `\n  RSS (MB) and event-loop lag p99 / max over 10 s (ms), at ${at.map((s) => `${s?.minute.toFixed(1)} min`).join(', ')}:`,
  );
  console.log(
    `  ${'process'.padEnd(46)}${'RSS start'.padStart(10)}${'middle'.padStart(8)}${'end'.padStart(8)}` +
      `${'MB/min'.padStart(8)}${'2nd half'.padStart(10)}   lag start / middle / end`,
  );
  watched.forEach((proc, i) => {
    const slopeAll = slope(samples, i);
    const slopeSecond = slope(second, i);
    const lag = at.map((sample) => {
      const window = sample?.lag[i];
      return window ? `${window.p99Ms.toFixed(0)}/${window.maxMs.toFixed(0)}` : '-';
    });
    console.log(
      `  ${proc.name.padEnd(46)}${at.map((sample, j) => mb(sample?.rss[i]).padStart(j === 0 ? 10 : 8)).join('')}` +
        `${slopeAll.toFixed(2).padStart(8)}${slopeSecond.toFixed(2).padStart(10)}   ${lag.join(' / ')}` +
        (slopeSecond > GROWING_MB_PER_MINUTE ? '   still growing' : ''),
    );
  });
}

/** Least-squares slope of process `i`'s RSS over `samples`, in MB per minute. */
function slope(samples: Sample[], i: number): number {
  const points = samples.flatMap((sample) => {
    const rss = sample.rss[i];
    return rss === undefined ? [] : [[sample.minute, rss] as const];
  });
  if (points.length < 2) return NaN;
  const meanX = points.reduce((sum, [x]) => sum + x, 0) / points.length;
  const meanY = points.reduce((sum, [, y]) => sum + y, 0) / points.length;
  const covariance = points.reduce((sum, [x, y]) => sum + (x - meanX) * (y - meanY), 0);
  const variance = points.reduce((sum, [x]) => sum + (x - meanX) ** 2, 0);
  return covariance / variance;
}

const mb = (value: number | undefined): string => (value === undefined ? '-' : value.toFixed(0));
