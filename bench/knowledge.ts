import { randomUUID } from 'node:crypto';
import { openWikiCollection, queryChunks } from '../src/knowledge/chromaChunks';
import { createLexicalIndex } from '../src/knowledge/lexicalIndex';
import { createWikiKnowledge, RETRIEVAL_DEFAULTS } from '../src/knowledge/wikiKnowledge';
import type { WikiCrawlWorkflow } from '../src/workflows/wikiCrawl';
import { wikiCrawlWorkflowId } from '../src/workflows/contracts/wikiCrawl';
import type { Harness } from '../test/e2e/harness';
import { startFixtureWiki } from '../test/fakes/fixtureWiki';
import { questions } from '../test/fixtures/wiki/questions';
import { report } from './stats';

const RETRIEVAL_CHUNKS = Number(process.env.BENCH_RETRIEVAL_CHUNKS ?? 10_000);
const QUERIES = 200;

/**
 * The knowledge base: crawl throughput against the local fixture wiki (delay 0, real
 * MiniLM, real Chroma), embedding throughput, and retrieval latency at 10,000 chunks.
 */
export async function benchKnowledge(h: Harness): Promise<void> {
  const embedder = await h.knowledge.embedder();
  await embedder.embed(['warm up']);

  const wiki = await startFixtureWiki({ failTimes: {} }); // no injected 500s: their retry backoff is not throughput
  try {
    const crawlId = `bench-${randomUUID().slice(0, 8)}`;
    const started = performance.now();
    const result = await h.temporal.workflow.execute<typeof WikiCrawlWorkflow>('WikiCrawlWorkflow', {
      taskQueue: h.config.taskQueue,
      workflowId: wikiCrawlWorkflowId(crawlId),
      args: [{ crawlId, baseUrl: wiki.url, maxPages: 1000, delayMs: 0, seedTitles: [] }],
    });
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `crawl (fixture wiki, delay 0): ${result.pagesDone} pages, ${result.chunksAdded} chunks in ${seconds.toFixed(1)} s = ` +
        `${(result.pagesDone / seconds).toFixed(1)} pages/s, ${(result.chunksAdded / seconds).toFixed(1)} chunks/s`,
    );
  } finally {
    await wiki.close();
  }

  const chunk = (i: number) =>
    `Chunk ${i}: Peter Griffin once fought Ernie the Giant Chicken across Quahog for a coupon. `
      .repeat(12)
      .slice(0, 1000);
  const texts = Array.from({ length: 256 }, (_, i) => chunk(i));
  const embedStarted = performance.now();
  await embedder.embed(texts);
  const embedSeconds = (performance.now() - embedStarted) / 1000;
  console.log(
    `embedding: ${(texts.length / embedSeconds).toFixed(1)} chunks/s (1,000-character chunks, n=${texts.length})`,
  );

  // Retrieval at scale: random unit vectors fill the collection (their meaning does not
  // matter for latency), queries are real embedded questions.
  const name = `bench-${randomUUID()}`;
  const collection = await openWikiCollection(h.config.chromaUrl, { name, dimensions: embedder.dimensions });
  for (let start = 0; start < RETRIEVAL_CHUNKS; start += 1000) {
    const ids = Array.from({ length: Math.min(1000, RETRIEVAL_CHUNKS - start) }, (_, i) => `c${start + i}`);
    await collection.add({
      ids,
      embeddings: ids.map(() => randomUnitVector(embedder.dimensions)),
      documents: ids.map(
        (id, i) => `${chunk(start + i)} ${FILLER_WORDS[(start + i) % FILLER_WORDS.length]} ${id}`,
      ),
      metadatas: ids.map((id) => ({
        source_url: `http://bench/${id}`,
        title: id,
        section: '',
        chunk_index: 0,
        crawl_id: 'bench',
      })),
    });
  }
  const queryOnly: number[] = [];
  const embedAndQuery: number[] = [];
  for (let i = 0; i < QUERIES; i++) {
    const question = questions[i % questions.length]?.question ?? 'chicken fight';
    const t0 = performance.now();
    const [vector] = await embedder.embed([question]);
    const t1 = performance.now();
    await queryChunks(collection, vector as number[], { k: 3 });
    const t2 = performance.now();
    queryOnly.push(t2 - t1);
    embedAndQuery.push(t2 - t0);
  }
  report(`retrieval at ${await collection.count()} chunks, Chroma query (k=3)`, queryOnly);
  report(`retrieval at ${await collection.count()} chunks, embed question + query`, embedAndQuery);

  const heapBefore = process.memoryUsage().heapUsed;
  const buildStarted = performance.now();
  const lexical = createLexicalIndex({ collection: async () => collection, refreshMs: 0, maxWaitMs: 0 });
  await lexical.warm();
  console.log(
    `lexical index built from Chroma at ${await collection.count()} chunks in ` +
      `${((performance.now() - buildStarted) / 1000).toFixed(2)} s (once per process, then incremental), ` +
      `heap +${((process.memoryUsage().heapUsed - heapBefore) / 2 ** 20).toFixed(0)} MiB`,
  );
  const knowledge = createWikiKnowledge({
    chromaUrl: h.config.chromaUrl,
    collectionName: name,
    modelDir: h.config.embeddingModelDir,
    topK: 3,
    minScore: 0,
  });
  await knowledge.search('warm up', { ...RETRIEVAL_DEFAULTS, minScore: 0 });
  for (const [label, choices] of [
    ['dense only', { ...RETRIEVAL_DEFAULTS, lexical: false, articleCap: null }],
    ['hybrid (default)', RETRIEVAL_DEFAULTS],
  ] as const) {
    const times: number[] = [];
    for (let i = 0; i < QUERIES; i++) {
      const started = performance.now();
      await knowledge.search(questions[i % questions.length]?.question ?? 'chicken fight', {
        ...choices,
        minScore: 0,
      });
      times.push(performance.now() - started);
    }
    report(`retrieval at ${await collection.count()} chunks, whole search, ${label}`, times);
  }
}

/** Words that make the filler chunks differ for the lexical index. */
const FILLER_WORDS = ['clam', 'brewery', 'pledge', 'rupert', 'giggity', 'vader', 'roadhouse', 'surfin'];

function randomUnitVector(dimensions: number): number[] {
  const v = Array.from({ length: dimensions }, () => Math.random() - 0.5);
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}
