/**
 * The dashboard's data API on the real local stack (a worker, the bots on the fake Discord, the admin
 * server, the fixture wiki crawled into Chroma): the overview's replies per hour after the metric fold,
 * each bot's gateway status, the prompt page's series for two versions and a challenger's share,
 * conversations with their bot turns' versions and snippets, the playground (two characters, QC,
 * snippets, a USER_SUBMITTED rating), crawl history and the organic channels.
 */
import { QC_SYSTEM_INTRO } from '../../src/llm/qcPrompt';
import { ensureOrganicSchedules } from '../../src/organic/schedules';
import { ensureMetricsFoldSchedule } from '../../src/schedules/metricsFold';
import { sessionIdFor } from '../../src/store/sessionId';
import { metricsFoldScheduleId } from '../../src/workflows/contracts/metrics';
import { organicScheduleId } from '../../src/workflows/contracts/organic';
import { replyWorkflowId } from '../../src/workflows/contracts/reply';
import type { GenerationBody } from '../fakes/scriptedOllama';
import { startFixtureWiki, type FixtureWiki } from '../fakes/fixtureWiki';
import { waitFor } from '../fakes/waitFor';
import { startHarness, type Harness } from './harness';

const TOKEN = 'dashboard-api-test-token';
let h: Harness;
let wiki: FixtureWiki;
let admin: Awaited<ReturnType<Harness['startAdmin']>>;
const organicChannels: string[] = [];

/** Replies in character that pass the QC rules, and a reviewer that gives 4. */
const LINES: Record<string, string> = {
  Peter: 'Hehehe, that chicken and me go way back, it always ends in a huge fight.',
  Brian: 'Well, actually, that feud is a searing commentary on suburban masculinity.',
  Stewie: 'Blast! Another tedious tale of the fat man and his poultry nemesis.',
};

function scriptedModel(body: GenerationBody): string {
  const system = body.messages?.[0]?.content ?? '';
  if (system.startsWith(QC_SYSTEM_INTRO)) return JSON.stringify({ score: 4, justification: 'in character' });
  // The character the prompt is for is named first ("You are Brian Griffin ... Peter ...").
  const named = Object.keys(LINES).filter((name) => system.includes(name));
  const speaker = named.sort((a, b) => system.indexOf(a) - system.indexOf(b))[0] ?? 'Peter';
  return LINES[speaker] as string;
}

beforeAll(async () => {
  h = await startHarness({ env: { QC_ENABLED: 'true', QC_MIN_SCORE: '3' } });
  h.ollama.reply(scriptedModel);
  wiki = await startFixtureWiki();
  admin = await h.startAdmin(TOKEN);
  await ensureMetricsFoldSchedule(h.temporal, { taskQueue: h.config.taskQueue });
});

afterAll(async () => {
  const schedules = [metricsFoldScheduleId(h.config.taskQueue), ...organicChannels.map(organicScheduleId)];
  for (const id of schedules) {
    await h?.temporal.schedule
      .getHandle(id)
      .delete()
      .catch(() => undefined);
  }
  await admin?.close();
  await wiki?.close();
  await h?.stop();
});

/** The answers' shapes, as far as the tests read them. */
interface Snippet {
  title: string;
  url: string;
  text: string;
}
interface PlaygroundReply {
  character: string;
  text: string;
  response_id: string;
  prompt_version: string;
  snippets: Snippet[];
  latency_ms: number;
}
interface Point {
  day: string;
  qc_count: number;
  qc_avg: number | null;
  user_count: number;
  user_avg: number | null;
}
interface Turn {
  turn_id: number;
  role: string;
  rag_context_used: Snippet[];
}
type Health = Record<string, { ok: boolean; error?: string }>;
interface Overview {
  health: Health;
  replies_per_hour: Array<{ hour: string; replies: number; fallbacks: number }>;
  replies: number;
}
interface Channel {
  channel_id: string;
  last_starter: { character: string; at: string } | null;
  last_check_at: string | null;
  next_action_times: string[];
}

