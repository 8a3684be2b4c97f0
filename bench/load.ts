/**
 * BENCH=load: many channels talking at once for a while, open loop. In each of
 * BENCH_LOAD_CHANNELS (50) channels a user names a character at a steady rate, whether or not
 * the last message was answered yet; the scripted Ollama takes BENCH_LOAD_LLM_MS (200) per
 * reply. One phase of BENCH_LOAD_SECONDS (60) per rate in BENCH_LOAD_RATES (messages per second
 * per channel, lowest first); after each, stragglers get BENCH_LOAD_DRAIN_SECONDS (60), and the
 * run stops at the first phase that does not drain in time (its backlog would spill into the
 * next).
 *
 * Real Temporal, FerretDB and Chroma (the throwaway stack of bench/run.ts), the real bots
 * (discord.js, in this process, against the fake Discord) and BENCH_LOAD_WORKERS (1) real
 * worker processes (src/worker.ts, as production runs them), so the load generator and the
 * worker do not share one event loop. Prints per phase: messages sent, replies delivered,
 * duplicates, lost (a workflow that ended without posting), unanswered at the end of the
 * drain, turns stored, latency p50/p95/max from the moment a message was due (so a late send
 * counts against the system), throughput, and where the CPU went.
 *
 * BENCH_LOAD_FAULTS=1 breaks things during each phase (defaults then: 2 workers, rate 0.4):
 * at a third of it one worker process is SIGKILLed (no replacement: the other carries on
 * alone), at two thirds FerretDB is SIGKILLed and started again on the same port and data
 * after BENCH_LOAD_DB_DOWN_SECONDS (5). FerretDB is then one of this bench's own, since the
 * stack's cannot be restarted alone. The workers and bots are left to reconnect by themselves.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startLocalStack, type LocalStack } from '../src/stack/localStack';
import { isAlive } from '../src/stack/processes';
import { startHarness, type Harness } from '../test/e2e/harness';
import { waitFor } from '../test/fakes/waitFor';
import { quantile, report } from './stats';
import {
  medianLatency,
  REPLY,
  sendSteadily,
  setting,
  storedTurns,
  tally,
  warmUp,
  type Sent,
} from './traffic';
import { processStats } from './procfs';
import { startBenchWorker, type BenchWorker } from './workers';

const FAULTS = process.env.BENCH_LOAD_FAULTS === '1';
const CHANNELS = setting('BENCH_LOAD_CHANNELS', 50);
const SECONDS = setting('BENCH_LOAD_SECONDS', 60);
const RATES = (process.env.BENCH_LOAD_RATES ?? (FAULTS ? '0.4' : '0.1,0.2,0.4')).split(',').map(Number);
const LLM_MS = setting('BENCH_LOAD_LLM_MS', 200);
const LLM_CONCURRENCY = setting('BENCH_LOAD_LLM_CONCURRENCY', 8);
const WORKERS = setting('BENCH_LOAD_WORKERS', FAULTS ? 2 : 1);
const DRAIN_SECONDS = setting('BENCH_LOAD_DRAIN_SECONDS', 60);
const DB_DOWN_SECONDS = setting('BENCH_LOAD_DB_DOWN_SECONDS', 5);

/** Something broken on purpose at a point of a phase. */
interface Fault {
  name: string;
  /** When, as a fraction of the phase. */
  atFraction: number;
  /** Breaks it (and, for an outage, ends it); resolves with what happened, for the report. */
  inject(): Promise<string>;
}

interface Injected {
  name: string;
  /** performance.now() when it was injected. */
  at: number;
  note: string;
}

