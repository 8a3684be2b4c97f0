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
 * drain, latency p50/p95/max from the moment a message was due (so a late send counts against
 * the system), throughput, and where the CPU went.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { replyWorkflowId } from '../src/workflows/contracts/reply';
import { CHARACTERS, startHarness, type Harness } from '../test/e2e/harness';
import { waitFor } from '../test/fakes/waitFor';
import { report } from './stats';

const setting = (name: string, fallback: number): number => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
};
const CHANNELS = setting('BENCH_LOAD_CHANNELS', 50);
const SECONDS = setting('BENCH_LOAD_SECONDS', 60);
const RATES = (process.env.BENCH_LOAD_RATES ?? '0.1,0.2,0.4').split(',').map(Number);
const LLM_MS = setting('BENCH_LOAD_LLM_MS', 200);
const LLM_CONCURRENCY = setting('BENCH_LOAD_LLM_CONCURRENCY', 8);
const WORKERS = setting('BENCH_LOAD_WORKERS', 1);
const DRAIN_SECONDS = setting('BENCH_LOAD_DRAIN_SECONDS', 60);
const REPLY = 'Hehehehe. Freakin sweet.';

interface Sent {
  id: string;
  character: string;
  /** When the message was due (performance.now()). */
  dueAt: number;
  /** How late the send started. */
  lagMs: number;
  repliedAt?: number;
}

export async function benchLoad(): Promise<void> {
  if (RATES.some((rate) => !(rate > 0)))
    throw new Error('BENCH_LOAD_RATES: positive numbers, comma-separated');
  const h = await startHarness({ worker: false, llmConcurrency: LLM_CONCURRENCY });
  const workers: WorkerProcess[] = [];
  try {
    for (let i = 0; i < WORKERS; i++) workers.push(await startWorkerProcess(h));
    h.ollama.reply(REPLY);
    h.ollama.latencyMs = LLM_MS;
    const channels = Array.from({ length: CHANNELS }, (_, i) => h.discord.createTextChannel(`load-${i}`));
    await waitFor(() => h.discord.connectedBots().length === CHARACTERS.length);
    // Warm-up: workflow bundle, embedder, connections and caches in every process.
    await Promise.all(
      CHARACTERS.map(async (character, i) => {
        const message = await h.discord.userSays({
          channelId: channels[i % channels.length] ?? h.channelId,
          content: `${character}, warm up`,
        });
        await h.discord.replyTo(message.id, 120_000);
      }),
    );

    console.log(
      `load: ${CHANNELS} channels, ${SECONDS} s per phase, LLM ${LLM_MS} ms per reply ` +
        `(LLM_CONCURRENCY ${LLM_CONCURRENCY}), ${WORKERS} worker process(es), drain timeout ${DRAIN_SECONDS} s`,
    );
    for (const rate of RATES) {
      const drained = await phase(h, channels, rate, workers);
      if (!drained) {
        console.log(
          `  stopping: the backlog did not drain within ${DRAIN_SECONDS} s, higher rates would only pile up`,
        );
        break;
      }
    }
  } finally {
    await Promise.all(workers.map((worker) => worker.stop()));
    await h.stop();
  }
}