/** A call of the admin API; `T` is what a test reads of the answer (an error answer is {error}). */
async function call<T = { error?: string; status?: string }>(
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const res = await fetch(`${admin.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as T };
}

/** Runs the metric fold now, as its schedule does every minute, and waits until it folded everything. */
async function fold(): Promise<void> {
  await h.temporal.schedule.getHandle(metricsFoldScheduleId(h.config.taskQueue)).trigger();
  await waitFor(async () => (await h.store.metricEvents.pending()).length === 0, {
    what: 'the metric events folded',
    timeoutMs: 30_000,
  });
}

/** Sends a playground message and waits for every reply to be done. */
async function playground(text: string, characters: string[], sessionId?: string) {
  const sent = await call<{ session_id: string; replies: Array<{ character: string; workflow_id: string }> }>(
    'POST',
    '/playground/messages',
    { text, characters, ...(sessionId && { session_id: sessionId }) },
  );
  expect(sent.status).toBe(202);
  const replies = await Promise.all(
    sent.body.replies.map((started) =>
      waitFor(
        async () => {
          const read = await call<{ status: string; reply?: PlaygroundReply }>(
            'GET',
            `/playground/replies/${started.workflow_id}`,
          );
          expect(read.status).toBe(200);
          return read.body.status === 'done' && read.body.reply;
        },
        { what: `${started.character}'s playground reply`, timeoutMs: 60_000 },
      ),
    ),
  );
  return { sessionId: sent.body.session_id, replies };
}

const rate = (responseId: string | undefined, score: number) =>
  call('POST', '/playground/ratings', { response_id: responseId, score });

