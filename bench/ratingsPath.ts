/**
 * BENCH=ratings: the rating activity (findRatedReply + recordUserRating) and GET /stats at each size of
 * history (BENCH_RATINGS_SIZES, default 1000,100000: that many turns in conversation_history and as many
 * entries in fine_tuning_data), on the stack's FerretDB. "before" runs the queries the code ran until
 * issue 13's ratings part (the rated turn looked up in conversation_history, the rating updated first,
 * GET /stats from scans of fine_tuning_data, the bot turns and dead_letter_queue); "now" runs the code.
 */
import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import type { Collection } from 'mongodb';
import { createRatingActivities } from '../src/activities/ratings';
import { statsRoutes } from '../src/admin/statsRoutes';
import { botTurnId, userTurnId, type ConversationTurn } from '../src/store/conversationHistory';
import { userRatingId, type FineTuningEntry, type UserRating } from '../src/store/fineTuningData';
import { openStore, scanMetricCounters, type Store } from '../src/store/mongo';
import { sessionIdFor } from '../src/store/sessionId';
import { report, timed } from './stats';

const SIZES = (process.env.BENCH_RATINGS_SIZES ?? '1000,100000').split(',').map(Number);
const RATINGS = 20;
const STATS_CALLS = 5;
const CHANNEL = 'bench-rated-channel';

export async function benchRatingsPath(mongodbUri: string): Promise<void> {
  for (const size of SIZES) {
    const store = await openStore(mongodbUri, `bench_ratings_${size}_${randomUUID().slice(0, 6)}`);
    try {
      await seed(store, size);
      await measure(store, size);
    } finally {
      await store.db.dropDatabase().catch(() => undefined);
      await store.close();
    }
  }
}

async function measure(store: Store, size: number): Promise<void> {
  const label = (what: string) => `${what} at ${size} turns/ratings`;
  const started = performance.now();
  await store.metricTotals.fold();
  console.log(
    `${label('one-time metric backfill (first fold)')}: ${(performance.now() - started).toFixed(0)} ms`,
  );
  const ratings = createRatingActivities({ store });
  // GET /stats' handler on a Fastify instance of its own, called in process (no socket).
  const app = Fastify();
  statsRoutes(app, { store });
  await app.ready();
  const messageId = 'bench-reply-part';

  const before: number[] = [];
  const now: number[] = [];
  for (let i = 0; i < RATINGS; i++) {
    before.push(await timed(() => oldRating(store, messageId, `before-${i}`)));
    now.push(
      await timed(async () => {
        const reply = await ratings.findRatedReply({ channelId: CHANNEL, messageId, character: 'Peter' });
        if (!reply) throw new Error('the rated reply was not found');
        await ratings.recordUserRating({
          reply,
          userId: `now-${i}`,
          score: 4,
          feedbackText: '',
          source: 'command',
          eventAt: Date.now(),
        });
      }),
    );
  }
  report(label(`rating activity, before (n=${RATINGS})`), before);
  report(label(`rating activity, now (n=${RATINGS})`), now);

  const statsNow: number[] = [];
  for (let i = 0; i < STATS_CALLS; i++) {
    statsNow.push(await timed(() => app.inject({ method: 'GET', url: '/stats' })));
  }
  // The scans take minutes at 100k: once.
  const statsBefore = [
    await timed(() =>
      Promise.all([
        scanMetricCounters(store.conversationHistory, store.fineTuningData, store.deadLetterQueue),
        store.characterPrompts.list(),
      ]),
    ),
  ];
  report(label('GET /stats, before (n=1)'), statsBefore);
  report(label(`GET /stats, now (n=${STATS_CALLS})`), statsNow);
}

/** The rating path as it was: the turn by its posted part in conversation_history, then update-first. */
async function oldRating(store: Store, messageId: string, userId: string): Promise<void> {
  const turn = await store.conversationHistory.collection.findOne({
    channel_id: CHANNEL,
    speaker_type: 'BOT',
    delivered_message_ids: messageId,
  });
  if (!turn?.response_id) throw new Error('the rated reply was not found');
  const entry = rating(turn.response_id, userId, 4);
  const { _id, ...fields } = entry;
  const collection = store.fineTuningData.collection as unknown as Collection<UserRating>;
  const { matchedCount } = await collection.updateOne(
    { _id, timestamp: { $lte: entry.timestamp } },
    { $set: fields },
  );
  if (matchedCount === 0) await collection.insertOne(entry);
}