export async function benchLoad(stack: LocalStack): Promise<void> {
  if (RATES.some((rate) => !(rate > 0)))
    throw new Error('BENCH_LOAD_RATES: positive numbers, comma-separated');
  if (FAULTS && WORKERS < 2) throw new Error('BENCH_LOAD_FAULTS needs BENCH_LOAD_WORKERS of 2 or more');
  const db = FAULTS ? await restartableFerretDb(stack) : undefined;
  const h = await startHarness({
    worker: false,
    llmConcurrency: LLM_CONCURRENCY,
    env: db ? { MONGODB_URI: db.uri } : {},
  });
  const workers: BenchWorker[] = [];
  try {
    for (let i = 0; i < WORKERS; i++) workers.push(await startBenchWorker(h.workerEnv));
    h.ollama.reply(REPLY);
    h.ollama.latencyMs = LLM_MS;
    const channels = Array.from({ length: CHANNELS }, (_, i) => h.discord.createTextChannel(`load-${i}`));
    await warmUp(h, channels);
    console.log(
      `load: ${CHANNELS} channels, ${SECONDS} s per phase, LLM ${LLM_MS} ms per reply ` +
        `(LLM_CONCURRENCY ${LLM_CONCURRENCY}), ${WORKERS} worker process(es), drain timeout ${DRAIN_SECONDS} s` +
        (db
          ? `; faults: a worker SIGKILLed at 1/3, FerretDB down ${DB_DOWN_SECONDS} s at 2/3 of each phase`
          : ''),
    );
    for (const rate of RATES) {
      const faults = db ? faultsFor(workers, db) : [];
      const drained = await phase(h, channels, rate, workers, faults);
      if (!drained) {
        console.log(
          `  stopping: the backlog did not drain within ${DRAIN_SECONDS} s, higher rates would only pile up`,
        );
        break;
      }
    }
  } finally {
    await Promise.all(workers.map((worker) => worker.kill()));
    await h.stop();
    await db?.stop();
  }
}

/** A phase's faults: the first live worker killed at 1/3, FerretDB restarted at 2/3. */
function faultsFor(workers: BenchWorker[], db: RestartableFerretDb): Fault[] {
  return [
    {
      name: 'worker SIGKILLed',
      atFraction: 1 / 3,
      async inject() {
        const victim = workers.find((worker) => isAlive(worker.pid));
        if (!victim) return 'no worker left to kill';
        await victim.kill();
        return `pid ${victim.pid}; not replaced`;
      },
    },
    {
      name: 'FerretDB SIGKILLed and restarted',
      atFraction: 2 / 3,
      async inject() {
        const { downMs } = await db.restart(DB_DOWN_SECONDS * 1000);
        return `down ${(downMs / 1000).toFixed(1)} s until healthy again`;
      },
    },
  ];
}

/** One phase at `rate` messages per second per channel; resolves whether everything was answered. */
async function phase(
  h: Harness,
  channels: string[],
  rate: number,
  workers: BenchWorker[],
  faults: Fault[],
): Promise<boolean> {
  const start = performance.now() + 100;
  const end = start + SECONDS * 1000;
  const deadline = end + DRAIN_SECONDS * 1000;
  const turns = () => h.store.conversationHistory.collection.estimatedDocumentCount();
  const turnsBefore = await turns();
  const cpu = cpuSample(
    workers.map((worker) => worker.pid),
    String(h.workerEnv.MONGODB_URI),
  );
  const errorsBefore = workers.reduce((sum, worker) => sum + worker.errors.length, 0);

  const injected = faults.map((fault) => injectAt(fault, start + fault.atFraction * SECONDS * 1000));
  const { sent, answered } = await sendSteadily(h, channels, rate, { start, end, deadline });
  const sendingEnded = performance.now();
  await answered;
  await sleep(2000); // a late duplicate would show up here
  const busy = cpu();
  const counts = await tally(h, sent);
  const stored = await storedTurns(h, sent);

  const lastReply = Math.max(...sent.map((entry) => entry.repliedAt ?? -Infinity));
  const inWindow = sent.filter((entry) => (entry.repliedAt ?? Infinity) <= end).length;
  const lags = sent.map((entry) => entry.lagMs);
  const errors = workers.reduce((sum, worker) => sum + worker.errors.length, 0) - errorsBefore;

  console.log(
    `\n${rate} msg/s per channel = ${(rate * channels.length).toFixed(1)} msg/s offered, for ${SECONDS} s:`,
  );
  console.log(
    `  sent ${counts.sent}, replies delivered ${counts.delivered}, duplicates ${counts.duplicates}, ` +
      `lost ${counts.lost} (workflow ended without a reply, or never started), still unanswered ` +
      `${counts.unanswered} ${DRAIN_SECONDS} s after the last message${counts.unansweredStates}, ` +
      `fallback lines ${counts.fallbacks}, wrong character ${counts.wrongCharacter}, worker errors logged ${errors}`,
  );
  console.log(
    `  turns stored: ${stored.user} user, ${stored.bot} bot, ${stored.duplicated} stored twice` +
      ` (conversation_history ${turnsBefore} -> ${await turns()})`,
  );
  report(`  latency, message due -> reply posted (n=${counts.latencies.length})`, counts.latencies);
  console.log(
    `  median latency of messages due in the first 10 s: ${medianLatency(sent, start, start + 10_000)}, ` +
      `in the last 10 s: ${medianLatency(sent, end - 10_000, end)}; send lag p95 ` +
      `${quantile(lags, 0.95).toFixed(0)} ms, max ${quantile(lags, 1).toFixed(0)} ms`,
  );
  console.log(
    `  throughput: ${(inWindow / SECONDS).toFixed(1)} replies/s while sending, ` +
      `${(counts.delivered / ((lastReply - start) / 1000)).toFixed(1)} replies/s to the last reply, ` +
      `which came ${((lastReply - sendingEnded) / 1000).toFixed(1)} s after the last message`,
  );
  console.log(`  CPU: machine ${busy}; load average ${loadavg()[0]?.toFixed(1)}`);
  printRecovery(await Promise.all(injected), sent, start, end);
  for (const line of workers.flatMap((worker) => worker.errors.slice(errorsBefore)).slice(0, 3)) {
    console.log(`  worker error: ${line.slice(0, 300)}`);
  }
  return counts.unanswered === 0;
}

