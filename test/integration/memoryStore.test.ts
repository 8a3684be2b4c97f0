/**
 * Session memory's collections and activities against the test stack's real FerretDB: summaries, user
 * notes (deduplicated, capped, deleted per user or per forgotten turns), the /forget cutoff (never moved
 * back), and what the activities read from them: a summary covering forgotten turns is neither shown nor
 * built on, and one deleted by forget-me is written again from the turns left.
 */
import { randomUUID } from 'node:crypto';
import { createMemoryActivities } from '../../src/activities/memory';
import { userTurnId, type NewTurn } from '../../src/store/conversationHistory';
import { openStore, type Store } from '../../src/store/mongo';
import { sessionIdFor } from '../../src/store/sessionId';
import { MAX_NOTES_PER_USER } from '../../src/store/userNotes';

let store: Store;

beforeAll(async () => {
  store = await openStore(process.env.MONGODB_URI as string, `fgbots_memory_${randomUUID().slice(0, 8)}`);
});

afterAll(async () => {
  await store?.db.dropDatabase().catch(() => undefined);
  await store?.close();
});

function userTurn(channelId: string, userId: string, content: string): NewTurn {
  const messageId = randomUUID();
  return {
    _id: userTurnId(messageId),
    session_id: sessionIdFor(channelId),
    timestamp: new Date(),
    channel_id: channelId,
    user_id: userId,
    user_name: userId.toUpperCase(),
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

async function channelWith(...turns: Array<[userId: string, content: string]>) {
  const channelId = `c-${randomUUID()}`;
  for (const [userId, content] of turns) {
    await store.conversationHistory.appendTurn(userTurn(channelId, userId, content));
  }
  return { channelId, sessionId: sessionIdFor(channelId) };
}

const memory = () => createMemoryActivities({ store, memory: { every: 2, window: 2, userNotes: true } });

describe('user_notes', () => {
  it('keeps a note once per user (in any case), the newest MAX_NOTES_PER_USER, newest first', async () => {
    const userId = `u-${randomUUID()}`;
    const at = new Date('2026-01-01T00:00:00Z');
    await store.userNotes.add(
      [
        { user_id: userId, note: 'likes pudding', session_id: 's1', turn_id: 1 },
        { user_id: userId, note: 'Likes Pudding', session_id: 's1', turn_id: 2 },
      ],
      at,
    );
    for (let i = 0; i < MAX_NOTES_PER_USER + 3; i++) {
      await store.userNotes.add(
        [{ user_id: userId, note: `note ${i}`, session_id: 's2', turn_id: i }],
        new Date(at.getTime() + (i + 1) * 1000),
      );
    }
    const notes = await store.userNotes.forUser(userId);
    expect(notes.map((note) => note.note)).toEqual(
      Array.from({ length: MAX_NOTES_PER_USER }, (_, i) => `note ${MAX_NOTES_PER_USER + 2 - i}`),
    );
    expect(await store.userNotes.collection.countDocuments({ user_id: userId })).toBe(MAX_NOTES_PER_USER);
  });

  it("deletes a user's notes everywhere (forget-me), or a session's up to a turn (/forget), and no one else's", async () => {
    const [a, b] = [`a-${randomUUID()}`, `b-${randomUUID()}`];
    await store.userNotes.add([
      { user_id: a, note: 'one', session_id: 's', turn_id: 1 },
      { user_id: a, note: 'two', session_id: 's', turn_id: 5 },
      { user_id: b, note: 'three', session_id: 's', turn_id: 2 },
      { user_id: b, note: 'four', session_id: 'other', turn_id: 1 },
    ]);
    expect(await store.userNotes.deleteForSession('s', 2)).toBe(2);
    expect((await store.userNotes.forUser(a)).map((n) => n.note)).toEqual(['two']);
    expect((await store.userNotes.forUser(b)).map((n) => n.note)).toEqual(['four']);
    expect(await store.userNotes.deleteForUser(a)).toBe(1);
    expect(await store.userNotes.forUser(a)).toEqual([]);
    expect((await store.userNotes.forUser(b)).map((n) => n.note)).toEqual(['four']);
  });
});

describe('conversation_summaries and conversation_forgets', () => {
  it('drops the summaries written from a user’s turns, and only those', async () => {
    const user = `u-${randomUUID()}`;
    const summary = (id: string, source_user_ids: string[]) => ({
      _id: id,
      channel_id: id,
      summary: `summary of ${id}`,
      covers_from_turn_id: 1,
      through_turn_id: 4,
      source_user_ids,
      updated_at: new Date(),
    });
    await store.conversationSummaries.save(summary(`s1-${user}`, [user, 'x']));
    await store.conversationSummaries.save(summary(`s2-${user}`, ['x']));
    expect(await store.conversationSummaries.dropForUser(user)).toBe(1);
    expect(await store.conversationSummaries.get(`s1-${user}`)).toBeNull();
    expect(await store.conversationSummaries.get(`s2-${user}`)).not.toBeNull();
  });

  it('never moves a forget cutoff back', async () => {
    const sessionId = `discord:${randomUUID()}`;
    expect(await store.conversationForgets.cutoff(sessionId)).toBe(0);
    const entry = { _id: sessionId, channel_id: 'c', forgotten_at: new Date(), forgotten_by: 'admin' };
    await store.conversationForgets.forget({ ...entry, forgotten_through_turn_id: 9 });
    const slower = await store.conversationForgets.forget({ ...entry, forgotten_through_turn_id: 7 });
    expect(slower.forgotten_through_turn_id).toBe(9);
    expect(await store.conversationForgets.cutoff(sessionId)).toBe(9);
  });
});

describe('the memory activities', () => {
  it('summarise the turns after the summary; after /forget, neither show nor build on a summary of forgotten turns', async () => {
    const { channelId, sessionId } = await channelWith(
      ['u1', 'one'],
      ['u2', 'two'],
      ['u1', 'three'],
      ['u1', 'four'],
    );
    const activities = memory();
    const first = await activities.loadTurnsToSummarise({ sessionId, throughTurnId: 2 });
    expect(first).toMatchObject({ previousSummary: null, coversFromTurnId: 1, throughTurnId: 2 });
    expect(first.turns.map((t) => [t.turn_id, t.user_name, t.message_content])).toEqual([
      [1, 'U1', 'one'],
      [2, 'U2', 'two'],
    ]);
    await activities.saveSessionSummary({
      sessionId,
      channelId,
      from: first,
      summary: 'U1 and U2 said one and two.',
      notes: [{ userId: 'u1', turnId: 1, note: 'counts' }],
    });
    expect(await activities.loadSessionMemory({ channelId, userId: 'u1' })).toEqual({
      summary: 'U1 and U2 said one and two.',
      userNotes: ['counts'],
    });
    expect(await activities.loadSessionMemory({ channelId, userId: 'u2' })).toEqual({
      summary: 'U1 and U2 said one and two.',
      userNotes: [],
    });
    const next = await activities.loadTurnsToSummarise({ sessionId, throughTurnId: 3 });
    expect(next).toMatchObject({
      previousSummary: 'U1 and U2 said one and two.',
      coversFromTurnId: 1,
      sourceUserIds: ['u1', 'u2'],
    });
    expect(next.turns.map((t) => t.turn_id)).toEqual([3]);

    // /forget: turns 1-4 leave the window and the memory; the summary and the notes go.
    expect(await activities.forgetChannelTurns({ channelId, requestedBy: 'discord:mod' })).toEqual({
      sessionId,
      forgottenThroughTurnId: 4,
    });
    expect(await activities.loadSessionMemory({ channelId, userId: 'u1' })).toEqual({
      summary: null,
      userNotes: [],
    });
    // A summary of forgotten turns that was being written meanwhile is dropped, with its notes.
    await activities.saveSessionSummary({
      sessionId,
      channelId,
      from: next,
      summary: 'late',
      notes: [{ userId: 'u1', turnId: 3, note: 'late note' }],
    });
    expect(await activities.loadSessionMemory({ channelId, userId: 'u1' })).toEqual({
      summary: null,
      userNotes: [],
    });
    expect(await activities.loadSummaryPosition(sessionId)).toBe(4);
    await store.conversationHistory.appendTurn(userTurn(channelId, 'u1', 'five'));
    const afterForget = await activities.loadTurnsToSummarise({ sessionId, throughTurnId: 5 });
    expect(afterForget).toMatchObject({ previousSummary: null, coversFromTurnId: 5, throughTurnId: 5 });
    expect(afterForget.turns.map((t) => t.message_content)).toEqual(['five']);
  });

  it('write a summary deleted by forget-me again from the turns left', async () => {
    const [u1, u2] = [`u1-${randomUUID()}`, `u2-${randomUUID()}`];
    const { channelId, sessionId } = await channelWith([u1, 'one'], [u2, 'two'], [u1, 'three']);
    const activities = memory();
    const from = await activities.loadTurnsToSummarise({ sessionId, throughTurnId: 2 });
    await activities.saveSessionSummary({ sessionId, channelId, from, summary: 'one, two', notes: [] });
    expect(await store.conversationSummaries.dropForUser(u2)).toBe(1);
    expect(await activities.loadSummaryPosition(sessionId)).toBe(0);
    const again = await activities.loadTurnsToSummarise({ sessionId, throughTurnId: 3 });
    expect(again).toMatchObject({ previousSummary: null, coversFromTurnId: 1, throughTurnId: 3 });
    expect(again.turns.map((t) => t.turn_id)).toEqual([1, 2, 3]);
  });
});
