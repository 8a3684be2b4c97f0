import { MongoClient, type Db } from 'mongodb';
import { CharacterPrompts } from './characterPrompts';
import { ConversationHistory } from './conversationHistory';
import { DeadLetterQueue } from './deadLetterQueue';
import { FineTuningData } from './fineTuningData';
import { scanCounters, type Counters } from './metricCounters';
import { MetricEvents } from './metricEvents';
import { MetricTotals } from './metricTotals';
import { RagCrawlStatus } from './ragCrawlStatus';
import { RecordLocks } from './recordLocks';

/**
 * The MongoDB data layer: one module per collection of the design document, each owning
 * its schema, indexes and queries. Only features FerretDB v1 supports are used (no TTL
 * indexes, transactions, $lookup or atomic findAndModify sequences).
 */
export interface Store {
  client: MongoClient;
  db: Db;
  conversationHistory: ConversationHistory;
  fineTuningData: FineTuningData;
  characterPrompts: CharacterPrompts;
  ragCrawlStatus: RagCrawlStatus;
  deadLetterQueue: DeadLetterQueue;
  /** The pending changes to the metric totals, written beside each counted write. */
  metricEvents: MetricEvents;
  /** GET /stats' and performance_metrics' counters, kept incrementally. */
  metricTotals: MetricTotals;
  recordLocks: RecordLocks;
  close(): Promise<void>;
}

export async function openStore(uri: string, dbName: string): Promise<Store> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 10_000, appName: 'family-guy-bots' });
  await client.connect();
  const db = client.db(dbName);
  const metricEvents = new MetricEvents(db);
  const recordLocks = new RecordLocks(db);
  const conversationHistory = new ConversationHistory(db, metricEvents);
  const fineTuningData = new FineTuningData(db, metricEvents, recordLocks);
  const deadLetterQueue = new DeadLetterQueue(db, metricEvents, recordLocks);
  const store: Store = {
    client,
    db,
    conversationHistory,
    fineTuningData,
    characterPrompts: new CharacterPrompts(db),
    ragCrawlStatus: new RagCrawlStatus(db),
    deadLetterQueue,
    metricEvents,
    metricTotals: new MetricTotals(db, metricEvents, recordLocks, () =>
      scanMetricCounters(conversationHistory, fineTuningData, deadLetterQueue),
    ),
    recordLocks,
    close: () => client.close(),
  };
  await Promise.all([
    store.conversationHistory.ensureIndexes(),
    store.fineTuningData.ensureIndexes(),
    store.characterPrompts.ensureIndexes(),
    store.ragCrawlStatus.ensureIndexes(),
    store.deadLetterQueue.ensureIndexes(),
    store.metricEvents.ensureIndexes(),
  ]);
  return store;
}

/**
 * The metric counters by scanning conversation_history, fine_tuning_data and dead_letter_queue: the
 * one-time backfill of metric_totals (and what tests compare the incremental counters with).
 */
export async function scanMetricCounters(
  conversationHistory: ConversationHistory,
  fineTuningData: FineTuningData,
  deadLetterQueue: DeadLetterQueue,
): Promise<Counters> {
  const [ratings, engagement, qcResults, deadLetters] = await Promise.all([
    fineTuningData.ratingRows(),
    conversationHistory.engagementRows(),
    conversationHistory.qcResults(),
    deadLetterQueue.counts(),
  ]);
  return scanCounters({ ratings, engagement, qcResults, deadLetters });
}
