/**
 * Every page of the dashboard in a real Chromium, doing what an admin does there, against the whole reply
 * path (e2e harness: real worker and bots on the test stack, scripted Ollama, fake Discord) and the fixture
 * wiki. Each test signs in on a fresh browser context; the page must log no error and break no CSP rule
 * (test/browser/browser.ts). Names are the accessible ones dashboard/README.md lists. Characters are kept
 * apart so the tests do not depend on each other: Peter's prompt versions change, Brian is dead-lettered,
 * Stewie talks in the playground and the conversations.
 */
import type { Browser, Locator } from 'playwright-core';
import { ensureOrganicSchedules } from '../../src/organic/schedules';
import { QC_SYSTEM_INTRO } from '../../src/llm/qcPrompt';
import { sessionIdFor } from '../../src/store/sessionId';
import { wikiCrawlWorkflowId } from '../../src/workflows/contracts/wikiCrawl';
import { organicScheduleId } from '../../src/workflows/contracts/organic';
import { startHarness, type Harness } from '../e2e/harness';
import { startFixtureWiki, type FixtureWiki } from '../fakes/fixtureWiki';
import type { GenerationBody } from '../fakes/scriptedOllama';
import { waitFor } from '../fakes/waitFor';
import { goTo, launchChromium, openTab, screenshot, signIn, textOf as textWithin, type Tab } from './browser';
import { startDashboard, type Dashboard } from './dashboard';

const TOKEN = 'browser-pages-test-token';
/** How long a page may take to show what a workflow does (a crawl, a reply with its retries). */
const WORKFLOW_MS = 90_000;
const WIKI_QUESTION = 'Why does Peter keep fighting that giant chicken? How did it start?';

let h: Harness;
let wiki: FixtureWiki;
let dashboard: Dashboard;
let browser: Browser;
let tab: Tab;
const organicChannels: string[] = [];

/** The scripted model: every QC review scores 4, every reply is `text`. */
function modelSays(text: string): void {
  h.ollama.reply((body: GenerationBody) =>
    body.messages?.[0]?.content.startsWith(QC_SYSTEM_INTRO)
      ? JSON.stringify({ score: 4, justification: 'in character' })
      : text,
  );
}

beforeAll(async () => {
  h = await startHarness({ env: { QC_ENABLED: 'true', QC_MIN_SCORE: '3' } });
  modelSays('Freakin sweet.');
  wiki = await startFixtureWiki();
  dashboard = await startDashboard(h, TOKEN);
  browser = await launchChromium();
});

beforeEach(async () => {
  tab = await openTab(browser, dashboard.url);
  await signIn(tab.page, TOKEN);
});

afterEach(async () => {
  h.ollama.recover();
  modelSays('Freakin sweet.');
  await tab?.close();
});

afterAll(async () => {
  for (const channelId of organicChannels) {
    await h.temporal.schedule
      .getHandle(organicScheduleId(channelId))
      .delete()
      .catch(() => undefined);
  }
  await browser?.close();
  await dashboard?.close();
  await wiki?.close();
  await h?.stop();
});

/** What a workflow-driven page shows, once the workflow behind it has done its part. */
const textOf = (locator: Locator, pattern: RegExp, timeoutMs = WORKFLOW_MS) =>
  textWithin(locator, pattern, timeoutMs);