/** Injects `fault` at `at` (performance.now() time). */
async function injectAt(fault: Fault, at: number): Promise<Injected> {
  await sleep(Math.max(0, at - performance.now()));
  const injectedAt = performance.now();
  return { name: fault.name, at: injectedAt, note: await fault.inject() };
}

/**
 * How long each fault was felt. A reply is late when its latency exceeds twice the p95 of the
 * messages due before the first fault (at least that p95 + 1 s, so a fast baseline does not
 * make ordinary jitter count). A fault's recovery time runs from the fault to the last late
 * reply to a message due between it and the next fault, both less the baseline p95 (messages
 * already on their way when a fault hits belong to it); an unanswered message there means it
 * never recovered. Meaningless when the baseline is a growing backlog already (the rate is
 * over what the system sustains).
 */
function printRecovery(injected: Injected[], sent: Sent[], start: number, end: number): void {
  if (injected.length === 0) return;
  const firstFault = Math.min(...injected.map((fault) => fault.at));
  const baseline = sent.flatMap((entry) =>
    entry.dueAt < firstFault && entry.repliedAt !== undefined ? [entry.repliedAt - entry.dueAt] : [],
  );
  const p95 = quantile(baseline, 0.95);
  const threshold = Math.max(2 * p95, p95 + 1000);
  console.log(
    `  before the first fault: p95 ${p95.toFixed(0)} ms (n=${baseline.length}); late means over ${threshold.toFixed(0)} ms`,
  );
  injected.forEach((fault, i) => {
    // Messages still on their way when a fault hits count for it, not for the one before.
    const from = fault.at - p95;
    const until = (injected[i + 1]?.at ?? end + p95) - p95;
    const affected = sent.filter((entry) => entry.dueAt >= from && entry.dueAt < until);
    const late = affected.filter(
      (entry) => entry.repliedAt === undefined || entry.repliedAt - entry.dueAt > threshold,
    );
    const recoveredAt = Math.max(fault.at, ...late.map((entry) => entry.repliedAt ?? Infinity));
    const recovery = Number.isFinite(recoveredAt)
      ? `${((recoveredAt - fault.at) / 1000).toFixed(1)} s`
      : 'never (unanswered)';
    console.log(
      `  ${fault.name} at ${((fault.at - start) / 1000).toFixed(1)} s (${fault.note}): ` +
        `${late.length} of the ${affected.length} replies due from then on were late; recovery ${recovery} ` +
        `(to the last late reply), p95 of those ${quantile(
          affected.flatMap((entry) => (entry.repliedAt === undefined ? [] : [entry.repliedAt - entry.dueAt])),
          0.95,
        ).toFixed(0)} ms`,
    );
  });
}

interface RestartableFerretDb {
  uri: string;
  /** SIGKILLs it, waits `downMs`, starts it again on its port and data; `downMs` in the answer is until healthy. */
  restart(downMs: number): Promise<{ downMs: number }>;
  stop(): Promise<void>;
}