describe('the dashboard API', () => {
  it('crawls the fixture wiki and lists the crawl in the history', async () => {
    const started = await call<{ crawl_id: string; workflow_id: string }>('POST', '/load_fandom_wiki', {
      base_url: wiki.url,
      max_pages: 1000,
      delay_ms: 0,
    });
    expect(started.status).toBe(202);
    const crawlId = started.body.crawl_id;
    await waitFor(
      async () => (await call<{ state: string }>('GET', `/crawls/${crawlId}`)).body.state === 'SUCCESS',
      { what: 'the crawl to finish', timeoutMs: 120_000, intervalMs: 500 },
    );
    const history = await call<{ crawls: Array<{ _id: string; pages_crawled: number }> }>(
      'GET',
      '/crawls?limit=5',
    );
    expect(history.status).toBe(200);
    expect(history.body.crawls[0]).toMatchObject({
      _id: crawlId,
      status: 'SUCCESS',
      workflow_id: started.body.workflow_id,
    });
    expect(history.body.crawls[0]?.pages_crawled).toBeGreaterThan(0);
    expect((await call('GET', '/crawls?limit=0')).status).toBe(400);
  });

  it('shows a Discord reply in the overview’s replies per hour once the fold ran, and each bot’s gateway', async () => {
    const message = await h.discord.userSays({
      channelId: h.channelId,
      content: 'Peter, what about the chicken fight?',
    });
    await h.discord.replyTo(message.id);
    await fold();
    const overview = await call<Overview>('GET', '/dashboard/overview');
    expect(overview.status).toBe(200);
    const hours = overview.body.replies_per_hour;
    expect(hours).toHaveLength(48);
    const thisHour = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000).toISOString();
    expect(hours.at(-1)?.hour).toBe(thisHour);
    expect(hours.at(-1)?.replies).toBeGreaterThanOrEqual(1);
    expect(overview.body.replies).toBeGreaterThanOrEqual(1);
    expect(overview.body).toMatchObject({
      fallbacks: 0,
      dead_letters: { PENDING: 0, REPLAYED: 0, DISCARDED: 0 },
      qc_average: 4,
      temporal_ui_url: h.config.temporalUiUrl,
    });
    for (const name of ['Peter', 'Brian', 'Stewie']) {
      expect(overview.body.health[`discord:${name}`]).toMatchObject({ ok: true, detail: 'ready' });
    }
  });

  it('lists conversations and pages a channel’s turns, a bot turn with its version, QC and wiki snippets', async () => {
    const session = sessionIdFor(h.channelId);
    const sessions = await call<{ sessions: Array<{ session_id: string }> }>(
      'GET',
      '/conversations?limit=10',
    );
    expect(sessions.body.sessions.find((s) => s.session_id === session)).toMatchObject({
      channel_id: h.channelId,
      turns: 2,
    });

    const turnsOf = (query: string) =>
      call<{ turns: Turn[]; next_before: string | null }>(
        'GET',
        `/conversations/${encodeURIComponent(session)}/turns?${query}`,
      );
    const page = await turnsOf('limit=1');
    expect(page.status).toBe(200);
    const [bot] = page.body.turns;
    expect(bot).toMatchObject({
      turn_id: 2,
      role: 'bot',
      character: 'Peter',
      text: LINES.Peter,
      prompt_version: 'v1.0',
      qc: { score: 4, passed: true, method: 'llm' },
      raw_text: LINES.Peter,
      final_text: LINES.Peter,
      used_fallback: false,
    });
    const snippets = bot?.rag_context_used ?? [];
    expect(snippets.length).toBeGreaterThan(0);
    expect(snippets[0]?.url).toContain(`${wiki.url}/wiki/`);
    expect(snippets.map((snippet) => snippet.title)).toContain('Ernie the Giant Chicken');
    expect(page.body.next_before).toBe('2');

    const older = await turnsOf(`limit=5&before=${page.body.next_before}`);
    expect(older.body).toEqual({
      turns: [
        expect.objectContaining({ turn_id: 1, role: 'user', text: 'Peter, what about the chicken fight?' }),
      ],
      next_before: null,
    });
    expect((await turnsOf('before=yesterday')).status).toBe(400);
  });

  let firstSession = '';
  let firstPeterReply: PlaygroundReply | undefined;

  it('answers a playground message from two characters through ReplyWorkflow, with QC, snippets and latency', async () => {
    const { sessionId, replies } = await playground('what about the chicken fight?', ['peter', 'Brian']);
    expect(sessionId).toMatch(/^web:/);
    expect(replies.map((reply) => reply.character).sort()).toEqual(['Brian', 'Peter']);
    for (const reply of replies) {
      expect(reply).toMatchObject({
        text: LINES[reply.character],
        prompt_version: 'v1.0',
        qc: { score: 4, passed: true },
        used_fallback: false,
      });
      expect(reply.snippets.length).toBeGreaterThan(0);
      expect(reply.latency_ms).toBeGreaterThan(0);
    }
    // Stored as a session of its own (the user's turn once), posted nowhere.
    const turns = await h.store.conversationHistory.collection
      .find({ session_id: sessionId })
      .sort({ turn_id: 1 })
      .toArray();
    expect(turns.map((turn) => turn.speaker_type)).toEqual(['USER', 'BOT', 'BOT']);
    expect(h.discord.botMessages().filter((m) => m.content === LINES.Brian)).toEqual([]);
    firstSession = sessionId;
    firstPeterReply = replies.find((reply) => reply.character === 'Peter');
  });

  it('rates a playground reply as a USER_SUBMITTED rating, one per session and reply', async () => {
    const responseId = firstPeterReply?.response_id;
    expect(await rate(responseId, 5)).toEqual({
      status: 200,
      body: expect.objectContaining({ status: 'recorded', character: 'Peter', score: 5 }) as unknown,
    });
    expect((await rate(responseId, 4)).body.status).toBe('updated');
    const ratings = await h.store.fineTuningData.collection
      .find({ response_id: responseId, rating_type: 'USER_SUBMITTED' })
      .toArray();
    expect(ratings).toEqual([
      expect.objectContaining({ rating_score: 4, rated_by: firstSession, prompt_version_used: 'v1.0' }),
    ]);
    expect((await rate('reply-web-nope-peter', 3)).status).toBe(404);
    expect((await rate(responseId, 6)).status).toBe(400);
    // A Discord reply is not the playground's to rate.
    const discordMessage = await h.store.conversationHistory.collection.findOne({
      session_id: sessionIdFor(h.channelId),
      speaker_type: 'USER',
    });
    const discordReply = replyWorkflowId(discordMessage?.original_message_id ?? '', 'Peter');
    expect((await rate(discordReply, 3)).status).toBe(404);
    // It is read back like a playground reply, though (the dead-letters page shows a replay's reply).
    expect(await call('GET', `/playground/replies/${discordReply}`)).toMatchObject({
      status: 200,
      body: { status: 'done', reply: { character: 'Peter', used_fallback: false } },
    });
    expect((await call('GET', '/playground/replies/reply-nope-peter')).status).toBe(404);
  });

  it('sets a challenger’s share, and the prompt series shows both versions’ ratings per day', async () => {
    const share = (version: string, percentage: number) =>
      call<{ error?: string; prompt_version: string; change_log: unknown[] }>(
        'POST',
        '/prompts/Peter/share',
        {
          version,
          ab_test_percentage: percentage,
        },
      );
    const created = await call('POST', '/prompts/Peter', {
      prompt_version: 'v2.0',
      prompt_text: 'You are Peter Griffin, louder.',
    });
    expect(created.status).toBe(201);
    expect((await share('v1.0', 10)).status).toBe(409); // the default
    const shared = await share('v2.0', 100);
    expect(shared.body).toMatchObject({ prompt_version: 'v2.0', ab_test_percentage: 100 });
    expect(shared.body.change_log.at(-1)).toMatchObject({ action: 'traffic', ab_test_percentage: 100 });
    await call('POST', '/prompts/Peter', { prompt_version: 'v3.0', prompt_text: 'You are Peter, quieter.' });
    expect(await share('v3.0', 1)).toEqual({
      status: 400,
      body: { error: expect.stringContaining('already take 100%') as unknown },
    });
    expect((await share('v9', 1)).status).toBe(404);

    // Every new session gets the challenger now.
    const { replies } = await playground('Peter, tell me about the chicken', ['Peter']);
    expect(replies[0]?.prompt_version).toBe('v2.0');
    expect((await rate(replies[0]?.response_id, 2)).status).toBe(200);
    await fold();

    const series = await call<{ versions: Array<{ version: string; points: Point[] }> }>(
      'GET',
      '/dashboard/prompts/Peter/series?days=7',
    );
    expect(series.status).toBe(200);
    const today = new Date().toISOString().slice(0, 10);
    const points = new Map(series.body.versions.map((v) => [v.version, v.points]));
    expect([...points.keys()]).toEqual(['v1.0', 'v2.0', 'v3.0']);
    expect(points.get('v1.0')).toEqual([
      expect.objectContaining({ day: today, user_count: 1, user_avg: 4, qc_avg: 4 }),
    ]);
    // The Discord reply's assessment and the playground reply's.
    expect(points.get('v1.0')?.[0]?.qc_count).toBe(2);
    expect(points.get('v2.0')).toEqual([{ day: today, qc_count: 1, qc_avg: 4, user_count: 1, user_avg: 2 }]);
    expect(points.get('v3.0')).toEqual([]);
    expect((await call('GET', '/dashboard/prompts/Nobody/series')).status).toBe(404);
  });

  it('lists the organic channels with their last check and last starter', async () => {
    const channelId = h.discord.createTextChannel('organic-dashboard');
    organicChannels.push(channelId);
    await ensureOrganicSchedules(h.temporal, {
      taskQueue: h.config.taskQueue,
      channelIds: [channelId],
      settings: { silenceSeconds: 1, cooldownSeconds: 600, quietHoursUtc: null, checkSeconds: 3600 },
    });
    expect((await call('POST', `/organic/${channelId}/trigger`)).status).toBe(202);
    const listed = await waitFor(
      async () => {
        const { body } = await call<{ channels: Channel[] }>('GET', '/organic');
        const channel = body.channels.find((c) => c.channel_id === channelId);
        return channel?.last_starter && channel;
      },
      { what: 'the organic start listed', timeoutMs: 60_000, intervalMs: 250 },
    );
    expect(listed).toMatchObject({
      paused: false,
      settings: { silence_seconds: 1, cooldown_seconds: 600, check_seconds: 3600, quiet_hours_utc: null },
      last_starter: { character: expect.stringMatching(/^(Peter|Brian|Stewie)$/) as unknown },
    });
    expect(listed.last_check_at).toEqual(expect.any(String));
    expect(listed.next_action_times.length).toBeGreaterThan(0);
  });

  it('shows a bot that stopped as not ok', async () => {
    const before = await call<Overview>('GET', '/dashboard/overview');
    expect(before.body.health['discord:Stewie']?.ok).toBe(true);
    await h.store.gatewayStatus.record({
      character: 'Stewie',
      shard_id: 0,
      shard_count: 1,
      status: 'stopped',
      ping_ms: null,
    });
    const after = await call<Overview>('GET', '/dashboard/overview');
    expect(after.body.health['discord:Stewie']).toMatchObject({ ok: false, error: 'shard 0: stopped' });
  });
});
