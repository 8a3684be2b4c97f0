/**
 * `npm run bench`: prints numbers, asserts nothing. Everything runs on a throwaway local
 * stack (Temporal dev server, FerretDB, Chroma, Ollama with the bundled model) with the real
 * worker, bots and clients; Discord is the test fake, and the LLM is an instant scripted one
 * except in the model part, which uses the real model.
 *   BENCH=replies|knowledge|retrieval|qc|model runs one part; BENCH=load (bench/load.ts, not part of the
 *   default run: several minutes) puts 50 channels of steady traffic through it, BENCH_LOAD_FAULTS=1
 *   with a worker and FerretDB crashing under it; BENCH=soak (bench/soak.ts, 20 minutes) watches
 *   every process's memory and event-loop lag under steady traffic. BENCH=dashboard (bench/dashboard.ts) times
 *   the dashboard's API routes with 100,000 turns and 10,000 ratings stored. BENCH=dashboard-load (bench/dashboardLoad.ts)
 *   loads the admin dashboard in headless Chromium: bytes transferred and time to interactive.
 *   BENCH=reply-costs (bench/replyCosts.ts) counts what a reply costs (LLM calls, Discord requests, ms)
 *   with memory summaries or live replies on beside a baseline, each on a harness of its own.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../src/config';
import { findRepoRoot, resolveServerTools } from '../src/stack/tools';
import { startLocalStack } from '../src/stack/localStack';
import { startHarness } from '../test/e2e/harness';
import { benchDashboard } from './dashboard';
import { benchDashboardLoad } from './dashboardLoad';
import { benchKnowledge } from './knowledge';
import { benchLoad } from './load';
import { benchModel } from './model';
import { benchQc } from './qc';
import { benchReplies } from './replies';
import { benchReplyCosts } from './replyCosts';
import { benchRatingsPath } from './ratingsPath';
import { benchRetrieval } from './retrieval';
import { benchSoak } from './soak';

async function main(): Promise<void> {
  // Ctrl-C exits through process.exit, so the stack's exit hook stops the servers it started.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
  const part = process.env.BENCH ?? 'all';
  const dataDir = mkdtempSync(join(__dirname, '..', '.data', 'bench-'));
  const stack = await startLocalStack({
    dataDir,
    ports: { temporal: 0, temporalUi: 0, mongo: 0, chroma: 0, ollama: 0 },
    temporalInMemory: true,
    mongoDatabase: '',
    log: () => undefined,
  });
  process.env.TEMPORAL_ADDRESS = stack.temporalAddress;
  process.env.MONGODB_URI = stack.mongodbUri;
  process.env.CHROMA_URL = stack.chromaUrl;
  process.env.EMBEDDING_MODEL_DIR ??= (
    await resolveServerTools(findRepoRoot(), () => undefined)
  ).embeddingModelDir;
  // The load, soak and reply-costs benches start their own harnesses: no idle worker here beside them.
  const ownHarness = part === 'load' || part === 'soak' || part === 'reply-costs';
  const h = ownHarness ? undefined : await startHarness({ llmConcurrency: 8 });
  try {
    if (h && (part === 'all' || part === 'replies')) await benchReplies(h);
    if (h && (part === 'all' || part === 'knowledge')) await benchKnowledge(h);
    if (h && (part === 'all' || part === 'retrieval')) await benchRetrieval(h);
    if (part === 'all' || part === 'reply-costs') await benchReplyCosts();
    if (part === 'all' || part === 'qc') await benchQc();
    if (part === 'all' || part === 'model') {
      await benchModel(stack.ollamaHost, stack.bundledModel ?? loadConfig().ollamaModel);
    }
    if (part === 'load') await benchLoad(stack);
    if (part === 'ratings') await benchRatingsPath(stack.mongodbUri); // BENCH=ratings (bench/ratingsPath.ts)
    if (part === 'soak') await benchSoak(stack);
    if (h && part === 'dashboard') await benchDashboard(h); // BENCH=dashboard (bench/dashboard.ts)
    if (h && part === 'dashboard-load') await benchDashboardLoad(h);
  } finally {
    await h?.stop();
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
