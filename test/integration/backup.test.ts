/**
 * `npm run backup` against the test stack's real FerretDB and Chroma: a round trip through export, wipe
 * and restore gives back exactly what was there (BSON types, indexes, embeddings), and restoring into a
 * database that is not empty duplicates nothing.
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Binary, BSON, Double, Int32, Long, ObjectId, Timestamp, type Db, type Document } from 'mongodb';
import {
  exportBackup,
  restoreBackup,
  verifyBackup,
  type BackupManifest,
  type BackupTarget,
} from '../../src/admin/backup';
import { loadRoster } from '../../src/characters/roster';
import { chromaClient, openWikiCollection, upsertPageChunks } from '../../src/knowledge/chromaChunks';
import { userTurnId, botTurnId } from '../../src/store/conversationHistory';
import { openStore, type Store } from '../../src/store/mongo';

const repo = join(__dirname, '..', '..');
const CHROMA_URL = process.env.CHROMA_URL as string;
const MONGODB_URI = process.env.MONGODB_URI as string;
const DIMENSIONS = 8;
const CHROMA_RECORDS = 1234; // more than one page of the export and the import

let store: Store;
let db: Db;
let target: BackupTarget;
let workDir: string;
const chromaNames: string[] = [];

beforeAll(async () => {
  const suffix = randomUUID().slice(0, 8);
  target = {
    mongodbUri: MONGODB_URI,
    mongodbDb: `fgbots_backup_${suffix}`,
    chromaUrl: CHROMA_URL,
    chromaCollection: `backup_wiki_${suffix}`,
  };
  chromaNames.push(target.chromaCollection);
  store = await openStore(target.mongodbUri, target.mongodbDb);
  db = store.db;
  workDir = mkdtempSync(join(tmpdir(), 'fgbots-backup-'));
  await seed();
});

afterAll(async () => {
  await db?.dropDatabase().catch(() => undefined);
  await store?.close();
  const client = chromaClient(CHROMA_URL);
  for (const name of chromaNames) await client.deleteCollection({ name }).catch(() => undefined);
  rmSync(workDir, { recursive: true, force: true });
});

/** Data in every collection the app has, one with unusual BSON types, an empty one, and the wiki. */
async function seed(): Promise<void> {
  const t0 = new Date('2024-05-01T12:00:00.123Z');
  for (let i = 0; i < 30; i++) {
    const channel = `10000000000000000${i % 3}`;
    await store.conversationHistory.appendTurn({
      _id: userTurnId(`2000000000000000${i}`),
      session_id: `discord:${channel}`,
      timestamp: new Date(t0.getTime() + i * 1000),
      channel_id: channel,
      user_id: '30000000000000000',
      speaker_type: 'USER',
      bot_name: null,
      message_content: `Peter, question ${i}? ünïcödé ✓ "quotes" \\ back\nslash`,
      original_message_id: `2000000000000000${i}`,
      is_organic_initiation: false,
      rag_context_used: [],
      llm_response_raw: null,
      llm_response_final: null,
    });
    await store.conversationHistory.appendTurn({
      _id: botTurnId(`reply-${i}-Peter`),
      session_id: `discord:${channel}`,
      timestamp: new Date(t0.getTime() + i * 1000 + 500),
      channel_id: channel,
      user_id: null,
      speaker_type: 'BOT',
      bot_name: 'Peter',
      message_content: `Hehehe ${i}`,
      original_message_id: null,
      is_organic_initiation: false,
      rag_context_used: [
        { text: 'Peter works at the brewery', source_url: 'https://wiki/Peter', score: 0.5 + i / 100 },
      ],
      llm_response_raw: `Peter: Hehehe ${i}`,
      llm_response_final: `Hehehe ${i}`,
      response_id: `reply-${i}-Peter`,
      reply_to_message_id: `2000000000000000${i}`,
      delivered_message_ids: [`4000000000000000${i}`],
      prompt_version_used: 'v1.0',
    });
  }
  await store.fineTuningData.collection.insertMany(
    Array.from({ length: 12 }, (_, i) => ({
      _id: `qc:reply-${i}-Peter:0`,
      response_id: `reply-${i}-Peter`,
      rating_type: 'QC_AUTOMATED' as const,
      rating_score: (i % 5) + 1,
      feedback_text: 'fine',
      rated_by: 'qc',
      timestamp: new Date(t0.getTime() + i),
      prompt_version_used: 'v1.0',
      character_name: 'Peter',
      response_text: `Hehehe ${i}`,
    })),
  );
  await store.characterPrompts.seedDefaults(loadRoster(['Peter', 'Brian', 'Stewie']));
  await store.ragCrawlStatus.record('crawl-1', {
    pages_crawled: 10,
    documents_added: 42,
    status: 'SUCCESS',
    error_message: null,
  });
  await store.deadLetterQueue.record({
    failed_event_payload: { message: { content: 'hi', nested: [1, 2.5, { deep: true }] } },
    error_details: 'Ollama 503',
    retry_attempts: 3,
    workflow_type: 'ReplyWorkflow',
    workflow_id: 'reply-9-Stewie',
    failed_step: 'generateReply',
  });
  // The metric counters' totals (the fold's lock leaves record_locks empty).
  await store.metricTotals.fold();
  // BSON types the app does not use (yet), and an _id that is not a string.
  await db.collection('odd_types').createIndex({ code: 1 }, { name: 'code_unique', unique: true });
  await db.collection('odd_types').insertMany([
    {
      _id: new ObjectId(),
      code: 1,
      int32: new Int32(7),
      int64: Long.fromString('9007199254740993'),
      double: new Double(3),
      when: new Date(0),
      bytes: new Binary(Buffer.from([0, 1, 2, 255])),
      stamp: new Timestamp({ t: 1_700_000_000, i: 3 }),
      nothing: null,
      nested: { list: [1, 'two', { three: [new Date(1)] }], flag: false },
    },
    { _id: 42 as never, code: 2, text: '' },
  ]);
  await db.createCollection('empty_one');
  await db.collection('empty_one').createIndex({ a: 1, b: -1 }, { name: 'a_b' });

  const wiki = await openWikiCollection(CHROMA_URL, {
    dimensions: DIMENSIONS,
    name: target.chromaCollection,
    model: 'test-model',
  });
  const perPage = 50;
  for (let page = 0; page * perPage < CHROMA_RECORDS; page++) {
    const count = Math.min(perPage, CHROMA_RECORDS - page * perPage);
    await upsertPageChunks(wiki, {
      url: `https://wiki.example/wiki/Page_${page}`,
      title: `Page ${page}`,
      crawlId: 'crawl-1',
      chunks: Array.from({ length: count }, (_, index) => ({
        text: `Page ${page} chunk ${index}: Peter's ${index}th adventure`,
        section: index === 0 ? null : `Section ${index}`,
        index,
      })),
      embeddings: Array.from({ length: count }, () =>
        Array.from({ length: DIMENSIONS }, () => Math.random() * 2 - 1),
      ),
    });
  }
}

