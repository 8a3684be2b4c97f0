/**
 * BENCH=dashboard: how long each dashboard route takes over HTTP (the admin server of the harness, bearer
 * token) with BENCH_DASHBOARD_TURNS turns (default 100,000, over 500 channels and 30 days) in
 * conversation_history and BENCH_DASHBOARD_RATINGS entries (default 10,000: half QC assessments, half user
 * ratings) in fine_tuning_data, on the stack's FerretDB. The data is written straight into the store's
 * collections (as an older version would have left it), so the first metric fold backfills the totals and
 * the chart series from one scan: timed too, and, as the "before", what computing the charts from the
 * collections at request time (that scan) would cost. Each route is called BENCH_DASHBOARD_CALLS times
 * (default 20) after one warm-up call, 3 times when the warm-up took over a second.
 */
import { randomUUID } from 'node:crypto';
import { botTurnId, userTurnId, type ConversationTurn } from '../src/store/conversationHistory';
import { recentOf, RECENT_TURNS, type ConversationSession } from '../src/store/conversationSessions';
import type { FineTuningEntry } from '../src/store/fineTuningData';
import { scanMetricSeries } from '../src/store/mongo';
import { sessionIdFor } from '../src/store/sessionId';
import type { Harness } from '../test/e2e/harness';
import { report, timed } from './stats';

const TURNS = Number(process.env.BENCH_DASHBOARD_TURNS ?? 100_000);
const RATINGS = Number(process.env.BENCH_DASHBOARD_RATINGS ?? 10_000);
const CALLS = Number(process.env.BENCH_DASHBOARD_CALLS ?? 20);
const SLOW_CALLS = 3;
const CHANNELS = 500;
const DAYS = 30;
const BATCH = 1000;
const TOKEN = `bench-dashboard-${randomUUID()}`;
const CHARACTERS = ['Peter', 'Brian', 'Stewie'] as const;
/** A wiki snippet as a reply keeps it: the documents are as large as real ones. */
const SNIPPET_TEXT = 'Ernie the Giant Chicken — Fights\n'.padEnd(400, ' the fight goes on through Quahog,');

