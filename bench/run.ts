/**
 * `npm run bench`: the orchestration overhead of a reply on the real local stack
 * (Temporal dev server, FerretDB, Chroma) with the real worker, bots and clients, and an
 * instant scripted LLM, so what is measured is everything but the model:
 *   1. message in -> reply posted, p50/p95 over replies one at a time (each workflow
 *      finishes before the next message, so replies do not overlap);
 *   2. throughput with many channels at once.
 * Prints numbers; asserts nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startLocalStack } from '../src/stack/localStack';
import { replyWorkflowId } from '../src/workflows/types';
import { waitFor } from '../test/fakes/waitFor';
import { CHARACTERS, startHarness, type Harness } from '../test/e2e/harness';

const SEQUENTIAL_REPLIES = Number(process.env.BENCH_REPLIES ?? 200);
const CHANNELS = Number(process.env.BENCH_CHANNELS ?? 20);
const MESSAGES_PER_CHANNEL = Number(process.env.BENCH_MESSAGES_PER_CHANNEL ?? 10);

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(__dirname, '..', '.data', 'bench-'));
  const stack = await startLocalStack({
    dataDir,
    ports: { temporal: 0, temporalUi: 0, mongo: 0, chroma: 0 },
    temporalInMemory: true,
    mongoDatabase: '',
    log: () => undefined,
  });
  process.env.TEMPORAL_ADDRESS = stack.temporalAddress;
  process.env.MONGODB_URI = stack.mongodbUri;
  process.env.CHROMA_URL = stack.chromaUrl;
  const h = await startHarness({ llmConcurrency: 8 });
  try {
    h.ollama.reply('Hehehehe. Freakin sweet.');
    await replyOnce(h, h.channelId, 'Peter'); // warm-up: workflow bundle, caches, connections

    const latencies: number[] = [];
    for (let i = 0; i < SEQUENTIAL_REPLIES; i++) {
      latencies.push(await replyOnce(h, h.channelId, CHARACTERS[i % CHARACTERS.length] ?? 'Peter', true));
    }
    report(`one reply at a time (n=${SEQUENTIAL_REPLIES})`, latencies);

    const channels = Array.from({ length: CHANNELS }, (_, i) => h.discord.createTextChannel(`bench-${i}`));
    await waitFor(() => h.discord.connectedBots().length === CHARACTERS.length);
    const concurrent: number[] = [];
    const started = performance.now();
    await Promise.all(
      channels.map(async (channelId, c) => {
        for (let i = 0; i < MESSAGES_PER_CHANNEL; i++) {
          concurrent.push(await replyOnce(h, channelId, CHARACTERS[(c + i) % CHARACTERS.length] ?? 'Peter'));
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    report(`${CHANNELS} channels at once (n=${concurrent.length})`, concurrent);
    console.log(
      `  throughput: ${(concurrent.length / seconds).toFixed(1)} replies/s over ${seconds.toFixed(1)} s`,
    );
  } finally {
    await h.stop();
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * Sends one message naming `character`; resolves with ms until its reply was posted
 * (and, with `settle`, after its workflow has also finished its bookkeeping).
 */
async function replyOnce(h: Harness, channelId: string, character: string, settle = false): Promise<number> {
  const started = performance.now();
  const message = await h.discord.userSays({ channelId, content: `${character}, say something` });
  await h.discord.replyTo(message.id);
  const elapsed = performance.now() - started;
  if (settle) await h.temporal.workflow.getHandle(replyWorkflowId(message.id, character)).result();
  return elapsed;
}

function report(title: string, samples: number[]): void {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  console.log(
    `${title}: p50 ${at(0.5).toFixed(0)} ms, p95 ${at(0.95).toFixed(0)} ms, max ${at(1).toFixed(0)} ms`,
  );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