/** `size` turns over 500 other channels and `size` ratings, then a rated reply in CHANNEL (through the store). */
async function seed(store: Store, size: number): Promise<void> {
  const at = new Date();
  for (let start = 0; start < size; start += 1000) {
    const count = Math.min(1000, size - start);
    const turns: ConversationTurn[] = Array.from({ length: count }, (_, j) => {
      const i = start + j;
      const channel = `bench-other-${i % 500}`;
      const bot = i % 2 === 1;
      return {
        _id: bot ? botTurnId(`seed-${i}`) : userTurnId(`seed-${i}`),
        session_id: sessionIdFor(channel),
        turn_id: Math.floor(i / 500) + 1,
        timestamp: at,
        channel_id: channel,
        user_id: bot ? null : 'seed-user',
        speaker_type: bot ? 'BOT' : 'USER',
        bot_name: bot ? 'Peter' : null,
        message_content: `seeded line ${i}`,
        original_message_id: `seed-msg-${i}`,
        is_organic_initiation: false,
        rag_context_used: [],
        llm_response_raw: bot ? `seeded line ${i}` : null,
        llm_response_final: bot ? `seeded line ${i}` : null,
        ...(bot
          ? {
              response_id: `seed-${i}`,
              delivered_message_ids: [`seed-msg-${i}`],
              prompt_version_used: 'v1.0',
            }
          : {}),
      };
    });
    const entries: FineTuningEntry[] = turns.map((turn, j) =>
      j % 2 === 0
        ? { ...rating(`seed-${start + j}`, `seed-user-${j}`, (j % 5) + 1), _id: `seed-rating-${start + j}` }
        : {
            _id: `qc:seed-${start + j}:1`,
            response_id: `seed-${start + j}`,
            rating_type: 'QC_AUTOMATED',
            rating_score: (j % 5) + 1,
            feedback_text: 'seeded',
            rated_by: 'qc_module',
            timestamp: at,
            prompt_version_used: 'v1.0',
            character_name: 'Peter',
            qc_method: 'llm',
          },
    );
    await store.conversationHistory.collection.insertMany(turns);
    await store.fineTuningData.collection.insertMany(entries);
  }
  await store.conversationHistory.appendTurn({
    _id: userTurnId('bench-question'),
    session_id: sessionIdFor(CHANNEL),
    timestamp: new Date(),
    channel_id: CHANNEL,
    user_id: 'bench-user',
    speaker_type: 'USER',
    bot_name: null,
    message_content: 'Peter, say something',
    original_message_id: 'bench-question',
    is_organic_initiation: false,
    rag_context_used: [],
    llm_response_raw: null,
    llm_response_final: null,
  });
  await store.conversationHistory.appendTurn({
    _id: botTurnId('bench-reply'),
    session_id: sessionIdFor(CHANNEL),
    timestamp: new Date(),
    channel_id: CHANNEL,
    user_id: null,
    speaker_type: 'BOT',
    bot_name: 'Peter',
    message_content: 'Hehehehe.',
    original_message_id: 'bench-reply-part',
    is_organic_initiation: false,
    rag_context_used: [],
    llm_response_raw: 'Hehehehe.',
    llm_response_final: 'Hehehehe.',
    response_id: 'bench-reply',
    reply_to_message_id: 'bench-question',
    delivered_message_ids: ['bench-reply-part'],
    prompt_version_used: 'v1.0',
    qc_result: null,
  });
}

function rating(responseId: string, userId: string, score: number): UserRating {
  return {
    _id: userRatingId(responseId, userId),
    response_id: responseId,
    rating_type: 'USER_SUBMITTED',
    rating_score: score,
    feedback_text: '',
    rated_by: userId,
    timestamp: new Date(),
    prompt_version_used: 'v1.0',
    character_name: 'Peter',
    rating_source: 'command',
  };
}
