import { MongoClient, type Db } from 'mongodb';
import { CharacterPrompts } from './characterPrompts';
import { ConversationHistory } from './conversationHistory';
import { DeadLetterQueue } from './deadLetterQueue';
import { FineTuningData } from './fineTuningData';
import { RagCrawlStatus } from './ragCrawlStatus';

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
  close(): Promise<void>;
}

export async function openStore(uri: string, dbName: string): Promise<Store> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 10_000, appName: 'family-guy-bots' });
  await client.connect();
  const db = client.db(dbName);
  const store: Store = {
    client,
    db,
    conversationHistory: new ConversationHistory(db),
    fineTuningData: new FineTuningData(db),
    characterPrompts: new CharacterPrompts(db),
    ragCrawlStatus: new RagCrawlStatus(db),
    deadLetterQueue: new DeadLetterQueue(db),
    close: () => client.close(),
  };
  await Promise.all([
    store.conversationHistory.ensureIndexes(),
    store.fineTuningData.ensureIndexes(),
    store.characterPrompts.ensureIndexes(),
    store.ragCrawlStatus.ensureIndexes(),
    store.deadLetterQueue.ensureIndexes(),
  ]);
  return store;
}
