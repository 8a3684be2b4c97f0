import { replyWorkflowId } from '../src/workflows/contracts/reply';
import { CHARACTERS, type Harness } from '../test/e2e/harness';
import { waitFor } from '../test/fakes/waitFor';
import { report } from './stats';

const SEQUENTIAL_REPLIES = Number(process.env.BENCH_REPLIES ?? 200);
const CHANNELS = Number(process.env.BENCH_CHANNELS ?? 20);
const MESSAGES_PER_CHANNEL = Number(process.env.BENCH_MESSAGES_PER_CHANNEL ?? 10);

/**
 * Orchestration overhead of a reply with an instant scripted LLM: message in -> reply
 * posted, one at a time (no overlap), then throughput with many channels at once.
 */
export async function benchReplies(h: Harness): Promise<void> {
  h.ollama.reply('Hehehehe. Freakin sweet.');
  await replyOnce(h, h.channelId, 'Peter', true); // warm-up: workflow bundle, caches, connections

  const latencies: number[] = [];
  for (let i = 0; i < SEQUENTIAL_REPLIES; i++) {
    latencies.push(await replyOnce(h, h.channelId, CHARACTERS[i % CHARACTERS.length] ?? 'Peter', true));
  }
  report(`reply overhead, one at a time (n=${SEQUENTIAL_REPLIES})`, latencies);

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
  report(`replies, ${CHANNELS} channels at once (n=${concurrent.length})`, concurrent);
  console.log(
    `  throughput: ${(concurrent.length / seconds).toFixed(1)} replies/s over ${seconds.toFixed(1)} s`,
  );
}

/**
 * Sends one message naming `character`; resolves with ms until its reply was posted
 * (and, with `settle`, after its workflow has also finished its bookkeeping).
 */
export async function replyOnce(
  h: Harness,
  channelId: string,
  character: string,
  settle = false,
  timeoutMs = 60_000,
): Promise<number> {
  const started = performance.now();
  const message = await h.discord.userSays({ channelId, content: `${character}, say something` });
  await h.discord.replyTo(message.id, timeoutMs);
  const elapsed = performance.now() - started;
  if (settle) await h.temporal.workflow.getHandle(replyWorkflowId(message.id, character)).result();
  return elapsed;
}
