/**
 * conversation_history's reply-path reads and writes against the test stack's real FerretDB: turn ids
 * stay sequential and unique under concurrent writers, appends are idempotent, and the history
 * window and the silence check's inputs are served from conversation_sessions and stay right when
 * that document lags or is missing (FerretDB v1 loses concurrent updates to one document).
 */
import { randomUUID } from 'node:crypto';
import { userTurnId, type NewTurn } from '../../src/store/conversationHistory';
import { RECENT_TURNS } from '../../src/store/conversationSessions';
import { openStore, type Store } from '../../src/store/mongo';
import { sessionIdFor } from '../../src/store/sessionId';

let store: Store;

beforeAll(async () => {
  store = await openStore(process.env.MONGODB_URI as string, `fgbots_history_${randomUUID().slice(0, 8)}`);
});

afterAll(async () => {
  await store?.db.dropDatabase().catch(() => undefined);
  await store?.close();
});

function userTurn(channelId: string, messageId: string, content = `message ${messageId}`): NewTurn {
  return {
    _id: userTurnId(messageId),
    session_id: sessionIdFor(channelId),
    timestamp: new Date(),
    channel_id: channelId,
    user_id: 'user-1',
    speaker_type: 'USER',
    bot_name: null,
    message_content: content,
    original_message_id: messageId,
    is_organic_initiation: false,
    rag_context_used: [],
    llm_response_raw: null,
    llm_response_final: null,
  };
}

const history = () => store.conversationHistory;

