/**
 * The incremental metric counters (metric_events folded into metric_totals, and their series by day and
 * hour into metric_series) against the real FerretDB of the test stack: after a mixed sequence of writes
 * (turns, QC assessments, user ratings recorded, changed, superseded, removed, dead letters recorded and
 * resolved), some concurrent and some retried, they equal a full scan of the collections, before and
 * after folding, and a fold that dies halfway counts nothing twice. Also: a rating finds a recent reply
 * through the channel's session document, and an older one in conversation_history.
 */
import { randomUUID } from 'node:crypto';
import { botTurnId, userTurnId, type NewTurn } from '../../src/store/conversationHistory';
import { RECENT_TURNS } from '../../src/store/conversationSessions';
import { userRatingId, type FineTuningEntry, type UserRating } from '../../src/store/fineTuningData';
import { addCounters, fromEntries, KEY, splitSeries, type Counters } from '../../src/store/metricCounters';
import { openStore, scanMetricCounters, type Store } from '../../src/store/mongo';
import { sessionIdFor } from '../../src/store/sessionId';

let store: Store;

beforeEach(async () => {
  store = await openStore(process.env.MONGODB_URI as string, `fgbots_metrics_${randomUUID().slice(0, 8)}`);
});

afterEach(async () => {
  await store?.db.dropDatabase().catch(() => undefined);
  await store?.close();
});

const fullScan = () =>
  scanMetricCounters(store.conversationHistory, store.fineTuningData, store.deadLetterQueue);
/** The totals' counters of a full scan (what metric_totals holds). */
const scan = async () => splitSeries(await fullScan()).totals;
const sorted = (counters: Counters) => [...counters].sort(([a], [b]) => a.localeCompare(b));

/** metric_series as one set of `series:<day>:...` counters, comparable with a scan's. */
async function storedSeries(): Promise<Counters> {
  const days = await store.metricSeries.collection.find().toArray();
  return days.reduce(
    (sum, day) =>
      addCounters(sum, new Map([...fromEntries(day.counters)].map(([k, n]) => [KEY.series(day._id, k), n]))),
    new Map<string, number>(),
  );
}
const scannedSeries = async () => sorted(splitSeries(await fullScan()).series);

function userTurn(channelId: string, messageId: string): NewTurn {
  return {
    _id: userTurnId(messageId),
    session_id: sessionIdFor(channelId),
    timestamp: new Date(),
    channel_id: channelId,
    user_id: 'u1',
    speaker_type: 'USER',
    bot_name: null,
    message_content: `message ${messageId}`,
    original_message_id: messageId,
    is_organic_initiation: false,
    rag_context_used: [],
    llm_response_raw: null,
    llm_response_final: null,
  };
}

function botTurn(
  channelId: string,
  responseId: string,
  fields: {
    character?: string;
    version?: string;
    qc?: boolean;
    delivered?: string[];
    fallback?: boolean;
  } = {},
): NewTurn {
  const text = `reply ${responseId}`;
  return {
    ...userTurn(channelId, responseId),
    _id: botTurnId(responseId),
    user_id: null,
    speaker_type: 'BOT',
    bot_name: fields.character ?? 'Peter',
    message_content: text,
    original_message_id: fields.delivered?.[0] ?? null,
    llm_response_raw: fields.fallback ? null : `Peter: ${text}`,
    llm_response_final: text,
    response_id: responseId,
    delivered_message_ids: fields.delivered ?? [],
    prompt_version_used: fields.version ?? 'v1.0',
    qc_result: fields.qc ? { score: 4, feedback: 'ok', method: 'llm', attempts: 2, accepted: true } : null,
  };
}

function qcEntry(responseId: string, attempt: number, score: number, method: 'llm' | 'rules' | 'fallback') {
  return {
    _id: `qc:${responseId}:${attempt}`,
    response_id: responseId,
    rating_type: 'QC_AUTOMATED',
    rating_score: score,
    feedback_text: 'fine',
    rated_by: 'qc_module',
    timestamp: new Date(),
    prompt_version_used: 'v1.0',
    character_name: 'Peter',
    qc_method: method,
  } satisfies FineTuningEntry;
}

function userRating(responseId: string, userId: string, score: number, at: number, source = 'command') {
  return {
    _id: userRatingId(responseId, userId),
    response_id: responseId,
    rating_type: 'USER_SUBMITTED',
    rating_score: score,
    feedback_text: '',
    rated_by: userId,
    timestamp: new Date(at),
    prompt_version_used: 'v1.1',
    character_name: 'Brian',
    rating_source: source,
  } satisfies UserRating;
}