/** The admin API with the bearer token, as the CLI calls it (to set up what a test needs). */
async function adminApi(method: 'GET' | 'POST', path: string, body?: unknown) {
  const res = await fetch(`${dashboard.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** The fixture wiki is indexed (a crawl through Temporal, once), so replies can use its snippets. */
let wikiIndexed: Promise<void> | undefined;
function ensureWikiIndexed(): Promise<void> {
  wikiIndexed ??= (async () => {
    if ((await (await h.knowledge.collection()).count()) > 0) return;
    const crawlId = `browser-setup-${Date.now()}`;
    const result = await h.temporal.workflow.execute('WikiCrawlWorkflow', {
      taskQueue: h.config.taskQueue,
      workflowId: wikiCrawlWorkflowId(crawlId),
      args: [{ crawlId, baseUrl: wiki.url, maxPages: 100, delayMs: 0, seedTitles: [] }],
    });
    expect(result).toMatchObject({ state: 'SUCCESS' });
  })();
  return wikiIndexed;
}

describe('crawls', () => {
  it('starts a crawl of the fixture wiki and shows its progress bar reach done, then lists it in the history', async () => {
    const { page } = tab;
    await goTo(page, 'Crawls');
    const form = page.getByRole('form', { name: 'Start a crawl' });
    await form.getByLabel('Base URL').fill(wiki.url);
    await form.getByLabel('Max pages').fill('50');
    // Long enough between pages that the crawl is seen running (~15 pages) before it is done.
    await form.getByLabel('Delay between pages (ms)').fill('150');
    await form.getByRole('button', { name: 'Start crawl' }).click();
    expect(await textOf(page.getByTestId('crawl-start-outcome'), /Started crawl/)).toMatch(/Started crawl/);

    const progress = page.getByTestId('crawl-progress');
    const bar = progress.getByRole('progressbar', { name: 'Crawl progress' });
    const status = progress.getByTestId('crawl-progress-text');
    const seen: string[] = [];
    await waitFor(
      async () => {
        const text = (await status.textContent()) ?? '';
        if (seen.at(-1) !== text) seen.push(text);
        return /^(SUCCESS|FAILED|CANCELLED)/.test(text);
      },
      { timeoutMs: WORKFLOW_MS, intervalMs: 100, what: 'the crawl to end on the page' },
    );
    expect(seen.some((text) => text.startsWith('RUNNING'))).toBe(true);
    const [value, max] = await bar.evaluate((el: { value: number; max: number }) => [el.value, el.max]);
    expect(value).toBe(max);
    await screenshot(page, 'crawls');

    const crawlId = (await progress.getByRole('heading').textContent())?.replace(/^Crawl /, '') ?? '';
    const stored = await h.store.ragCrawlStatus.find(crawlId);
    const articles = wiki.articleTitles.length;
    expect(stored).toMatchObject({ status: 'SUCCESS', pages_crawled: articles });
    expect(seen.at(-1)).toBe(
      `SUCCESS: ${articles} of 50 pages, ${stored?.documents_added} chunks, 0 failures`,
    );
    const history = page.getByRole('table', { name: 'Crawl history' });
    const row = history
      .getByRole('row')
      .filter({ has: page.getByRole('button', { name: `Watch ${crawlId}` }) });
    expect(await textOf(row, /SUCCESS/)).toContain(String(stored?.documents_added));
  });

  it('pauses, resumes and cancels a crawl from the page', async () => {
    const { page } = tab;
    await goTo(page, 'Crawls');
    const form = page.getByRole('form', { name: 'Start a crawl' });
    await form.getByLabel('Base URL').fill(wiki.url);
    await form.getByLabel('Max pages').fill('50');
    await form.getByLabel('Delay between pages (ms)').fill('2000'); // slow enough to steer
    await form.getByRole('button', { name: 'Start crawl' }).click();
    const progress = page.getByTestId('crawl-progress');
    const status = progress.getByTestId('crawl-progress-text');
    await textOf(status, /^RUNNING/);
    const crawlId = (await progress.getByRole('heading').textContent())?.replace(/^Crawl /, '') ?? '';

    await progress.getByRole('button', { name: 'Pause' }).click();
    await textOf(status, /^PAUSED/);
    expect(await progress.getByRole('button', { name: 'Resume' }).isEnabled()).toBe(true);
    await progress.getByRole('button', { name: 'Resume' }).click();
    await textOf(status, /^RUNNING/);
    await progress.getByRole('button', { name: 'Cancel' }).click();
    expect(await textOf(status, /^CANCELLED/)).toMatch(/^CANCELLED: \d+ of 50 pages/);
    const result = await h.temporal.workflow.getHandle(wikiCrawlWorkflowId(crawlId)).result();
    expect(result).toMatchObject({ state: 'CANCELLED' });
  });
});

describe('dead letters', () => {
  it('replays a reply that failed on the LLM from the page, and shows the reply it then got', async () => {
    h.ollama.failAll(500);
    const failed = await adminApi('POST', '/orchestrate', {
      query: 'Brian, what are you reading?',
      user: 'browser-user',
      channel: 'browser-dead-letters',
    });
    expect(failed.body).toMatchObject({ character: 'Brian', used_fallback: true });
    const [id] = failed.body.dead_letter_ids as string[];
    h.ollama.recover();
    modelSays('Proust, obviously. In the original French.');

    const { page } = tab;
    await goTo(page, 'Dead letters');
    const table = page.getByRole('table', { name: 'Dead letters' });
    await table.getByRole('button', { name: `Inspect ${id}` }).click();
    const detail = page.getByTestId('dead-letter-detail');
    expect(await textOf(detail.getByTestId('dead-letter-status'), /PENDING/)).toBe('PENDING');
    expect(await detail.getByLabel('Error details').textContent()).toMatch(
      /generateReply: .*llama runner process has terminated/,
    );

    await detail.getByRole('button', { name: 'Replay' }).click();
    expect(await textOf(detail.getByTestId('dead-letter-outcome'), /Replayed/)).toMatch(/REPLAYED/);
    expect(await textOf(detail.getByTestId('dead-letter-status'), /REPLAYED/)).toBe('REPLAYED');
    expect(await textOf(detail.getByTestId('replay-reply'), /Reply from/)).toBe(
      'Reply from Brian: Proust, obviously. In the original French.',
    );
    expect(await h.store.deadLetterQueue.collection.findOne({ _id: id })).toMatchObject({
      status: 'REPLAYED',
    });
    await screenshot(page, 'dead-letters');
  });
});

describe('prompt versions', () => {
  it('sets a challenger’s share and promotes it from the page; the charts show both versions', async () => {
    const created = await adminApi('POST', '/prompts/Peter', {
      prompt_version: 'v1.1',
      prompt_text: `${(await h.store.characterPrompts.findVersion('Peter', 'v1.0'))?.prompt_text}\nNever narrate.`,
      ab_test_percentage: 10,
      reason: 'no stage directions',
    });
    expect(created.status).toBe(201);
    // QC scores and user ratings of both versions, as the reply path logs them, folded into the series.
    const day = 24 * 3600 * 1000;
    const ratings: Array<[string, number, number]> = [
      ['v1.0', 2, 2],
      ['v1.0', 3, 1],
      ['v1.1', 4, 1],
      ['v1.1', 5, 0],
    ];
    for (const [i, [version, score, daysAgo]] of ratings.entries()) {
      for (const type of ['QC_AUTOMATED', 'USER_SUBMITTED'] as const) {
        await h.store.fineTuningData.record({
          _id: `browser:${version}:${type}:${i}`,
          response_id: `browser-reply-${i}`,
          rating_type: type,
          rating_score: score,
          feedback_text: '',
          rated_by: type === 'QC_AUTOMATED' ? 'qc_module' : `user-${i}`,
          timestamp: new Date(Date.now() - daysAgo * day),
          prompt_version_used: version,
          character_name: 'Peter',
        });
      }
    }
    await h.store.metricTotals.fold();

    const { page } = tab;
    await goTo(page, 'Prompt versions');
    await page.getByLabel('Character', { exact: true }).selectOption('Peter');
    const challenger = page.getByTestId('version-v1.1');
    expect(await textOf(challenger.getByTestId('version-status'), /challenger/)).toBe('challenger');

    await challenger.getByLabel('A/B share of v1.1 (%)').fill('30');
    await challenger.getByRole('button', { name: 'Set share of v1.1' }).click();
    await textOf(page.getByTestId('prompt-outcome'), /30/);
    expect(await h.store.characterPrompts.findVersion('Peter', 'v1.1')).toMatchObject({
      ab_test_percentage: 30,
    });

    await challenger.getByRole('button', { name: 'Promote v1.1' }).click();
    await textOf(page.getByTestId('prompt-outcome'), /v1\.1/);
    expect(await textOf(challenger.getByTestId('version-status'), /default/)).toBe('default');
    expect(await textOf(page.getByTestId('version-v1.0').getByTestId('version-status'), /inactive/)).toBe(
      'inactive',
    );
    expect((await h.store.characterPrompts.findDefault('Peter'))?.prompt_version).toBe('v1.1');

    // Both versions in each chart: in its legend (what one sees) and in the numbers behind it.
    for (const [testid, table] of [
      ['chart-qc', 'QC score per version, numbers'],
      ['chart-user', 'User rating per version, numbers'],
    ] as const) {
      const chart = page.getByTestId(testid);
      const legend = (await chart.locator('.u-legend').textContent()) ?? '';
      expect([testid, legend]).toEqual([testid, expect.stringMatching(/v1\.0[\s\S]*v1\.1/)]);
      const rows = chart.getByRole('table', { name: table }).getByRole('row');
      const versions = await rows.locator('th[scope=row]').allTextContents();
      expect([testid, [...new Set(versions)].sort()]).toEqual([testid, ['v1.0', 'v1.1']]);
    }
    await screenshot(page, 'prompts');
  });
});

describe('playground', () => {
  it('answers a message through ReplyWorkflow, with its QC score, prompt version and wiki snippets, and takes a rating', async () => {
    await ensureWikiIndexed();
    modelSays('Ernie? That chicken and I go way back, Lois.');
    const { page } = tab;
    await goTo(page, 'Playground');
    const form = page.getByRole('form', { name: 'Talk to the characters' });
    const characters = form.getByRole('group', { name: 'Characters' });
    for (const name of ['Peter', 'Brian', 'Stewie']) {
      await characters.getByRole('checkbox', { name }).setChecked(name === 'Stewie');
    }
    await form.getByRole('textbox', { name: 'Message' }).fill(WIKI_QUESTION);
    await form.getByRole('button', { name: 'Send' }).click();

    const reply = page.getByRole('article', { name: 'Reply from Stewie' });
    expect(await textOf(reply.getByTestId('reply-text'), /chicken/)).toBe(
      'Ernie? That chicken and I go way back, Lois.',
    );
    expect(await reply.getByTestId('qc').textContent()).toMatch(/passed, score 4/);
    expect(await reply.getByTestId('reply-prompt-version').textContent()).toBe('v1.0');
    expect(await reply.getByTestId('reply-latency').textContent()).toMatch(/^(\d+ ms|\d+(\.\d+)? s)$/);
    const snippets = reply.getByRole('list', { name: 'Wiki snippets' }).getByRole('link');
    expect(await snippets.count()).toBeGreaterThan(0);
    const hrefs = await snippets.evaluateAll((links: Array<{ href: string }>) => links.map((a) => a.href));
    expect(hrefs).toContain(wiki.pageUrl('Ernie_the_Giant_Chicken'));

    const session = (await page.getByTestId('playground-session').textContent()) ?? '';
    const sessionId = /web:[\w-]+/.exec(session)?.[0];
    expect(sessionId).toBeDefined();
    const turn = await h.store.conversationHistory.collection.findOne({
      session_id: sessionId,
      speaker_type: 'BOT',
      bot_name: 'Stewie',
    });
    expect(turn).toMatchObject({ message_content: 'Ernie? That chicken and I go way back, Lois.' });

    await reply
      .getByRole('group', { name: 'Rate this reply' })
      .getByRole('button', { name: 'Rate 4 of 5' })
      .click();
    expect(await textOf(reply.getByTestId('rating-outcome'), /Rated 4 of 5/)).toMatch(/Rated 4 of 5/);
    await waitFor(
      () =>
        h.store.fineTuningData.collection.findOne({
          response_id: turn?.response_id,
          rating_type: 'USER_SUBMITTED',
          rating_score: 4,
        }),
      { what: 'the rating in fine_tuning_data', timeoutMs: WORKFLOW_MS },
    );
    await screenshot(page, 'playground');
  });
});

describe('conversations', () => {
  it("shows a channel's turns with each bot turn's prompt version, QC result, wiki snippets and raw text", async () => {
    await ensureWikiIndexed();
    // The model labels its line and goes on with Brian's: the posted text is the cleaned line.
    modelSays('Stewie: Blast! The giant chicken again. Ernie, you feathered oaf.\nBrian: Stewie, please.');
    const channel = 'browser-conversations';
    const answer = await adminApi('POST', '/orchestrate', {
      query: WIKI_QUESTION,
      user: 'browser-user',
      channel,
      character: 'Stewie',
    });
    expect(answer.body).toMatchObject({ character: 'Stewie', used_fallback: false });
    const sessionId = sessionIdFor(channel);

    const { page } = tab;
    await goTo(page, 'Conversations');
    await page
      .getByRole('table', { name: 'Sessions' })
      .getByRole('button', { name: `Open ${sessionId}` })
      .click();
    const turns = page.getByTestId('session-turns').getByRole('list', { name: 'Turns' });
    const botTurn = turns.getByTestId('turn').filter({ hasText: 'Ernie, you feathered oaf' });
    await botTurn.waitFor();
    expect(await botTurn.textContent()).toMatch(/v1\.0/);
    expect(await botTurn.getByTestId('qc').textContent()).toMatch(/passed, score 4/);
    const hrefs = await botTurn
      .getByRole('list', { name: 'Wiki snippets' })
      .getByRole('link')
      .evaluateAll((links: Array<{ href: string }>) => links.map((a) => a.href));
    expect(hrefs).toContain(wiki.pageUrl('Ernie_the_Giant_Chicken'));
    await botTurn.getByText('Raw and final text').click();
    const [raw, final] = await botTurn.locator('details pre').allTextContents();
    expect(raw).toBe(
      'Stewie: Blast! The giant chicken again. Ernie, you feathered oaf.\nBrian: Stewie, please.',
    );
    expect(final).toBe('Blast! The giant chicken again. Ernie, you feathered oaf.');
    const userTurn = turns.getByTestId('turn').filter({ hasText: WIKI_QUESTION });
    expect(await userTurn.count()).toBe(1);
    await screenshot(page, 'conversations');
  });
});

describe('organic', () => {
  it("shows a channel's organic schedule and pauses and resumes it from the page", async () => {
    const channelId = h.discord.createTextChannel('browser-organic');
    organicChannels.push(channelId);
    await ensureOrganicSchedules(h.temporal, {
      taskQueue: h.config.taskQueue,
      channelIds: [channelId],
      settings: { silenceSeconds: 600, cooldownSeconds: 600, quietHoursUtc: null, checkSeconds: 3600 },
    });
    const { page } = tab;
    await goTo(page, 'Organic');
    const channel = page.getByRole('region', { name: `Channel ${channelId}` });
    expect(await textOf(channel.getByTestId('organic-state'), /active/)).toMatch(/\bactive\b/);
    await screenshot(page, 'organic');

    await channel.getByRole('button', { name: 'Pause' }).click();
    expect(await textOf(channel.getByTestId('organic-state'), /paused/)).toMatch(/\bpaused\b/);
    const schedule = h.temporal.schedule.getHandle(organicScheduleId(channelId));
    expect((await schedule.describe()).state.paused).toBe(true);

    await channel.getByRole('button', { name: 'Resume' }).click();
    expect(await textOf(channel.getByTestId('organic-state'), /active/)).toMatch(/\bactive\b/);
    expect((await schedule.describe()).state.paused).toBe(false);
  });
});

// Last, so its figures and chart (taken for the README) show what the tests before it did.
describe('overview', () => {
  it("shows every dependency's state, and a dependency that goes down", async () => {
    const { page } = tab;
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    const dependencies = page.getByRole('table', { name: 'Dependencies' });
    await dependencies.waitFor();
    // A row per dependency: its name, then the cells state, latency, detail.
    const cells = (name: string) => dependencies.getByTestId(`health-${name}`).getByRole('cell');
    const names = [
      'temporal',
      'mongodb',
      'chroma',
      'ollama',
      'discord:Peter',
      'discord:Brian',
      'discord:Stewie',
    ];
    for (const name of names) {
      expect([name, await textOf(cells(name).first(), /\bok$/)]).toEqual([
        name,
        expect.stringMatching(/\bok$/),
      ]);
    }
    expect(await textOf(page.getByTestId('health-summary'), /All dependencies ok/)).toContain(
      'All dependencies ok.',
    );
    await screenshot(page, 'overview');

    // Ollama loses its model: the overview, which refreshes itself, says so without a reload.
    const model = `${h.config.ollamaModel}:latest`;
    h.ollama.models = h.ollama.models.filter((m) => m !== model);
    try {
      expect(await textOf(cells('ollama').first(), /\bdown$/)).toMatch(/\bdown$/);
      expect(await cells('ollama').last().textContent()).toMatch(/does not have the model scripted/);
      expect(await textOf(page.getByTestId('health-summary'), /Down/)).toContain('Down: ollama.');
    } finally {
      h.ollama.models.push(model);
    }
    expect(await textOf(page.getByTestId('health-summary'), /All dependencies ok/)).toContain(
      'All dependencies ok.',
    );
  });
});