test('concurrent writers in one channel get turn ids 1..n, each turn stored once, however often it is retried', async () => {
  const channelId = `c-${randomUUID()}`;
  const turns = Array.from({ length: 20 }, (_, i) => userTurn(channelId, `m${i}`));
  // Every turn written three times at once: a retried activity, or three characters answering one message.
  const refs = await Promise.all([...turns, ...turns, ...turns].map((turn) => history().appendTurn(turn)));

  const stored = await history().collection.find({ channel_id: channelId }).sort({ turn_id: 1 }).toArray();
  expect(stored.map((turn) => turn.turn_id)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  expect(new Set(stored.map((turn) => turn._id)).size).toBe(20);
  // Each copy of a turn was told the same turn id.
  for (const [i, turn] of turns.entries()) {
    const mine = stored.find((s) => s._id === turn._id)?.turn_id;
    expect([refs[i], refs[i + 20], refs[i + 40]].map((ref) => ref?.turn_id)).toEqual([mine, mine, mine]);
  }
});

test('the history window is the turns just before, oldest first, with or without an up-to-date session document', async () => {
  const channelId = `c-${randomUUID()}`;
  const sessionId = sessionIdFor(channelId);
  for (let i = 1; i <= RECENT_TURNS + 10; i++)
    await history().appendTurn(userTurn(channelId, `w${i}`, `line ${i}`));
  const lines = async (before: number, limit: number) =>
    (await history().historyWindow(sessionId, before, limit)).map((turn) => turn.message_content);
  const expected = (from: number, to: number) =>
    Array.from({ length: to - from + 1 }, (_, i) => `line ${from + i}`);

  expect(await lines(RECENT_TURNS + 11, 10)).toEqual(expected(RECENT_TURNS + 1, RECENT_TURNS + 10));
  expect(await lines(5, 10)).toEqual(expected(1, 4));
  expect(await lines(Number.MAX_SAFE_INTEGER, 3)).toEqual(expected(RECENT_TURNS + 8, RECENT_TURNS + 10));
  // Older than the session document keeps, and wider than it: from the collection.
  expect(await lines(8, 5)).toEqual(expected(3, 7));
  expect(await lines(RECENT_TURNS + 11, RECENT_TURNS + 5)).toEqual(expected(6, RECENT_TURNS + 10));

  // A lost update: the document misses a turn in the middle of the window.
  const session = await history().sessions.get(sessionId);
  await history().sessions.collection.updateOne(
    { _id: sessionId },
    { $set: { recent: session!.recent.filter((turn) => turn.turn_id !== RECENT_TURNS + 5) } },
  );
  expect(await lines(RECENT_TURNS + 11, 10)).toEqual(expected(RECENT_TURNS + 1, RECENT_TURNS + 10));

  // A document lagging behind: its newest two turns lost, its highest turn id with them.
  await history().sessions.collection.updateOne(
    { _id: sessionId },
    {
      $set: {
        last_turn_id: RECENT_TURNS + 8,
        recent: session!.recent.filter((turn) => turn.turn_id <= RECENT_TURNS + 8),
      },
    },
  );
  expect(await lines(RECENT_TURNS + 11, 10)).toEqual(expected(RECENT_TURNS + 1, RECENT_TURNS + 10));

  // No document at all (a channel from before conversation_sessions): the collection, and the next
  // append finds its turn id there.
  await history().sessions.collection.deleteOne({ _id: sessionId });
  expect(await lines(RECENT_TURNS + 11, 2)).toEqual(expected(RECENT_TURNS + 9, RECENT_TURNS + 10));
  const next = await history().appendTurn(userTurn(channelId, 'after-upgrade'));
  expect(next.turn_id).toBe(RECENT_TURNS + 11);
});

test("the silence check's inputs: the channel's newest turn and newest organic start, with or without a session document", async () => {
  const channelId = `c-${randomUUID()}`;
  expect(await history().channelActivity(channelId)).toEqual({ lastTurnAt: null, lastOrganicStart: null });
  const organicAt = new Date(Date.now() - 60_000);
  await history().appendTurn({
    ...userTurn(channelId, 'o1', 'Hey, remember the time...'),
    _id: `bot:organic-${channelId}`,
    speaker_type: 'BOT',
    bot_name: 'Peter',
    user_id: null,
    is_organic_initiation: true,
    timestamp: organicAt,
  });
  const lastAt = new Date();
  await history().appendTurn({ ...userTurn(channelId, 'o2'), timestamp: lastAt });

  const expected = { lastTurnAt: lastAt, lastOrganicStart: { at: organicAt, bot_name: 'Peter' } };
  expect(await history().channelActivity(channelId)).toEqual(expected);
  await history().sessions.collection.deleteOne({ _id: sessionIdFor(channelId) });
  expect(await history().channelActivity(channelId)).toEqual(expected);
});

test('a regenerated reply: the new candidate stands on the turn and in the session document, written once however often it is retried', async () => {
  const channelId = `c-${randomUUID()}`;
  await history().appendTurn(userTurn(channelId, 'asked'));
  const responseId = `reply-asked-${randomUUID()}`;
  await history().appendTurn({
    ...userTurn(channelId, 'unused'),
    _id: `bot:${responseId}`,
    user_id: null,
    speaker_type: 'BOT',
    bot_name: 'Peter',
    message_content: 'Holy crap!',
    original_message_id: 'p1',
    llm_response_raw: 'Peter: Holy crap!',
    llm_response_final: 'Holy crap!',
    response_id: responseId,
    reply_to_message_id: 'asked',
    delivered_message_ids: ['p1', 'p2'],
    prompt_version_used: 'v1.0',
    qc_result: null,
  });
  const candidate = (text: string) => ({
    text,
    raw: text,
    created_at: new Date(),
    source: 'regenerate' as const,
    requested_by: 'user-1',
    prompt_version: 'v1.1',
  });
  const change = { deliveredMessageIds: ['p1'], qcResult: null };

  const first = await history().chooseCandidate(responseId, 1, candidate('Freakin sweet!'), change);
  // A retried write (the activity's answer lost) adds nothing and reports the same replaced candidate.
  const retried = await history().chooseCandidate(responseId, 1, candidate('Freakin sweet!'), change);
  expect(first?.replacedIndex).toBe(0);
  expect(retried?.replaced).toEqual(first?.replaced);
  expect(first?.replaced).toMatchObject({ text: 'Holy crap!', source: 'original', prompt_version: 'v1.0' });
  await history().chooseCandidate(responseId, 2, candidate('Roadhouse!'), change);

  const turn = await history().findByResponseId(responseId);
  expect(turn?.candidates?.map((c) => c.text)).toEqual(['Holy crap!', 'Freakin sweet!', 'Roadhouse!']);
  expect(turn).toMatchObject({
    chosen_candidate: 2,
    message_content: 'Roadhouse!',
    llm_response_final: 'Roadhouse!',
    delivered_message_ids: ['p1'],
    original_message_id: 'p1',
  });
  // What the history window, ratings and /regenerate read first.
  expect((await history().historyWindow(sessionIdFor(channelId), 3, 5)).at(-1)?.message_content).toBe(
    'Roadhouse!',
  );
  expect((await history().findBotTurnByMessageId(channelId, 'p1'))?.message_content).toBe('Roadhouse!');
  expect(await history().chooseCandidate('reply-nowhere', 1, candidate('x'), change)).toBeNull();
});