/** A mixed sequence of counted writes, concurrent and retried ones among them. */
async function writeMixedHistory(): Promise<void> {
  const history = store.conversationHistory;
  // Two channels talked in at once; Brian's replies on a challenger version, some through QC.
  await Promise.all(
    ['a', 'b'].map(async (channel) => {
      for (let i = 0; i < 6; i++) {
        await history.appendTurn(userTurn(channel, `${channel}-m${i}`));
        const character = i % 2 === 0 ? 'Peter' : 'Brian';
        const reply = botTurn(channel, `${channel}-r${i}`, {
          character,
          version: character === 'Brian' ? 'v1.1' : 'v1.0',
          qc: i % 3 === 0,
        });
        // A retried persist (the same turn twice at once) counts once.
        await Promise.all([history.appendTurn(reply), history.appendTurn(reply)]);
      }
    }),
  );
  // A second character answering the same message appends its user turn again.
  await history.appendTurn(userTurn('a', 'a-m5'));

  // QC assessments, one retried, one without a verdict (left out of averages).
  const fineTuning = store.fineTuningData;
  await fineTuning.record(qcEntry('a-r0', 1, 2, 'rules'));
  await fineTuning.record(qcEntry('a-r0', 2, 4, 'llm'));
  await fineTuning.record(qcEntry('a-r0', 2, 4, 'llm'));
  await fineTuning.record(qcEntry('b-r0', 1, 3, 'fallback'));

  // User ratings: recorded, changed, superseded by a later event, retried, removed, rated again.
  const t = Date.now();
  expect(await fineTuning.upsertUserRating(userRating('a-r1', 'u1', 5, t))).toBe('recorded');
  expect(await fineTuning.upsertUserRating(userRating('a-r1', 'u1', 2, t + 10))).toBe('updated');
  expect(await fineTuning.upsertUserRating(userRating('a-r1', 'u1', 4, t + 5))).toBe('superseded');
  expect(await fineTuning.upsertUserRating(userRating('a-r1', 'u1', 2, t + 10))).toBe('updated');
  // The same user reacting several times at once: one of them wins, counted once.
  const outcomes = await Promise.all(
    [1, 2, 3, 4].map((score) => fineTuning.upsertUserRating(userRating('b-r1', 'u2', score, t + score))),
  );
  expect(outcomes.filter((o) => o === 'recorded')).toHaveLength(1);
  await fineTuning.upsertUserRating(userRating('a-r3', 'u3', 3, t, 'reaction:3️⃣'));
  expect(await fineTuning.removeUserRating(userRatingId('a-r3', 'u3'), 'reaction:5️⃣', new Date(t + 1))).toBe(
    false,
  );
  // A reaction swapped (3 taken back, 4 added) at the same moment.
  const [removed] = await Promise.all([
    fineTuning.removeUserRating(userRatingId('a-r3', 'u3'), 'reaction:3️⃣', new Date(t + 1)),
    fineTuning.upsertUserRating(userRating('a-r3', 'u3', 4, t + 2, 'reaction:4️⃣')),
  ]);
  expect(typeof removed).toBe('boolean');

  // Dead letters: recorded (one retried), resolved by two admins at once: once.
  const dlq = store.deadLetterQueue;
  const letter = {
    failed_event_payload: {},
    error_details: 'Ollama 503',
    retry_attempts: 3,
    workflow_type: 'ReplyWorkflow',
    failed_step: 'generateReply',
  };
  const first = await dlq.record({ ...letter, workflow_id: 'reply-1-peter' });
  await dlq.record({ ...letter, workflow_id: 'reply-1-peter' });
  await dlq.record({ ...letter, workflow_id: 'reply-2-peter' });
  const resolved = await Promise.all([
    dlq.resolve(first, { status: 'DISCARDED' }, 'ops'),
    dlq.resolve(first, { status: 'REPLAYED', replay_workflow_id: 'x' }, 'admin'),
  ]);
  expect(resolved.filter(Boolean)).toHaveLength(1);
}