/** One phase at `rate` messages per second per channel; resolves whether everything was answered. */
async function phase(
  h: Harness,
  channels: string[],
  rate: number,
  workers: WorkerProcess[],
): Promise<boolean> {
  const interval = 1000 / rate;
  const start = performance.now() + 100;
  const end = start + SECONDS * 1000;
  const deadline = end + DRAIN_SECONDS * 1000;
  const sent: Sent[] = [];
  const replies: Array<Promise<void>> = [];
  const turns = () => h.store.conversationHistory.collection.estimatedDocumentCount();
  const turnsBefore = await turns();
  const cpu = cpuSample(workers.map((worker) => worker.pid));
  const errorsBefore = workers.reduce((sum, worker) => sum + worker.errors.length, 0);

  await Promise.all(
    channels.map(async (channelId, c) => {
      // Channels are spread evenly over the interval, so the load is steady, not in bursts.
      const offset = (c / channels.length) * interval;
      for (let k = 0; start + offset + k * interval < end; k++) {
        const dueAt = start + offset + k * interval;
        const wait = dueAt - performance.now();
        if (wait > 0) await sleep(wait);
        const character = CHARACTERS[(c + k) % CHARACTERS.length] ?? 'Peter';
        const lagMs = performance.now() - dueAt;
        const message = await h.discord.userSays({
          channelId,
          content: `${character}, what do you make of message ${k} in here?`,
        });
        const entry: Sent = { id: message.id, character, dueAt, lagMs };
        sent.push(entry);
        replies.push(
          h.discord.replyTo(message.id, Math.max(1, deadline - performance.now())).then(
            () => {
              entry.repliedAt = performance.now();
            },
            () => undefined, // no reply before the deadline: counted below
          ),
        );
      }
    }),
  );
  const sendingEnded = performance.now();
  await Promise.all(replies);
  await sleep(2000); // a late duplicate would show up here
  const busy = cpu();

  const ids = new Set(sent.map((entry) => entry.id));
  const posted = h.discord.botMessages().filter((m) => ids.has(m.message_reference?.message_id ?? ''));
  const perMessage = new Map<string, typeof posted>();
  for (const message of posted) {
    const key = message.message_reference?.message_id ?? '';
    perMessage.set(key, [...(perMessage.get(key) ?? []), message]);
  }
  const byId = new Map(sent.map((entry) => [entry.id, entry]));
  const duplicates = [...perMessage.values()].reduce((sum, list) => sum + list.length - 1, 0);
  const answered = sent.filter((entry) => entry.repliedAt !== undefined);
  const fallbacks = posted.filter((m) => m.content !== REPLY).length;
  const wrongCharacter = posted.filter(
    (m) => m.author.username !== byId.get(m.message_reference?.message_id ?? '')?.character,
  ).length;
  const latencies = answered.map((entry) => (entry.repliedAt ?? 0) - entry.dueAt);
  const lastReply = answered.length > 0 ? Math.max(...answered.map((entry) => entry.repliedAt ?? 0)) : NaN;
  const inWindow = answered.filter((entry) => (entry.repliedAt ?? Infinity) <= end).length;
  const trend = (from: number, to: number) => {
    const window = answered
      .filter((entry) => entry.dueAt >= from && entry.dueAt < to)
      .map((entry) => (entry.repliedAt ?? 0) - entry.dueAt)
      .sort((a, b) => a - b);
    return window.length ? `${window[Math.floor(window.length / 2)]?.toFixed(0)} ms` : 'n/a';
  };
  const lags = sent.map((entry) => entry.lagMs).sort((a, b) => a - b);
  const errors = workers.reduce((sum, worker) => sum + worker.errors.length, 0) - errorsBefore;
  // Unanswered after the drain timeout: still on their way (workflow running) or gone for good?
  const unanswered = sent.filter((entry) => !perMessage.has(entry.id));
  const states = new Map<string, number>();
  for (const entry of unanswered) {
    const state = await h.temporal.workflow
      .getHandle(replyWorkflowId(entry.id, entry.character))
      .describe()
      .then(
        (description) => description.status.name,
        () => 'NOT STARTED',
      );
    states.set(state, (states.get(state) ?? 0) + 1);
  }
  const lost = unanswered.length - (states.get('RUNNING') ?? 0);

  console.log(
    `\n${rate} msg/s per channel = ${(rate * channels.length).toFixed(1)} msg/s offered, for ${SECONDS} s:`,
  );
  console.log(
    `  sent ${sent.length}, replies delivered ${posted.length - duplicates}, duplicates ${duplicates}, ` +
      `lost ${lost} (workflow ended without a reply, or never started), still unanswered ` +
      `${unanswered.length} ${DRAIN_SECONDS} s after the last message${describeStates(states)}, fallback lines ${fallbacks}, ` +
      `wrong character ${wrongCharacter}, worker errors logged ${errors}`,
  );
  report(`  latency, message due -> reply posted (n=${latencies.length})`, latencies);
  console.log(
    `  median latency of messages due in the first 10 s: ${trend(start, start + 10_000)}, ` +
      `in the last 10 s: ${trend(end - 10_000, end)}; send lag p95 ` +
      `${(lags[Math.floor(lags.length * 0.95)] ?? 0).toFixed(0)} ms, max ${(lags.at(-1) ?? 0).toFixed(0)} ms`,
  );
  console.log(
    `  throughput: ${(inWindow / SECONDS).toFixed(1)} replies/s while sending, ` +
      `${(answered.length / ((lastReply - start) / 1000)).toFixed(1)} replies/s to the last reply, ` +
      `which came ${((lastReply - sendingEnded) / 1000).toFixed(1)} s after the last message`,
  );
  console.log(
    `  CPU: machine ${busy}; load average ${loadavg()[0]?.toFixed(1)}; ` +
      `conversation_history ${turnsBefore} -> ${await turns()} turns`,
  );
  for (const line of workers.flatMap((worker) => worker.errors).slice(errorsBefore, errorsBefore + 3)) {
    console.log(`  worker error: ${line.slice(0, 300)}`);
  }
  return unanswered.length === 0;
}