/**
 * A FerretDB of this bench's own (the stack's Temporal, Chroma and Ollama are used as they
 * are), with its data under the stack's data folder, so that it can crash and come back alone.
 */
async function restartableFerretDb(stack: LocalStack): Promise<RestartableFerretDb> {
  const dataDir = join(stack.dataDir, 'load-ferretdb');
  const env: NodeJS.ProcessEnv = { ...process.env, OLLAMA_HOST: stack.ollamaHost };
  delete env.MONGODB_URI; // set by bench/run.ts to the stack's: only FerretDB is started
  const start = (port: number) =>
    startLocalStack({ dataDir, env, ports: { mongo: port }, log: () => undefined });
  let db = await start(0);
  const uri = db.mongodbUri;
  const port = Number(new URL(uri.replace(/^mongodb:/, 'http:')).port);
  return {
    uri,
    async restart(downMs) {
      const pid = db.services.ferretdb.pid ?? -1;
      const killedAt = performance.now();
      process.kill(pid, 'SIGKILL'); // a crash: no goodbye to open connections
      await waitFor(() => !isAlive(pid), { what: 'FerretDB gone' });
      await db.stop(); // forgets the dead process (pid file, exit hook)
      await sleep(Math.max(0, killedAt + downMs - performance.now()));
      db = await start(port);
      return { downMs: performance.now() - killedAt };
    },
    stop: () => db.stop(),
  };
}

/**
 * CPU use between this call and the returned function's: the machine's (all cores) and, per
 * process group in % of one core, this stack's servers (told apart from other stacks on the
 * machine by their ports), the worker processes, this process (bots, fake Discord, scripted
 * Ollama, load generator) and everything else (other users of a shared machine). Linux only.
 */
function cpuSample(workerPids: number[], mongodbUri: string): () => string {
  const ticksPerSecond = 100; // USER_HZ on Linux
  const port = (value: string | undefined) => /:(\d+)(?:\/|$)/.exec(value ?? '')?.[1] ?? '-';
  const groups: Array<[string, (pid: number, cmdline: string) => boolean]> = [
    [
      'temporal',
      (_, cmd) => cmd.includes('temporal') && cmd.includes(`--port ${port(process.env.TEMPORAL_ADDRESS)} `),
    ],
    ['ferretdb', (_, cmd) => cmd.includes(`--listen-addr=127.0.0.1:${port(mongodbUri)}`)],
    ['chroma', (_, cmd) => cmd.includes('chroma') && cmd.endsWith(`--port ${port(process.env.CHROMA_URL)}`)],
    ['worker', (pid) => workerPids.includes(pid)],
    ['bots+fakes', (pid) => pid === process.pid],
  ];
  const read = (): { machine: number[]; groups: Map<string, number> } | undefined => {
    try {
      const machine = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '')
        .trim()
        .split(/\s+/)
        .slice(1)
        .map(Number);
      const perGroup = new Map<string, number>();
      for (const { pid, fields } of processStats()) {
        try {
          const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime
          const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
          const group = groups.find(([, match]) => match(pid, cmdline))?.[0] ?? 'other';
          perGroup.set(group, (perGroup.get(group) ?? 0) + ticks);
        } catch {
          // the process ended meanwhile
        }
      }
      return { machine, groups: perGroup };
    } catch {
      return undefined;
    }
  };
  const before = read();
  const started = performance.now();
  return () => {
    const after = read();
    if (!before || !after) return 'n/a';
    const delta = after.machine.map((value, i) => value - (before.machine[i] ?? 0));
    const total = delta.reduce((sum, value) => sum + value, 0);
    const idle = (delta[3] ?? 0) + (delta[4] ?? 0); // idle + iowait
    const seconds = (performance.now() - started) / 1000;
    const perGroup = [...groups.map(([name]) => name), 'other'].map((name) => {
      // A process that started or ended during the phase counts from or to zero: "other" is approximate.
      const used = Math.max(0, (after.groups.get(name) ?? 0) - (before.groups.get(name) ?? 0));
      return `${name} ${((used / ticksPerSecond / seconds) * 100).toFixed(0)}%`;
    });
    const machine = total > 0 ? `${(((total - idle) / total) * 100).toFixed(0)}% busy` : 'n/a';
    return `${machine}; by process (% of one core): ${perGroup.join(', ')}`;
  };
}