test('the incremental counters equal a full scan after mixed, concurrent and retried writes, before and after folding', async () => {
  await store.metricTotals.fold(); // a new installation: the backfill finds nothing, every write is an event
  await writeMixedHistory();
  const expected = sorted(await scan());
  expect(expected).toContainEqual([KEY.userCount, 3]);
  expect(expected).toContainEqual([KEY.version('Brian', 'v1.1', 'answered'), 4]);
  expect(sorted(await store.metricTotals.current())).toEqual(expected);

  expect(await store.metricTotals.fold()).toBeGreaterThan(0);
  expect(await store.metricEvents.pending()).toEqual([]);
  expect(sorted(await store.metricTotals.current())).toEqual(expected);
  // The series by day and hour too, the changed and removed ratings' old scores taken out of their days.
  const series = await scannedSeries();
  expect(totalOf(series, ':replies')).toBe(12);
  expect(totalOf(series, KEY.version('Brian', 'v1.1', 'user_count'))).toBe(3);
  expect(sorted(await storedSeries())).toEqual(series);

  // More writes after the fold: pending events on top of the totals, then folded too.
  await store.conversationHistory.appendTurn(userTurn('a', 'a-m6')); // answers a-r5 (Brian)
  await store.fineTuningData.upsertUserRating(userRating('a-r1', 'u1', 1, Date.now()));
  expect(sorted(await store.metricTotals.current())).toEqual(sorted(await scan()));
  await store.metricTotals.fold();
  expect(sorted(await store.metricTotals.current())).toEqual(sorted(await scan()));
  expect(sorted(await storedSeries())).toEqual(await scannedSeries());
});

/** The UTC day `daysAgo` days before now. */
const day = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10);
/** The sum of the series counters whose key ends with `suffix`, over every day and hour. */
const totalOf = (series: Array<[string, number]>, suffix: string) =>
  series.filter(([key]) => key.endsWith(suffix)).reduce((sum, [, n]) => sum + n, 0);

test('a rating changed days later moves its score out of the day it was first given', async () => {
  await store.metricTotals.fold();
  const threeDaysAgo = Date.now() - 3 * 86_400_000;
  await store.fineTuningData.upsertUserRating(userRating('r', 'u1', 5, threeDaysAgo));
  await store.metricTotals.fold();
  await store.fineTuningData.upsertUserRating(userRating('r', 'u1', 2, Date.now()));
  await store.metricTotals.fold();
  const points = await store.metricSeries.versionDays('Brian', day(7));
  expect(points.get('v1.1')).toEqual([{ day: day(0), qc_count: 0, qc_sum: 0, user_count: 1, user_sum: 2 }]);
  expect(sorted(await storedSeries())).toEqual(await scannedSeries());
});

test('a fold that dies after its commit, before adding its series to every day, adds each day once', async () => {
  await store.metricTotals.fold();
  await store.fineTuningData.upsertUserRating(userRating('x', 'u1', 4, Date.now() - 86_400_000));
  await store.fineTuningData.upsertUserRating(userRating('y', 'u1', 3, Date.now()));
  await store.metricTotals.fold();
  const expected = await scannedSeries();
  // As if it had died after adding to yesterday: today's addition undone, its events still pending.
  const today = await store.metricSeries.collection.findOne({ _id: day(0) });
  await store.metricSeries.collection.deleteOne({ _id: day(0) });
  await store.metricEvents.collection.updateMany({}, { $set: { folded_at: null } });
  await store.metricTotals.fold();
  expect(sorted(await storedSeries())).toEqual(expected);
  expect((await store.metricSeries.collection.findOne({ _id: day(0) }))?.counters).toEqual(today?.counters);
});

test('a fold that dies between its commit and marking its events folded counts nothing twice', async () => {
  await store.metricTotals.fold();
  await writeMixedHistory();
  await store.metricTotals.fold();
  await store.fineTuningData.record(qcEntry('b-r2', 1, 5, 'llm'));
  await store.metricTotals.fold();
  // As if that fold had died right after its commit: its events still look pending.
  await store.metricEvents.collection.updateMany({}, { $set: { folded_at: null } });
  const expected = sorted(await scan());
  expect(sorted(await store.metricTotals.current())).not.toEqual(expected); // the older batches look new...
  await store.metricEvents.collection.updateMany(
    { _id: { $nin: (await store.metricTotals.get())?.folded_event_ids ?? [] } },
    { $set: { folded_at: new Date() } },
  );
  // ...but the last commit's own events are recognised, by readers and by the next fold.
  expect(sorted(await store.metricTotals.current())).toEqual(expected);
  await store.metricTotals.fold();
  expect(await store.metricEvents.pending()).toEqual([]);
  expect(sorted(await store.metricTotals.current())).toEqual(expected);
});

