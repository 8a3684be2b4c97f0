import { MongoClient, type Db } from 'mongodb';
import { AdminSessions } from './adminSessions';
import { ChannelSettings } from './channelSettings';
import { CharacterPrompts } from './characterPrompts';
import { CharacterRoster } from './characterRoster';
import { ConversationForgets } from './conversationForgets';
import { ConversationHistory } from './conversationHistory';
import { ConversationSummaries } from './conversationSummaries';
import { CoordinatedAnswers } from './coordinatedAnswers';
import { DataDeletions } from './dataDeletions';
import { DeadLetterQueue } from './deadLetterQueue';
import { FineTuningData } from './fineTuningData';
import { GatewayStatus } from './gatewayStatus';
import { Lorebooks } from './lorebooks';
import { scanCounters, scanSeries, type Counters } from './metricCounters';
import { MetricEvents } from './metricEvents';
import { MetricSeries } from './metricSeries';
import { MetricTotals } from './metricTotals';
import { RagCrawlStatus } from './ragCrawlStatus';
import { RecordLocks } from './recordLocks';
import { UserNotes } from './userNotes';

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
  /** The dashboard's chart figures per day and hour, kept by the metric fold. */
  metricSeries: MetricSeries;
  recordLocks: RecordLocks;
  /** The bots' Discord gateway state per character and shard (written by the bots processes). */
  gatewayStatus: GatewayStatus;
  /** The dashboard's sign-in sessions. */
  adminSessions: AdminSessions;
  /** Who the system plays (seeded from the environment's roster, changed at run time). */
  characterRoster: CharacterRoster;
  /** World info per scope (global, a character, a channel). */
  lorebooks: Lorebooks;
  /** Casts, scenarios and follow-up settings per channel. */
  channelSettings: ChannelSettings;
  /** The unnamed messages the coordinator answered per channel (its caps). */
  coordinatedAnswers: CoordinatedAnswers;
  /** The record of each forget-me (who, counts, when; no content). */
  dataDeletions: DataDeletions;
  /** Each session's rolling summary of the turns older than the history window. */
  conversationSummaries: ConversationSummaries;
  /** Short notes about users, given to the LLM only when answering that user. */
  userNotes: UserNotes;
  /** Each channel's /forget cutoff. */
  conversationForgets: ConversationForgets;
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
  const metricSeries = new MetricSeries(db);
  const store: Store = {
    client,
    db,
    conversationHistory,
    fineTuningData,
    characterPrompts: new CharacterPrompts(db),
    ragCrawlStatus: new RagCrawlStatus(db),
    deadLetterQueue,
    metricEvents,
    metricTotals: new MetricTotals(db, metricEvents, metricSeries, recordLocks, {
      all: () => scanMetricCounters(conversationHistory, fineTuningData, deadLetterQueue),
      series: () => scanMetricSeries(conversationHistory, fineTuningData),
    }),
    metricSeries,
    recordLocks,
    gatewayStatus: new GatewayStatus(db),
    adminSessions: new AdminSessions(db),
    characterRoster: new CharacterRoster(db),
    lorebooks: new Lorebooks(db),
    channelSettings: new ChannelSettings(db),
    coordinatedAnswers: new CoordinatedAnswers(db),
    dataDeletions: new DataDeletions(db),
    conversationSummaries: new ConversationSummaries(db),
    userNotes: new UserNotes(db),
    conversationForgets: new ConversationForgets(db),
    close: () => client.close(),
  };
  await Promise.all([
    store.conversationHistory.ensureIndexes(),
    store.fineTuningData.ensureIndexes(),
    store.characterPrompts.ensureIndexes(),
    store.ragCrawlStatus.ensureIndexes(),
    store.deadLetterQueue.ensureIndexes(),
    store.metricEvents.ensureIndexes(),
    store.adminSessions.ensureIndexes(),
    store.conversationSummaries.ensureIndexes(),
    store.userNotes.ensureIndexes(),
  ]);
  return store;
}

/**
 * The metric counters (series included) by scanning conversation_history, fine_tuning_data and
 * dead_letter_queue: the one-time backfill of metric_totals and metric_series (and what tests compare
 * the incremental counters with).
 */
export async function scanMetricCounters(
  conversationHistory: ConversationHistory,
  fineTuningData: FineTuningData,
  deadLetterQueue: DeadLetterQueue,
): Promise<Counters> {
  const [ratings, engagement, botTurns, deadLetters] = await Promise.all([
    fineTuningData.ratingRows(),
    conversationHistory.engagementRows(),
    conversationHistory.botTurnRows(),
    deadLetterQueue.counts(),
  ]);
  return scanCounters({ ratings, engagement, botTurns, deadLetters });
}

/** The series counters alone by scanning the ratings and bot turns (their backfill for older totals). */
export async function scanMetricSeries(
  conversationHistory: ConversationHistory,
  fineTuningData: FineTuningData,
): Promise<Counters> {
  const [ratings, botTurns] = await Promise.all([
    fineTuningData.ratingRows(),
    conversationHistory.botTurnRows(),
  ]);
  return scanSeries({ ratings, botTurns });
}