/** Everything in the database, exactly: canonical Extended JSON of every document, and the indexes. */
async function mongoSnapshot(): Promise<Record<string, { documents: string[]; indexes: unknown[] }>> {
  const snapshot: Record<string, { documents: string[]; indexes: unknown[] }> = {};
  const collections = await db.listCollections({}, { nameOnly: true }).toArray();
  for (const { name } of collections) {
    const documents = await db.collection(name).find({}, { promoteValues: false }).toArray();
    const indexes = await db.collection(name).listIndexes().toArray();
    snapshot[name] = {
      documents: documents.map((d) => BSON.EJSON.stringify(d, { relaxed: false })).sort(),
      indexes: indexes
        .map(({ v: _v, ...index }: Document) => index)
        .sort((a, b) => String(a.name).localeCompare(String(b.name))),
    };
  }
  return snapshot;
}

async function chromaSnapshot(name = target.chromaCollection) {
  const collection = await chromaClient(CHROMA_URL).getCollection({ name });
  const got = await collection.get({ include: ['embeddings', 'documents', 'metadatas'] });
  const records = got.ids
    .map((id, i) => ({
      id,
      embedding: got.embeddings[i],
      document: got.documents[i],
      metadata: got.metadatas[i],
    }))
    .sort((a, b) => a.id.localeCompare(b.id));
  return {
    records,
    metadata: collection.metadata,
    space: collection.configuration.hnsw?.space,
  };
}

type KnowledgeSnapshot = Awaited<ReturnType<typeof chromaSnapshot>>;

/**
 * The same records, documents, metadata and collection settings, and the same embeddings up to float32
 * rounding. A cosine collection hands back each vector normalised and scaled back, so what Chroma
 * returns is never bit for bit what was written (measured on Chroma 1.0: ~10% of the components of a
 * freshly written vector read back 1-2 ULP off, and writing what was read moves some again), and no API
 * round trip can be exact. Every component here is within 1e-6 of the vector's length: similarity scores
 * agree to 6 decimal places.
 */