test('data from before the counters existed is counted once by the first fold (a one-time scan)', async () => {
  // Written straight into the collections, as an older version did: no events.
  const turns = [userTurn('old', 'o1'), botTurn('old', 'o-r1', { qc: true }), userTurn('old', 'o2')].map(
    (turn, i) => ({ ...turn, turn_id: i + 1 }),
  );
  await store.conversationHistory.collection.insertMany(turns);
  await store.fineTuningData.collection.insertMany([
    qcEntry('o-r1', 1, 4, 'llm'),
    userRating('o-r1', 'u9', 5, 1),
  ]);
  // And one write of the new version before the first fold: in the scan, so not counted again.
  await store.fineTuningData.upsertUserRating(userRating('o-r1', 'u8', 1, 2));
  const expected = sorted(await scan());
  expect(expected).toContainEqual([KEY.userCount, 2]);

  expect(sorted(await store.metricTotals.current())).toEqual(expected);
  expect((await store.metricTotals.get())?.backfilled_at).toBeInstanceOf(Date);
  await store.metricTotals.fold();
  expect(sorted(await storedSeries())).toEqual(await scannedSeries());
  // Recorded as done: later writes count through their events, nothing is scanned again.
  await store.fineTuningData.collection.insertOne(userRating('o-r1', 'u7', 3, 3)); // bypasses the store
  await store.metricTotals.fold();
  expect(sorted(await store.metricTotals.current())).toEqual(expected);
});

test('totals from before the series get their series from a one-time scan, pending events not twice', async () => {
  await store.metricTotals.fold();
  await store.conversationHistory.appendTurn(botTurn('s', 's-r1', { fallback: true }));
  await store.fineTuningData.record(qcEntry('s-r1', 1, 4, 'llm'));
  await store.metricTotals.fold();
  // As the totals of the version before the series were: no series, none backfilled.
  await store.metricSeries.collection.deleteMany({});
  await store.metricTotals.collection.updateOne(
    { _id: 'totals' },
    { $unset: { series_backfilled_at: '', series_delta: '' } },
  );
  // A write since, its event still pending when the scan runs: counted once.
  await store.conversationHistory.appendTurn(botTurn('s', 's-r2'));
  await store.metricTotals.fold();
  const series = await scannedSeries();
  expect([totalOf(series, ':replies'), totalOf(series, ':fallbacks')]).toEqual([2, 1]);
  expect(sorted(await storedSeries())).toEqual(series);
  expect((await store.metricTotals.get())?.series_backfilled_at).toBeInstanceOf(Date);
});

describe('finding the reply a rating is about', () => {
  const channel = 'rated-channel';

  test('a recent reply comes from the session document, by any of its parts or as the newest', async () => {
    await store.conversationHistory.appendTurn(userTurn(channel, 'q1'));
    await store.conversationHistory.appendTurn(botTurn(channel, 'r1', { delivered: ['d1', 'd2'] }));
    await store.conversationHistory.appendTurn(botTurn(channel, 'r2', { delivered: ['d3'], fallback: true }));
    // Gone from conversation_history: only the session document can answer now.
    await store.conversationHistory.collection.deleteMany({ channel_id: channel });

    expect(await store.conversationHistory.findBotTurnByMessageId(channel, 'd2')).toMatchObject({
      response_id: 'r1',
      bot_name: 'Peter',
      prompt_version_used: 'v1.0',
      used_fallback: false,
      message_content: 'reply r1',
    });
    expect(await store.conversationHistory.findLatestDeliveredBotTurn(channel, 'Peter')).toMatchObject({
      response_id: 'r2',
      used_fallback: true,
    });
    expect(await store.conversationHistory.findBotTurnByMessageId(channel, 'q1')).toBeNull();
    expect(await store.conversationHistory.findLatestDeliveredBotTurn(channel, 'Brian')).toBeNull();
  });

  test('a reply older than the session document keeps, or one the document lost, comes from conversation_history', async () => {
    await store.conversationHistory.appendTurn(botTurn(channel, 'old', { delivered: ['d-old'] }));
    for (let i = 0; i < RECENT_TURNS; i++)
      await store.conversationHistory.appendTurn(userTurn(channel, `n${i}`));
    expect(await store.conversationHistory.findBotTurnByMessageId(channel, 'd-old')).toMatchObject({
      response_id: 'old',
    });
    expect(await store.conversationHistory.findLatestDeliveredBotTurn(channel, 'Peter')).toMatchObject({
      response_id: 'old',
    });

    // A newer reply the session document lost (a lost update leaves a gap): not mistaken for "none newer".
    await store.conversationHistory.appendTurn(botTurn(channel, 'new', { delivered: ['d-new'] }));
    await store.conversationHistory.appendTurn(userTurn(channel, 'after'));
    const session = await store.conversationHistory.sessions.get(sessionIdFor(channel));
    await store.conversationHistory.sessions.collection.updateOne(
      { _id: sessionIdFor(channel) },
      { $set: { recent: session?.recent.filter((turn) => turn.response_id !== 'new') ?? [] } },
    );
    expect(await store.conversationHistory.findLatestDeliveredBotTurn(channel, 'Peter')).toMatchObject({
      response_id: 'new',
    });
  });
});
