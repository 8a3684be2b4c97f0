import { randomUUID } from 'node:crypto';
import { upsertPageChunks } from '../src/knowledge/chromaChunks';
import { chunkArticle, type ChunkOptions } from '../src/knowledge/chunking';
import { parseArticle } from '../src/knowledge/wikiPage';
import {
  createWikiKnowledge,
  RETRIEVAL_DEFAULTS,
  type RetrievalChoices,
  type WikiKnowledge,
} from '../src/knowledge/wikiKnowledge';
import type { WikiCrawlWorkflow } from '../src/workflows/wikiCrawl';
import { wikiCrawlWorkflowId } from '../src/workflows/contracts/wikiCrawl';
import type { Harness } from '../test/e2e/harness';
import { startFixtureWiki } from '../test/fakes/fixtureWiki';
import { articles } from '../test/fixtures/wiki/articles';
import * as questionSets from '../test/fixtures/wiki/questions';
import type { WikiQuestion } from '../test/fixtures/wiki/questions';
import { renderArticlePage } from '../test/fixtures/wiki/render';
import { report } from './stats';

type Choices = Omit<RetrievalChoices, 'minScore'>;

/** Each retrieval choice measured on its own and in the default combination. */
const VARIANTS: Array<[string, Choices]> = [
  ['dense only', { ...RETRIEVAL_DEFAULTS, lexical: false, articleCap: null }],
  ['lexical (BM25) only', { ...RETRIEVAL_DEFAULTS, dense: false, articleCap: null, lexicalMinTerms: 1 }],
  ['hybrid (RRF)', { ...RETRIEVAL_DEFAULTS, articleCap: null, lexicalMinTerms: 1 }],
  ['dense + article cap', { ...RETRIEVAL_DEFAULTS, lexical: false }],
  ['lexical + article cap', { ...RETRIEVAL_DEFAULTS, dense: false, lexicalMinTerms: 1 }],
  ['hybrid + article cap', { ...RETRIEVAL_DEFAULTS, lexicalMinTerms: 1 }],
  ['hybrid + cap + 2 shared terms', RETRIEVAL_DEFAULTS],
];

/** Minimum cosine scores measured for every variant (RAG_MIN_SCORE; the default is the first). */
const MIN_SCORES = [0.25, 0.3, 0.2];
/** Chunk sizes (overlap a fifth) measured with the default retrieval. */
const CHUNK_SIZES = [1000, 600, 400];

const QUESTION_SETS: Array<[string, readonly WikiQuestion[]]> = [
  ['casual', questionSets.questions],
  ['paraphrased', questionSets.paraphrasedQuestions],
  ['no shared word', questionSets.noSharedWordQuestions],
];

/**
 * Retrieval quality on the fixture wiki (real MiniLM, real Chroma): for each question set, how many
 * questions have their answer article as the first snippet (recall@1) or among the first three
 * (recall@3), and how many snippets small talk gets (noise in the prompt), side by side per variant.
 * The method variants run on the collection the crawl workflow wrote; the chunking ones on collections
 * indexed here from the same parsed pages. Then latency.
 */
