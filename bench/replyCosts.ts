import { startHarness, type Harness } from '../test/e2e/harness';
import { waitFor } from '../test/fakes/waitFor';
import { snowflakeTime } from '../src/discord/snowflake';
import { sessionIdFor } from '../src/store/sessionId';
import { replyWorkflowId } from '../src/workflows/contracts/reply';
import { quantile } from './stats';

const REPLIES = Number(process.env.BENCH_REPLY_COSTS_REPLIES ?? 40);
const HISTORY_WINDOW = 10;
const SUMMARY_EVERY = 20;
/** What the scripted model answers every reply with (a summary too): about 600 characters, one part. */
const ANSWER = Array.from(
  { length: 8 },
  (_, i) => `Hehehe, line ${i} of the story about the Drunken Clam and that giant chicken.`,
).join(' ');
/** How a reply is streamed: written over about 1.8 s, as a small local model might. */
const STREAM = { pieces: 12, pieceDelayMs: 150 };

interface Variant {
  name: string;
  env: NodeJS.ProcessEnv;
}

/** The same conversation three ways, each on a harness of its own; nothing else differs. */
const VARIANTS: Variant[] = [
  { name: 'baseline (memory off, not live)', env: { MEMORY_SUMMARY_EVERY: '0', LIVE_REPLIES: 'false' } },
  {
    name: `memory summaries every ${SUMMARY_EVERY} turns`,
    env: { MEMORY_SUMMARY_EVERY: String(SUMMARY_EVERY), LIVE_REPLIES: 'false' },
  },
  {
    name: 'live replies (an edit at most every 1000 ms)',
    env: { MEMORY_SUMMARY_EVERY: '0', LIVE_REPLIES: 'true', LIVE_EDIT_INTERVAL_MS: '1000' },
  },
];

interface ReplyCost {
  llmCalls: number;
  /** Characters of every message the LLM calls were given: what the calls cost the model to read. */
  promptChars: number;
  restCalls: Record<string, number>;
  /** Message sent -> the reply's first text shown (Discord's timestamps). */
  firstShownMs: number;
  /** Message sent -> the reply's final text shown (its last edit, or its post). */
  finalShownMs: number;
}

/**
 * BENCH=reply-costs: what memory summaries and live replies cost per reply, side by side with a
 * baseline in the same run: LLM calls (and the characters of their prompts), Discord REST requests (by
 * method) and milliseconds from the user's message to the reply's first and final text, over REPLIES
 * replies of one character in one channel, one at a time (HISTORY_WINDOW 10, QC off, a scripted model
 * streaming each reply over about 1.8 s). A summary is written after its reply, off the reply's path:
 * its LLM call is counted for the reply whose turn made it due, and the next message waits until it is
 * written, so every reply meets the same idle model.
 */
export async function benchReplyCosts(): Promise<void> {
  console.log(`\n== cost per reply (${REPLIES} replies, one at a time, HISTORY_WINDOW ${HISTORY_WINDOW})`);
  for (const variant of VARIANTS) {
    const h = await startHarness({
      env: { HISTORY_WINDOW: String(HISTORY_WINDOW), MEMORY_USER_NOTES: 'false', ...variant.env },
    });
    try {
      h.ollama.reply(ANSWER);
      await replyCost(h, 0); // warm-up: workflow bundle, caches, connections
      const costs: ReplyCost[] = [];
      for (let i = 1; i <= REPLIES; i++) costs.push(await replyCost(h, i));
      printCosts(variant.name, costs);
    } finally {
      await h.stop();
    }
  }
}

/** One message to Peter and its reply; what it cost once the reply and any summary it made due are done. */
async function replyCost(h: Harness, index: number): Promise<ReplyCost> {
  const llmBefore = h.ollama.requests.length;
  const restBefore = h.discord.restCalls.length;
  h.ollama.enqueue({ text: ANSWER, stream: STREAM });
  const said = await h.discord.userSays({ channelId: h.channelId, content: `Peter, tell me story ${index}` });
  const first = await h.discord.replyTo(said.id);
  await h.temporal.workflow.getHandle(replyWorkflowId(said.id, 'Peter')).result();
  await summaryWritten(h);
  const shown = h.discord.messages(h.channelId).find((message) => message.id === first.id);
  const sentAt = snowflakeTime(said.id);
  const restCalls: Record<string, number> = {};
  for (const call of h.discord.restCalls.slice(restBefore)) {
    restCalls[call.method] = (restCalls[call.method] ?? 0) + 1;
  }
  const calls = h.ollama.requests.slice(llmBefore);
  const promptChars = calls
    .flatMap((call) => call.body.messages ?? [])
    .reduce((sum, message) => sum + message.content.length, 0);
  return {
    llmCalls: calls.length,
    promptChars,
    restCalls,
    firstShownMs: snowflakeTime(first.id) - sentAt,
    finalShownMs: Date.parse(shown?.edited_timestamp ?? first.timestamp) - sentAt,
  };
}

/**
 * Waits while a summary is due: MEMORY_SUMMARY_EVERY turns or more have left the history window since
 * the session's summary (none when memory is off).
 */
async function summaryWritten(h: Harness): Promise<void> {
  const every = h.config.memorySummaryEvery;
  if (every === 0) return;
  const sessionId = sessionIdFor(h.channelId);
  const outOfWindow = (await h.store.conversationHistory.newestTurnId(sessionId)) - HISTORY_WINDOW;
  await waitFor(
    async () =>
      outOfWindow - ((await h.store.conversationSummaries.get(sessionId))?.through_turn_id ?? 0) < every,
    { timeoutMs: 60_000, what: 'the summary that is due' },
  );
}

function printCosts(name: string, costs: ReplyCost[]): void {
  const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
  const methods = [...new Set(costs.flatMap((cost) => Object.keys(cost.restCalls)))].sort();
  const rest = methods
    .map((method) => `${method} ${mean(costs.map((cost) => cost.restCalls[method] ?? 0)).toFixed(2)}`)
    .join(', ');
  const total = mean(costs.map((cost) => Object.values(cost.restCalls).reduce((a, b) => a + b, 0)));
  const p = (values: number[]) =>
    `p50 ${quantile(values, 0.5).toFixed(0)} / p95 ${quantile(values, 0.95).toFixed(0)} ms`;
  console.log(
    `${name}:\n  LLM calls ${mean(costs.map((cost) => cost.llmCalls)).toFixed(2)}/reply ` +
      `(${Math.round(mean(costs.map((cost) => cost.promptChars)))} prompt characters); ` +
      `Discord REST ${total.toFixed(2)}/reply (${rest})\n` +
      `  first text shown ${p(costs.map((cost) => cost.firstShownMs))}; ` +
      `final text shown ${p(costs.map((cost) => cost.finalShownMs))}`,
  );
}
