import { startHarness, type Harness } from '../test/e2e/harness';
import { waitFor } from '../test/fakes/waitFor';
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

interface Variant {
  name: string;
  env: NodeJS.ProcessEnv;
}

/** The same conversation three ways, each on a harness of its own; nothing else differs. */
const VARIANTS: Variant[] = [
  { name: 'baseline (memory off)', env: { MEMORY_SUMMARY_EVERY: '0' } },
  {
    name: `memory summaries every ${SUMMARY_EVERY} turns`,
    env: { MEMORY_SUMMARY_EVERY: String(SUMMARY_EVERY) },
  },
];

interface ReplyCost {
  llmCalls: number;
  /** Characters of every message the LLM calls were given: what the calls cost the model to read. */
  promptChars: number;
  restCalls: Record<string, number>;
  /** Message sent -> the reply's text shown. */
  ms: number;
}

/**
 * BENCH=reply-costs: what memory summaries cost per reply, side by side with a baseline in the same
 * run: LLM calls (and the characters of their prompts), Discord REST requests (by method) and
 * milliseconds from the user's message to the reply shown, over REPLIES replies of one character in one channel, one at a time (HISTORY_WINDOW 10,
 * QC off, an instant scripted model). A summary is written after its reply, off the reply's path: its
 * LLM call is counted for the reply whose turn made it due, and the next message waits until it is
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
  const started = performance.now();
  const said = await h.discord.userSays({ channelId: h.channelId, content: `Peter, tell me story ${index}` });
  await h.discord.replyTo(said.id);
  const ms = performance.now() - started;
  await h.temporal.workflow.getHandle(replyWorkflowId(said.id, 'Peter')).result();
  await summaryWritten(h);
  const restCalls: Record<string, number> = {};
  for (const call of h.discord.restCalls.slice(restBefore)) {
    restCalls[call.method] = (restCalls[call.method] ?? 0) + 1;
  }
  const calls = h.ollama.requests.slice(llmBefore);
  const promptChars = calls
    .flatMap((call) => call.body.messages ?? [])
    .reduce((sum, message) => sum + message.content.length, 0);
  return { llmCalls: calls.length, promptChars, restCalls, ms };
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
  const ms = costs.map((cost) => cost.ms);
  console.log(
    `${name}: LLM calls ${mean(costs.map((cost) => cost.llmCalls)).toFixed(2)}/reply ` +
      `(${Math.round(mean(costs.map((cost) => cost.promptChars)))} prompt characters), ` +
      `Discord REST ${total.toFixed(2)}/reply (${rest}), ` +
      `reply shown p50 ${quantile(ms, 0.5).toFixed(1)} ms, p95 ${quantile(ms, 0.95).toFixed(1)} ms`,
  );
}
