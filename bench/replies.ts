import { randomUUID } from 'node:crypto';
import type { ConversationTurn } from '../src/store/conversationHistory';
import { replyWorkflowId } from '../src/workflows/contracts/reply';
import { CHARACTERS, type Harness } from '../test/e2e/harness';
import { waitFor } from '../test/fakes/waitFor';
import { startBaselineBot } from './baselineBot';
import { reportSteps, stepsOf } from './breakdown';
import { quantile, report } from './stats';

const SEQUENTIAL_REPLIES = Number(process.env.BENCH_REPLIES ?? 200);
/** conversation_history sizes the one-at-a-time replies are measured at, smallest first. */
const HISTORY_SIZES = (process.env.BENCH_HISTORY ?? '1000,100000').split(',').map(Number);
const CHANNELS = Number(process.env.BENCH_CHANNELS ?? 20);
const MESSAGES_PER_CHANNEL = Number(process.env.BENCH_MESSAGES_PER_CHANNEL ?? 10);
/** Other channels the seeded history is spread over (the hot path must not care how many turns they hold). */
const SEEDED_SESSIONS = 500;
const BASELINE_NAME = 'Baseline';

/**
 * Orchestration overhead of a reply with an instant scripted LLM, QC off: message in -> reply
 * posted, one at a time, at each history size, side by side with a plain non-durable bot on the
 * same fakes; where the time goes; then throughput with many channels at once.
 */
export async function benchReplies(h: Harness): Promise<void> {
  h.ollama.reply('Hehehehe. Freakin sweet.');
  const baselineUser = h.discord.addBot({ token: `token-baseline-${randomUUID()}`, username: BASELINE_NAME });
  const baseline = await startBaselineBot({
    name: BASELINE_NAME,
    token: baselineUser.token,
    discordApiUrl: h.discord.apiUrl,
    ollamaHost: h.ollama.url,
    model: 'scripted',
  });
  try {
    // Warm-up: workflow bundle, caches, connections.
    await replyOnce(h, h.channelId, 'Peter', true);
    await replyOnce(h, h.channelId, BASELINE_NAME);
    for (const [index, size] of HISTORY_SIZES.entries()) {
      const seeded = await seedHistory(h, size);
      await measureOneAtATime(h, size, seeded);
      if (index === 0) await measureThroughput(h);
    }
  } finally {
    await baseline.stop();
  }
}

async function measureOneAtATime(h: Harness, size: number, seededMs: number): Promise<void> {
  const total = await h.store.conversationHistory.collection.countDocuments();
  console.log(`\n== ${total} turns in conversation_history (seeding took ${(seededMs / 1000).toFixed(1)} s)`);
  const project: number[] = [];
  const sentAt = new Map<string, number>();
  for (let i = 0; i < SEQUENTIAL_REPLIES; i++) {
    const character = CHARACTERS[i % CHARACTERS.length] ?? 'Peter';
    const { elapsed, workflowId, sent } = await timedReply(h, h.channelId, character, true);
    project.push(elapsed);
    sentAt.set(workflowId, sent);
  }
  const plain: number[] = [];
  for (let i = 0; i < SEQUENTIAL_REPLIES; i++) plain.push(await replyOnce(h, h.channelId, BASELINE_NAME));
  report(`reply overhead at ${size} turns, one at a time (n=${SEQUENTIAL_REPLIES})`, project);
  report(`baseline bot (no memory, no Temporal), same run (n=${SEQUENTIAL_REPLIES})`, plain);
  console.log(
    `  overhead over the baseline: ${(quantile(project, 0.5) / quantile(plain, 0.5)).toFixed(1)}x at p50`,
  );
  reportSteps(`steps at ${size} turns`, await stepsOf(h.temporal, [...sentAt.keys()], sentAt), sentAt.size);
}

async function measureThroughput(h: Harness): Promise<void> {
  const channels = Array.from({ length: CHANNELS }, (_, i) => h.discord.createTextChannel(`bench-${i}`));
  await waitFor(() => h.discord.connectedBots().length === CHARACTERS.length + 1);
  const concurrent: number[] = [];
  const sentAt = new Map<string, number>();
  const started = performance.now();
  await Promise.all(
    channels.map(async (channelId, c) => {
      for (let i = 0; i < MESSAGES_PER_CHANNEL; i++) {
        const character = CHARACTERS[(c + i) % CHARACTERS.length] ?? 'Peter';
        const { elapsed, workflowId, sent } = await timedReply(h, channelId, character, false);
        concurrent.push(elapsed);
        sentAt.set(workflowId, sent);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  report(`replies, ${CHANNELS} channels at once (n=${concurrent.length})`, concurrent);
  console.log(
    `  throughput: ${(concurrent.length / seconds).toFixed(1)} replies/s over ${seconds.toFixed(1)} s`,
  );
  reportSteps(
    `steps with ${CHANNELS} channels at once`,
    await stepsOf(h.temporal, [...sentAt.keys()], sentAt),
    sentAt.size,
  );
}

/**
 * Tops conversation_history up to `size` turns, spread over SEEDED_SESSIONS other channels
 * (a user line and a bot line each), in batches. Resolves with how long it took.
 */
async function seedHistory(h: Harness, size: number): Promise<number> {
  const started = performance.now();
  const { collection } = h.store.conversationHistory;
  const missing = size - (await collection.countDocuments());
  const batch: ConversationTurn[] = [];
  for (let i = 0; i < missing; i++) {
    const session = i % SEEDED_SESSIONS;
    const turnId = 1_000_000 + Math.floor(i / SEEDED_SESSIONS) + size; // above any earlier top-up's
    const bot = turnId % 2 === 0;
    batch.push({
      _id: `seed:${size}:${i}`,
      session_id: `discord:seed-${session}`,
      turn_id: turnId,
      timestamp: new Date(Date.now() - (missing - i) * 1000),
      channel_id: `seed-${session}`,
      user_id: bot ? null : `user-${session}`,
      speaker_type: bot ? 'BOT' : 'USER',
      bot_name: bot ? (CHARACTERS[i % CHARACTERS.length] ?? 'Peter') : null,
      message_content: bot ? 'Hehehehe. Freakin sweet.' : 'Peter, what do you think of the Drunken Clam?',
      original_message_id: null,
      is_organic_initiation: false,
      rag_context_used: [],
      llm_response_raw: null,
      llm_response_final: null,
    });
    if (batch.length === 1000 || i === missing - 1) await collection.insertMany(batch.splice(0));
  }
  return performance.now() - started;
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
  return (await timedReply(h, channelId, character, settle, timeoutMs)).elapsed;
}

async function timedReply(
  h: Harness,
  channelId: string,
  character: string,
  settle: boolean,
  timeoutMs = 60_000,
): Promise<{ elapsed: number; workflowId: string; sent: number }> {
  const sent = Date.now();
  const started = performance.now();
  const message = await h.discord.userSays({ channelId, content: `${character}, say something` });
  await h.discord.replyTo(message.id, timeoutMs);
  const elapsed = performance.now() - started;
  const workflowId = replyWorkflowId(message.id, character);
  if (settle) await h.temporal.workflow.getHandle(workflowId).result();
  return { elapsed, workflowId, sent };
}