export async function benchRetrieval(h: Harness): Promise<void> {
  await crawlFixtureWiki(h);
  const minScore = h.config.ragMinScore;
  console.log(
    `retrieval quality, top ${h.config.ragTopK} snippets; recall@1 / recall@3 per question set, ` +
      'and snippets per small-talk message:',
  );
  for (const gate of MIN_SCORES) {
    console.log(`min cosine ${gate}${gate === minScore ? ' (RAG_MIN_SCORE)' : ''}:`);
    for (const [name, choices] of VARIANTS)
      await printRecall(name, h.knowledge, { ...choices, minScore: gate });
  }
  console.log(`chunking (defaults, min cosine ${minScore}):`);
  for (const size of CHUNK_SIZES) {
    const knowledge = await indexFixtureArticles(h, { size, overlap: size / 5, titled: true });
    await printRecall(`${size} characters, titled`, knowledge, { ...RETRIEVAL_DEFAULTS, minScore });
  }
  const untitled = await indexFixtureArticles(h, { titled: false });
  await printRecall('1000 characters, untitled', untitled, { ...RETRIEVAL_DEFAULTS, minScore });

  const allQuestions = QUESTION_SETS.flatMap(([, questions]) => questions);
  for (const [name, choices] of [VARIANTS[0], VARIANTS[VARIANTS.length - 1]].flatMap((v) => (v ? [v] : []))) {
    const times: number[] = [];
    for (const { question } of allQuestions) {
      const started = performance.now();
      await h.knowledge.search(question, { ...choices, minScore });
      times.push(performance.now() - started);
    }
    report(`retrieval latency (embed, search, fuse), ${name}`, times);
  }
}

async function crawlFixtureWiki(h: Harness): Promise<void> {
  const wiki = await startFixtureWiki({ failTimes: {} });
  try {
    const crawlId = `bench-${randomUUID().slice(0, 8)}`;
    await h.temporal.workflow.execute<typeof WikiCrawlWorkflow>('WikiCrawlWorkflow', {
      taskQueue: h.config.taskQueue,
      workflowId: wikiCrawlWorkflowId(crawlId),
      args: [{ crawlId, baseUrl: wiki.url, maxPages: 1000, delayMs: 0, seedTitles: [] }],
    });
  } finally {
    await wiki.close();
  }
}

/** A fresh collection of the fixture articles, parsed as the crawler does and chunked with `options`. */
async function indexFixtureArticles(
  h: Harness,
  options: ChunkOptions & { titled: boolean },
): Promise<WikiKnowledge> {
  const knowledge = createWikiKnowledge({
    chromaUrl: h.config.chromaUrl,
    collectionName: `bench-chunking-${randomUUID()}`,
    modelDir: h.config.embeddingModelDir,
    topK: h.config.ragTopK,
    minScore: h.config.ragMinScore,
  });
  const embedder = await knowledge.embedder();
  const origin = 'http://wiki.invalid';
  for (const article of articles) {
    const url = `${origin}/wiki/${article.title}`;
    const page = parseArticle(renderArticlePage(article, { origin }), url);
    const chunks = chunkArticle(page.sections, {
      size: options.size,
      overlap: options.overlap,
      title: options.titled ? page.title : undefined,
    });
    const embeddings = await embedder.embed(chunks.map((chunk) => chunk.text));
    await upsertPageChunks(await knowledge.collection(), {
      url,
      title: page.title,
      crawlId: 'bench',
      chunks,
      embeddings,
    });
  }
  return knowledge;
}

async function printRecall(name: string, knowledge: WikiKnowledge, choices: RetrievalChoices): Promise<void> {
  const cells: string[] = [];
  for (const [setName, questions] of QUESTION_SETS) {
    let at1 = 0;
    let at3 = 0;
    for (const { question, article } of questions) {
      const hits = await knowledge.search(question, choices);
      const titles = hits.map((hit) => decodeURIComponent(hit.source_url.split('/wiki/')[1] ?? ''));
      if (titles[0] === article) at1++;
      if (titles.slice(0, 3).includes(article)) at3++;
    }
    cells.push(`${setName} (${questions.length}) ${percent(at1, questions)} / ${percent(at3, questions)}`);
  }
  let noise = 0;
  for (const message of questionSets.smallTalk) noise += (await knowledge.search(message, choices)).length;
  cells.push(`small talk ${(noise / questionSets.smallTalk.length).toFixed(2)}`);
  console.log(`  ${name.padEnd(32)} ${cells.join('   ')}`);
}

function percent(count: number, questions: readonly WikiQuestion[]): string {
  return `${count} (${((100 * count) / questions.length).toFixed(1)}%)`;
}
