import type { ChildProcess } from 'node:child_process';
import type { WikiCrawlWorkflow } from '../../src/workflows/wikiCrawl';
import { replyWorkflowId, type ReplyResult } from '../../src/workflows/contracts/reply';
import { wikiCrawlWorkflowId } from '../../src/workflows/contracts/wikiCrawl';
import { startFixtureWiki } from '../fakes/fixtureWiki';
import { waitFor } from '../fakes/waitFor';
import { startHarness, type Harness } from './harness';
import { kill, startWorkerProcess } from './processes';

let h: Harness;
const workers: ChildProcess[] = [];

/** A real worker process (src/worker.ts, as production runs it), ready once it polls. */
async function startWorker(): Promise<ChildProcess> {
  const child = await startWorkerProcess(h.workerEnv);
  workers.push(child);
  return child;
}

beforeAll(async () => {
  h = await startHarness({ worker: false });
});

afterAll(async () => {
  await Promise.all(workers.map(kill));
  await h?.stop();
});

it('delivers a reply exactly once when the worker is killed while waiting on the LLM', async () => {
  h.ollama.hold();
  h.ollama.reply('Blast! I was rudely interrupted.');
  const first = await startWorker();

  const message = await h.discord.userSays({
    channelId: h.channelId,
    content: 'Stewie, what are you plotting?',
  });
  await h.ollama.waitForHeld(1, 30_000);
  await kill(first);
  h.ollama.release(); // later calls answer at once; the held one's client is gone

  await startWorker();
  const result: ReplyResult = await h.temporal.workflow
    .getHandle(replyWorkflowId(message.id, 'Stewie'))
    .result();

  const replies = h.discord.botMessages().filter((m) => m.message_reference?.message_id === message.id);
  expect(replies.map((m) => [m.author.id, m.content])).toEqual([
    [h.botUsers.Stewie.id, 'Blast! I was rudely interrupted.'],
  ]);
  expect(result).toMatchObject({
    usedFallback: false,
    deliveredMessageIds: [replies[0]?.id],
    deadLetterIds: [],
  });
  // The LLM was asked twice: once by the killed worker, once by its successor.
  expect(h.ollama.requests.filter((r) => r.body.messages?.at(-1)?.content === message.content)).toHaveLength(
    2,
  );
  const turns = await h.store.conversationHistory.collection.find({ channel_id: h.channelId }).toArray();
  expect(turns.map((t) => t.speaker_type).sort()).toEqual(['BOT', 'USER']);
});

it('finishes a crawl whose worker was killed mid-way, without refetching finished pages or duplicating chunks', async () => {
  const wiki = await startFixtureWiki();
  try {
    const first = await startWorker();
    const crawlId = `kill-${Date.now()}`;
    const handle = await h.temporal.workflow.start<typeof WikiCrawlWorkflow>('WikiCrawlWorkflow', {
      taskQueue: h.config.taskQueue,
      workflowId: wikiCrawlWorkflowId(crawlId),
      args: [{ crawlId, baseUrl: wiki.url, maxPages: 1000, delayMs: 100, seedTitles: [] }],
    });
    await waitFor(() => wiki.pageRequests().length >= 8, { timeoutMs: 60_000, what: 'eight pages fetched' });
    await kill(first);
    await startWorker();
    const result = await handle.result();

    expect(result).toMatchObject({ state: 'SUCCESS', pagesDone: wiki.articleTitles.length, failed: 0 });
    const counts = new Map<string, number>();
    for (const { path } of wiki.pageRequests()) counts.set(path, (counts.get(path) ?? 0) + 1);
    const expected = (path: string) => (path === wiki.flakyPath ? 3 : 1);
    // Only the page in flight when the worker died may be fetched again.
    const refetched = [...counts].filter(([path, count]) => count > expected(path));
    expect(refetched.length).toBeLessThanOrEqual(1);
    expect(refetched.every(([path, count]) => count === expected(path) + 1)).toBe(true);
    expect(await (await h.knowledge.collection()).count()).toBe(result.chunksAdded);
  } finally {
    await wiki.close();
  }
});