/** ` (12 RUNNING, 3 COMPLETED)`: what became of the unanswered messages' workflows. */
function describeStates(states: Map<string, number>): string {
  if (states.size === 0) return '';
  return ` (workflows: ${[...states].map(([state, count]) => `${count} ${state}`).join(', ')})`;
}

/**
 * CPU use between this call and the returned function's: the machine's (all cores) and, per
 * process group in % of one core, this stack's servers (told apart from other stacks on the
 * machine by their ports), the worker processes, this process (bots, fake Discord, scripted
 * Ollama, load generator) and everything else (other users of a shared machine). Linux only.
 */
function cpuSample(workerPids: number[]): () => string {
  const ticksPerSecond = 100; // USER_HZ on Linux
  const port = (value: string | undefined) => /:(\d+)(?:\/|$)/.exec(value ?? '')?.[1] ?? '-';
  const groups: Array<[string, (pid: number, cmdline: string) => boolean]> = [
    [
      'temporal',
      (_, cmd) => cmd.includes('temporal') && cmd.includes(`--port ${port(process.env.TEMPORAL_ADDRESS)} `),
    ],
    ['ferretdb', (_, cmd) => cmd.includes(`--listen-addr=127.0.0.1:${port(process.env.MONGODB_URI)}`)],
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
      for (const entry of readdirSync('/proc')) {
        const pid = Number(entry);
        if (!Number.isInteger(pid)) continue;
        try {
          const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
          const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
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

interface WorkerProcess {
  pid: number;
  /** Lines the worker logged at level error or above. */
  errors: string[];
  stop(): Promise<void>;
}

/** A real worker process (src/worker.ts) joined to the harness; resolves once it polls. */
async function startWorkerProcess(h: Harness): Promise<WorkerProcess> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/worker.ts'], {
    cwd: join(__dirname, '..'),
    env: { ...process.env, ...h.workerEnv, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const errors: string[] = [];
  let output = '';
  let ready = false;
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      for (const line of text.split('\n')) {
        const level = /"level":(\d+)/.exec(line)?.[1];
        if (level && Number(level) >= 50) errors.push(line);
      }
      if (ready) return;
      output += text;
      if (output.includes('"msg":"worker running"')) {
        ready = true;
        output = '';
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      if (!ready) reject(new Error(`worker exited with ${code} before it was ready:\n${output}`));
    });
  });
  return {
    pid: child.pid ?? -1,
    errors,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