export async function benchDashboard(h: Harness): Promise<void> {
  console.log(`dashboard routes at ${TURNS} turns and ${RATINGS} ratings (FerretDB)`);
  const seeded = await timed(() => seed(h));
  console.log(`seeded in ${(seeded / 1000).toFixed(1)} s (insertMany, ${BATCH} a batch)`);
  const backfill = await timed(() => h.store.metricTotals.fold());
  console.log(
    `one-time backfill of the totals and chart series (first fold): ${(backfill / 1000).toFixed(1)} s`,
  );
  const scan = await timed(() => scanMetricSeries(h.store.conversationHistory, h.store.fineTuningData));
  console.log(
    `before: the charts' figures by scanning the ratings and bot turns, once: ${scan.toFixed(0)} ms`,
  );

  const admin = await h.startAdmin(TOKEN);
  try {
    const get = async (path: string): Promise<unknown> => {
      const res = await fetch(`${admin.url}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
      if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
      return res.json();
    };
    const session = encodeURIComponent(sessionIdFor('bench-channel-7'));
    const { next_before: older } = (await get(`/conversations/${session}/turns?limit=30`)) as {
      next_before: string | null;
    };
    const reply = await playgroundReply(admin.url);
    const routes: Array<[string, string]> = [
      ['overview', '/dashboard/overview'],
      ['prompt series (90 days)', '/dashboard/prompts/Peter/series'],
      ['prompt versions (GET /prompts/:character)', '/prompts/Peter'],
      ['stats', '/stats'],
      ['conversations (100 sessions)', '/conversations?limit=100'],
      ['newest 30 turns of a session', `/conversations/${session}/turns?limit=30`],
      ...(older
        ? [
            ['the 30 turns before those', `/conversations/${session}/turns?limit=30&before=${older}`] as [
              string,
              string,
            ],
          ]
        : []),
      ['crawl history (50)', '/crawls?limit=50'],
      ['dead letters (50)', '/dead_letters?limit=50'],
      ['organic channels', '/organic'],
      ['a playground reply', `/playground/replies/${reply}`],
    ];
    for (const [name, path] of routes) {
      // A route slower than a second (a scan on FerretDB) is timed SLOW_CALLS times, not CALLS.
      const calls = (await timed(() => get(path))) > 1000 ? SLOW_CALLS : CALLS;
      const samples: number[] = [];
      for (let i = 0; i < calls; i++) samples.push(await timed(() => get(path)));
      report(`GET ${name} (n=${calls})`, samples);
    }
    const post = async (path: string, body: unknown): Promise<unknown> => {
      const res = await fetch(`${admin.url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (!res.ok) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
      return res.json();
    };
    const writes: Array<[string, string, () => unknown]> = [
      [
        'a playground message to one character (starts its reply)',
        '/playground/messages',
        () => ({ text: 'Peter, hi', characters: ['Peter'] }),
      ],
      [
        'rating a playground reply (UserRatingWorkflow, waited for)',
        '/playground/ratings',
        () => ({ response_id: reply, score: 4 }),
      ],
    ];
    for (const [name, path, body] of writes) {
      const samples: number[] = [];
      for (let i = 0; i < CALLS; i++) samples.push(await timed(() => post(path, body())));
      report(`POST ${name} (n=${CALLS})`, samples);
    }
  } finally {
    await admin.close();
  }
}

/** Turns over CHANNELS channels and DAYS days (every other one a bot's), ratings, session documents, crawls. */
async function seed(h: Harness): Promise<void> {
  const { conversationHistory, fineTuningData, characterPrompts, ragCrawlStatus } = h.store;
  await characterPrompts.create({
    character_name: 'Peter',
    prompt_version: 'v1.1',
    prompt_text: 'You are Peter Griffin, louder.',
    is_default: false,
    ab_test_percentage: 20,
    fallback_line: 'Hehehe, what?',
    based_on: 'v1.0',
    created_by: 'bench',
    reason: 'bench challenger',
  });
  const start = Date.now() - DAYS * 86_400_000;
  const turnAt = (i: number) => turn(i, new Date(start + (i * DAYS * 86_400_000) / TURNS));
  const newest = new Map<string, ConversationTurn[]>();
  for (let first = 0; first < TURNS; first += BATCH) {
    const turns = Array.from({ length: Math.min(BATCH, TURNS - first) }, (_, j) => turnAt(first + j));
    await conversationHistory.collection.insertMany(turns);
    for (const t of turns)
      newest.set(t.channel_id, [...(newest.get(t.channel_id) ?? []), t].slice(-RECENT_TURNS));
  }
  const botTurns = Math.floor(TURNS / 2);
  for (let first = 0; first < RATINGS; first += BATCH) {
    const entries = Array.from({ length: Math.min(BATCH, RATINGS - first) }, (_, j) => {
      const k = first + j;
      // Spread over the bot turns: turn 2m + 1 is the m-th bot turn.
      return rating(k, turnAt(2 * Math.floor((k * botTurns) / RATINGS) + 1));
    });
    await fineTuningData.collection.insertMany(entries);
  }
  const sessions: ConversationSession[] = [...newest].map(([channel, turns]) => ({
    _id: sessionIdFor(channel),
    channel_id: channel,
    last_turn_id: turns.at(-1)?.turn_id ?? 0,
    recent: turns.map(recentOf),
    last_turn_at: turns.at(-1)?.timestamp ?? new Date(start),
    last_organic_start: null,
  }));
  await conversationHistory.sessions.collection.insertMany(sessions);
  for (let i = 0; i < 30; i++) {
    await ragCrawlStatus.record(`bench-crawl-${i}`, {
      pages_crawled: 100,
      documents_added: 900,
      status: 'SUCCESS',
      error_message: null,
    });
  }
}

/** Turn `i`: channel i % CHANNELS, turn id i / CHANNELS + 1; odd ones a character's reply with QC and snippets. */
function turn(i: number, timestamp: Date): ConversationTurn {
  const channel = `bench-channel-${i % CHANNELS}`;
  const common = {
    session_id: sessionIdFor(channel),
    turn_id: Math.floor(i / CHANNELS) + 1,
    timestamp,
    channel_id: channel,
    message_content: `seeded line ${i}`,
    original_message_id: `seed-msg-${i}`,
    is_organic_initiation: false,
  };
  if (i % 2 === 0) {
    return {
      ...common,
      _id: userTurnId(`seed-${i}`),
      user_id: `user-${i % 97}`,
      speaker_type: 'USER',
      bot_name: null,
      rag_context_used: [],
      llm_response_raw: null,
      llm_response_final: null,
    };
  }
  const character = CHARACTERS[i % 3] as string;
  const fallback = i % 50 === 1;
  return {
    ...common,
    _id: botTurnId(`seed-${i}`),
    user_id: null,
    speaker_type: 'BOT',
    bot_name: character,
    rag_context_used: [1, 2, 3].map((n) => ({
      text: SNIPPET_TEXT,
      source_url: `https://familyguy.fandom.com/wiki/Article_${(i + n) % 40}`,
      score: 0.5,
    })),
    llm_response_raw: fallback ? null : `seeded line ${i}`,
    llm_response_final: `seeded line ${i}`,
    response_id: `seed-${i}`,
    delivered_message_ids: [`seed-msg-${i}`],
    prompt_version_used: versionOf(character, i),
    qc_result: { score: (i % 5) + 1, feedback: 'seeded', method: 'llm', attempts: 1, accepted: i % 5 >= 2 },
  };
}

/** Peter's replies on the challenger in every other channel. */
function versionOf(character: string, i: number): string {
  return character === 'Peter' && (i % CHANNELS) % 4 === 1 ? 'v1.1' : 'v1.0';
}

/** Rating `k` of a bot turn: a QC assessment (even k) or a user's rating (odd k), a minute after it. */
function rating(k: number, reply: ConversationTurn): FineTuningEntry {
  const at = new Date(reply.timestamp.getTime() + 60_000);
  const common = {
    response_id: reply.response_id as string,
    rating_score: (k % 5) + 1,
    feedback_text: 'seeded',
    timestamp: at,
    prompt_version_used: reply.prompt_version_used ?? 'v1.0',
    character_name: reply.bot_name ?? 'Peter',
  };
  return k % 2 === 0
    ? {
        ...common,
        _id: `qc:${common.response_id}:1`,
        rating_type: 'QC_AUTOMATED',
        rated_by: 'qc_module',
        qc_method: 'llm',
      }
    : {
        ...common,
        _id: `user:${common.response_id}:u${k}`,
        rating_type: 'USER_SUBMITTED',
        rated_by: `u${k}`,
      };
}

/** A playground message to Peter, answered: its workflow id. */
async function playgroundReply(url: string): Promise<string> {
  const res = await fetch(`${url}/playground/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ text: 'Peter, how was work?', characters: ['Peter'] }),
  });
  const { replies } = (await res.json()) as { replies: Array<{ workflow_id: string }> };
  const id = replies[0]?.workflow_id as string;
  for (const deadline = Date.now() + 60_000; Date.now() < deadline;) {
    const read = await fetch(`${url}/playground/replies/${id}`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    if (((await read.json()) as { status: string }).status === 'done') return id;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the playground reply did not come');
}
