import examples from '../test/fixtures/qc/replies.json';
import { loadRoster } from '../src/characters/roster';
import { createOllamaLlm, type ChatOptions } from '../src/llm/ollamaChat';
import { buildQcMessages, parseQcVerdict, QC_SYSTEM_INTRO, QC_VERDICT_SCHEMA } from '../src/llm/qcPrompt';
import { CHARACTERS, startHarness } from '../test/e2e/harness';
import { startOllamaTap, type TappedChat } from '../test/fakes/ollamaTap';
import { replyOnce } from './replies';
import { report } from './stats';

const MODEL_REPLIES = Number(process.env.BENCH_MODEL_REPLIES ?? 30);
/** QC may generate and review four candidates on two CPU cores. */
const REPLY_TIMEOUT_MS = 300_000;

/**
 * Replies with the real model (the bundled one on the bench stack's Ollama, or OLLAMA_HOST/OLLAMA_MODEL),
 * one at a time, QC off and on: latency from message in to reply posted, the model's own speed (prompt and
 * generated tokens/s as Ollama counts them), and how much of a reply's time is orchestration rather than the
 * model (the reply's latency minus the time its LLM calls took, measured at a tap in front of Ollama).
 * Each message opens a new channel, so every prompt is the character sheet and the message alone: on CPU,
 * prompt processing grows with the history a channel has.
 */
export async function benchModel(ollamaHost: string, model: string): Promise<void> {
  const tap = await startOllamaTap(ollamaHost);
  try {
    for (const qc of [false, true]) {
      const h = await startHarness({
        env: { OLLAMA_HOST: tap.url, OLLAMA_MODEL: model, QC_ENABLED: String(qc), LLM_CONCURRENCY: '1' },
      });
      try {
        // Warm-up: model load, workflow bundle, connections.
        await replyOnce(h, h.channelId, 'Peter', true, REPLY_TIMEOUT_MS);
        tap.chats.length = 0;
        const latencies: number[] = [];
        for (let i = 0; i < MODEL_REPLIES; i++) {
          const channelId = h.discord.createTextChannel(`model-${i}`);
          const character = CHARACTERS[i % CHARACTERS.length] ?? 'Peter';
          latencies.push(await replyOnce(h, channelId, character, true, REPLY_TIMEOUT_MS));
        }
        report(`real model ${model}, QC ${qc ? 'on' : 'off'} (n=${MODEL_REPLIES})`, latencies);
        console.log(`  ${describeCalls(tap.chats, latencies)}`);
        if (qc) {
          const methods = await h.store.fineTuningData.collection
            .aggregate<{ _id: string; n: number }>([
              { $match: { rating_type: 'QC_AUTOMATED' } },
              { $group: { _id: '$qc_method', n: { $sum: 1 } } },
            ])
            .toArray();
          console.log(`  QC assessments by method: ${methods.map((m) => `${m._id} ${m.n}`).join(', ')}`);
        }
      } finally {
        await h.stop();
      }
    }
    await benchVerdictFormat(ollamaHost, model);
  } finally {
    await tap.close();
  }
}

/**
 * The reviewer's verdict on each labelled example reply, asked for with the JSON schema (what QC does) and
 * with the instruction alone (the baseline): how many answers parse as a valid verdict. Those that do not
 * become QC's fallback score.
 */
async function benchVerdictFormat(ollamaHost: string, model: string): Promise<void> {
  const llm = createOllamaLlm({
    host: ollamaHost,
    model,
    temperature: 0.7,
    numCtx: 8192,
    numPredict: 200,
    timeoutMs: 120_000,
  });
  const roster = loadRoster(['Peter', 'Brian', 'Stewie']);
  const variants: Array<[string, ChatOptions]> = [
    ['with the JSON schema', { format: QC_VERDICT_SCHEMA }],
    ['instruction only', {}],
  ];
  for (const [label, options] of variants) {
    let parsed = 0;
    for (const example of examples.examples) {
      const systemPrompt = roster.find((c) => c.name === example.character)?.promptText ?? '';
      const prompt = {
        character: example.character,
        systemPrompt,
        history: [],
        context: [],
        userMessage: 'Hi!',
      };
      const { text } = await llm.chat(buildQcMessages(prompt, example.raw), options);
      if (parseQcVerdict(text)) parsed += 1;
    }
    console.log(
      `QC reviewer ${label}: ${parsed}/${examples.examples.length} verdicts valid, ` +
        `${examples.examples.length - parsed} would be fallback scores`,
    );
  }
}

/** Calls, token rates and the share of the replies' time spent outside the model (calls run one at a time). */
function describeCalls(chats: TappedChat[], latencies: number[]): string {
  const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);
  const reviews = chats.filter((chat) => chat.request.messages?.[0]?.content.startsWith(QC_SYSTEM_INTRO));
  const generated = sum(chats.map((c) => c.evalCount));
  const prompt = sum(chats.map((c) => c.promptEvalCount));
  const perSecond = (tokens: number, ns: number) => (tokens / (ns / 1e9)).toFixed(1);
  const total = sum(latencies);
  const outsideModel = total - sum(chats.map((c) => c.ms));
  return (
    `${chats.length} LLM calls (${reviews.length} QC reviews): ${generated} tokens generated at ` +
    `${perSecond(generated, sum(chats.map((c) => c.evalDurationNs)))}/s, ${prompt} prompt tokens at ` +
    `${perSecond(prompt, sum(chats.map((c) => c.promptEvalDurationNs)))}/s; orchestration ` +
    `${((100 * outsideModel) / total).toFixed(1)}% of the reply time (${(outsideModel / latencies.length).toFixed(0)} ms a reply)`
  );
}