function expectSameKnowledge(actual: KnowledgeSnapshot, expected: KnowledgeSnapshot): void {
  const withoutEmbeddings = (snapshot: KnowledgeSnapshot) => ({
    ...snapshot,
    records: snapshot.records.map(({ embedding: _embedding, ...rest }) => rest),
  });
  expect(withoutEmbeddings(actual)).toEqual(withoutEmbeddings(expected));
  let worst = 0;
  actual.records.forEach((record, i) => {
    const original = expected.records[i]?.embedding ?? [];
    expect(record.embedding).toHaveLength(original.length);
    const length = Math.hypot(...original);
    record.embedding?.forEach((value, j) => {
      worst = Math.max(worst, Math.abs(value - (original[j] ?? NaN)) / length);
    });
  });
  expect(worst).toBeLessThan(1e-6);
}

async function wipe(): Promise<void> {
  await db.dropDatabase();
  await chromaClient(CHROMA_URL).deleteCollection({ name: target.chromaCollection });
}

describe('backup', () => {
  let dir: string;
  let manifest: BackupManifest;
  let before: Awaited<ReturnType<typeof mongoSnapshot>>;
  let chromaBefore: KnowledgeSnapshot;
  let chromaRestored: KnowledgeSnapshot;

  it('exports every collection and the Chroma knowledge base, with a manifest', async () => {
    before = await mongoSnapshot();
    chromaBefore = await chromaSnapshot();
    expect(Object.keys(before).sort()).toEqual([
      'admin_sessions',
      'character_prompts',
      'conversation_history',
      'conversation_sessions',
      'conversation_summaries',
      'dead_letter_queue',
      'empty_one',
      'fine_tuning_data',
      'metric_events',
      'metric_series',
      'metric_totals',
      'odd_types',
      'rag_crawl_status',
      'record_locks',
      'user_notes',
    ]);
    expect(chromaBefore.records).toHaveLength(CHROMA_RECORDS);

    dir = join(workDir, 'full');
    const lines: string[] = [];
    manifest = await exportBackup({
      ...target,
      dir,
      reporter: { progress: () => undefined, line: (text) => lines.push(text) },
    });
    const counts = Object.fromEntries(manifest.mongodb?.collections.map((c) => [c.name, c.count]) ?? []);
    expect(counts).toEqual({
      admin_sessions: 0,
      character_prompts: 3,
      conversation_history: 60,
      conversation_sessions: 3,
      conversation_summaries: 0,
      dead_letter_queue: 1,
      empty_one: 0,
      fine_tuning_data: 12,
      metric_events: 58,
      metric_series: 1,
      metric_totals: 1,
      odd_types: 2,
      rag_crawl_status: 1,
      record_locks: 0,
      user_notes: 0,
    });
    expect(manifest.chroma).toMatchObject({
      collection: target.chromaCollection,
      present: true,
      count: CHROMA_RECORDS,
    });
    expect(Date.parse(manifest.created_at)).toBeGreaterThan(Date.now() - 120_000);
    expect(lines.join('\n')).toContain(`${target.chromaCollection}: ${CHROMA_RECORDS} records`);
    const onDisk = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as BackupManifest;
    expect(onDisk).toEqual(manifest);
    // Extended JSON keeps types: a Date is a $date, not a string.
    const history = readFileSync(join(dir, 'mongodb', 'conversation_history.jsonl'), 'utf8');
    expect(history.split('\n')[0]).toContain('"timestamp":{"$date":');
  });

  it('restores exactly what was exported into an emptied database and Chroma', async () => {
    await wipe();
    expect(await db.listCollections().toArray()).toEqual([]);
    const summary = await restoreBackup({ ...target, dir });
    expect(summary.mongodb?.every((c) => c.conflicts === 0 && c.kept === 0)).toBe(true);
    expect(summary.chroma).toMatchObject({ added: CHROMA_RECORDS, kept: 0 });
    expect(await mongoSnapshot()).toEqual(before);
    chromaRestored = await chromaSnapshot();
    expectSameKnowledge(chromaRestored, chromaBefore);
  });

  it('running restore again changes nothing and duplicates nothing', async () => {
    const summary = await restoreBackup({ ...target, dir });
    for (const collection of summary.mongodb ?? []) {
      const count = manifest.mongodb?.collections.find((c) => c.name === collection.name)?.count;
      expect(collection).toMatchObject({ inserted: 0, unchanged: count, kept: 0, replaced: 0 });
    }
    expect(summary.chroma).toMatchObject({ added: 0, kept: CHROMA_RECORDS });
    expect(await mongoSnapshot()).toEqual(before);
    expect(await chromaSnapshot()).toEqual(chromaRestored); // not rewritten: bit for bit the same
  });

  it('into a database that moved on: adds what is missing, keeps what is there, removes nothing', async () => {
    const dlq = store.deadLetterQueue.collection;
    await dlq.updateOne({ _id: 'reply-9-Stewie:generateReply' }, { $set: { status: 'REPLAYED' } });
    await store.conversationHistory.collection.deleteOne({ _id: botTurnId('reply-3-Peter') });
    await store.fineTuningData.collection.deleteMany({ rating_score: { $gte: 4 } });
    const newer = {
      _id: 'user:reply-1-Peter:555',
      response_id: 'reply-1-Peter',
      rating_type: 'USER_SUBMITTED' as const,
      rating_score: 5,
      feedback_text: '',
      rated_by: '555',
      timestamp: new Date(),
      prompt_version_used: 'v1.0',
      character_name: 'Peter',
    };
    await store.fineTuningData.collection.insertOne(newer);
    const wiki = await chromaClient(CHROMA_URL).getCollection({ name: target.chromaCollection });
    const someIds = chromaBefore.records.slice(0, 10).map((r) => r.id);
    await wiki.delete({ ids: someIds });

    const summary = await restoreBackup({ ...target, dir });
    const by = Object.fromEntries(summary.mongodb?.map((c) => [c.name, c]) ?? []);
    expect(by.conversation_history).toMatchObject({ inserted: 1, unchanged: 59, conflicts: 0 });
    expect(by.fine_tuning_data?.inserted).toBeGreaterThan(0);
    expect(by.dead_letter_queue).toMatchObject({ inserted: 0, unchanged: 0, kept: 1 });
    expect(summary.chroma).toMatchObject({ added: 10, kept: CHROMA_RECORDS - 10 });

    const after = await mongoSnapshot();
    expect(after.conversation_history).toEqual(before.conversation_history);
    expect(await store.fineTuningData.collection.countDocuments()).toBe(13); // 12 restored + the newer one
    expect(await store.fineTuningData.collection.findOne({ _id: newer._id })).toMatchObject({
      rated_by: '555',
    });
    expect(await dlq.findOne({})).toMatchObject({ status: 'REPLAYED' }); // the newer state wins by default
    expectSameKnowledge(await chromaSnapshot(), chromaBefore);

    // --overwrite: the backup's version wins, and still nothing is duplicated or removed.
    const overwritten = await restoreBackup({ ...target, dir, overwrite: true });
    const replaced = Object.fromEntries(overwritten.mongodb?.map((c) => [c.name, c.replaced]) ?? []);
    expect(replaced).toMatchObject({ dead_letter_queue: 1, conversation_history: 0, fine_tuning_data: 0 });
    expect(await dlq.findOne({})).toMatchObject({ status: 'PENDING' });
    expect(await store.fineTuningData.collection.countDocuments()).toBe(13);
    expectSameKnowledge(await chromaSnapshot(), chromaBefore);
  });

  it('reports a document that clashes with a unique index instead of failing or duplicating', async () => {
    // The channel went on after a loss: its turn 1 is now a different message.
    const history = store.conversationHistory.collection;
    const first = await history.findOne({ session_id: 'discord:100000000000000000', turn_id: 1 });
    await history.deleteOne({ _id: first?._id });
    await history.insertOne({ ...first!, _id: 'user:99999999999999999', message_content: 'newer' });

    const summary = await restoreBackup({ ...target, dir, skipChroma: true });
    const conversation = summary.mongodb?.find((c) => c.name === 'conversation_history');
    expect(conversation).toMatchObject({ conflicts: 1, inserted: 0 });
    expect(conversation?.conflictSamples[0]?.id).toBe(JSON.stringify(first?._id));
    expect(await history.countDocuments({ session_id: 'discord:100000000000000000', turn_id: 1 })).toBe(1);
    expect(summary.chroma).toBeNull();
  });

  it('warns about users forgotten after the backup was made, whose data it brings back', async () => {
    await store.dataDeletions.record({
      _id: 'forget-user-870000000000000009-test',
      user_id: '870000000000000009',
      counts: {
        conversation_history: 1,
        conversation_sessions: 1,
        dead_letter_queue: 0,
        fine_tuning_data: 0,
        user_notes: 0,
        conversation_summaries: 0,
      },
      requested_at: new Date(),
      completed_at: new Date(),
      requested_by: 'admin',
    });
    const summary = await restoreBackup({ ...target, dir, skipChroma: true });
    expect(summary.warnings).toContainEqual(
      expect.stringContaining('`npm run admin -- users forget 870000000000000009`'),
    );
  });

  it('restores into another database and collection than it came from', async () => {
    const other = {
      ...target,
      mongodbDb: `${target.mongodbDb}_copy`,
      chromaCollection: `${target.chromaCollection}_copy`,
    };
    chromaNames.push(other.chromaCollection);
    const summary = await restoreBackup({ ...other, dir });
    expect(summary.chroma).toMatchObject({ collection: other.chromaCollection, added: CHROMA_RECORDS });
    const copy = store.client.db(other.mongodbDb);
    try {
      expect(await copy.collection('conversation_history').countDocuments()).toBe(60);
      expect(
        (await copy.collection('empty_one').listIndexes().toArray())
          .map((i: Document) => String(i.name))
          .sort(),
      ).toEqual(['_id_', 'a_b']);
    } finally {
      await copy.dropDatabase();
    }
    expectSameKnowledge(await chromaSnapshot(other.chromaCollection), chromaBefore);
  });

  it('refuses damaged or incomplete backups before writing anything', async () => {
    await expect(restoreBackup({ ...target, dir: join(workDir, 'nope') })).rejects.toThrow(
      /no such directory/,
    );
    await expect(restoreBackup({ ...target, dir: workDir })).rejects.toThrow(/no manifest\.json/);

    const damaged = join(workDir, 'damaged');
    await exportBackup({ ...target, dir: damaged, skipChroma: true });
    const file = join(damaged, 'mongodb', 'rag_crawl_status.jsonl');
    writeFileSync(file, readFileSync(file, 'utf8').replace('SUCCESS', 'FAILED!'));
    await expect(verifyBackup(damaged)).rejects.toThrow(/rag_crawl_status\.jsonl: sha256 differs/);
    await db.collection('rag_crawl_status').deleteMany({});
    await expect(restoreBackup({ ...target, dir: damaged })).rejects.toThrow(/damaged, nothing was restored/);
    expect(await db.collection('rag_crawl_status').countDocuments()).toBe(0);

    await expect(exportBackup({ ...target, dir })).rejects.toThrow(/is not empty/);
  });

  it('says which MongoDB it cannot reach without printing its password', async () => {
    const unreachable = {
      ...target,
      mongodbUri: 'mongodb://bots:Hunter2Secret@127.0.0.1:1/?authSource=admin',
      serverSelectionTimeoutMS: 500,
    };
    const error = await exportBackup({ ...unreachable, dir: join(workDir, 'never') }).catch(
      (err: Error) => err,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain('cannot use MongoDB at mongodb://bots:***@127.0.0.1:1/');
    expect((error as Error).message).not.toContain('Hunter2Secret');
    await expect(restoreBackup({ ...unreachable, dir })).rejects.toThrow(/bots:\*\*\*@127\.0\.0\.1:1/);
  });

  it('works as the npm run backup command, with progress and exit codes', () => {
    const env = {
      ...process.env,
      MONGODB_URI: target.mongodbUri,
      MONGODB_DB: target.mongodbDb,
      CHROMA_URL: target.chromaUrl,
      CHROMA_COLLECTION: target.chromaCollection,
    };
    const run = (...args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'src/admin/backup.ts', ...args], {
        cwd: repo,
        env,
        encoding: 'utf8',
        timeout: 60_000,
      });
    const cliDir = join(workDir, 'cli');
    const exported = run('export', cliDir);
    expect(exported.stderr).toMatch(/conversation_history: 60 documents/);
    expect(exported.stderr).toMatch(/backup written to/);
    expect(exported.status).toBe(0);
    const restored = run('restore', cliDir);
    expect(restored.stderr).toMatch(/conversation_history: 0 added, 60 already there/);
    expect(restored.status).toBe(0);
    expect(run('verify', cliDir).status).toBe(0);
    const missing = run('restore', join(workDir, 'missing'));
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/no backup at .*missing: no such directory/);
    expect(run('frobnicate', cliDir).status).toBe(2);
  });
});
