import { QC_SYSTEM_INTRO } from '../src/llm/qcPrompt';
import { CHARACTERS, startHarness } from '../test/e2e/harness';
import { startOllamaTap } from '../test/fakes/ollamaTap';
import { replyOnce } from './replies';
import { report } from './stats';

const MODEL_REPLIES = Number(process.env.BENCH_MODEL_REPLIES ?? 30);
/** QC may generate and review four candidates on two CPU cores. */
const REPLY_TIMEOUT_MS = 300_000;

/**
 * Replies with the real model (the bundled one on the bench stack's Ollama, or OLLAMA_HOST/OLLAMA_MODEL),
 * one at a time, QC off and on: latency from message in to reply posted, the model's own speed (tokens/s
 * as Ollama counts them), and how much of a reply's time is orchestration rather than the model (the reply's
 * latency minus the time its LLM calls took, measured at a tap in front of Ollama).
 */
export async function benchModel(ollamaHost: string, model: string): Promise<void> {
  const tap = await startOllamaTap(ollamaHost);
  try {
    for (const qc of [false, true]) {
      const h = await startHarness({
        env: {
          OLLAMA_HOST: tap.url,
          OLLAMA_MODEL: model,
          QC_ENABLED: String(qc),
          LLM_CONCURRENCY: '1',
        },
      });
      try {
        await replyOnce(h, h.channelId, 'Peter', true, REPLY_TIMEOUT_MS); // warm-up: model load, workflow bundle, connections
        tap.chats.length = 0;
        const latencies: number[] = [];
        let modelMs = 0;
        for (let i = 0; i < MODEL_REPLIES; i++) {
          const before = tap.chats.length;
          latencies.push(
            await replyOnce(
              h,
              h.channelId,
              CHARACTERS[i % CHARACTERS.length] ?? 'Peter',
              true,
              REPLY_TIMEOUT_MS,
            ),
          );
          // Only the calls made before the reply was posted count (with QC all of them are).
          modelMs += tap.chats.slice(before).reduce((sum, chat) => sum + chat.ms, 0);
        }
        const total = latencies.reduce((sum, ms) => sum + ms, 0);
        const tokens = tap.chats.reduce((sum, chat) => sum + chat.evalCount, 0);
        const evalSeconds = tap.chats.reduce((sum, chat) => sum + chat.evalDurationNs, 0) / 1e9;
        const reviews = tap.chats.filter((chat) =>
          chat.request.messages?.[0]?.content.startsWith(QC_SYSTEM_INTRO),
        );
        report(`real model ${model}, QC ${qc ? 'on' : 'off'} (n=${MODEL_REPLIES})`, latencies);
        console.log(
          `  ${tap.chats.length} LLM calls (${reviews.length} QC reviews), ${tokens} tokens at ` +
            `${(tokens / evalSeconds).toFixed(1)} tokens/s; orchestration ${(100 * (1 - modelMs / total)).toFixed(1)}% ` +
            `of the reply time (${((total - modelMs) / MODEL_REPLIES).toFixed(0)} ms a reply)`,
        );
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
  } finally {
    await tap.close();
  }
}
