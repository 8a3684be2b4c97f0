/**
 * /forget-me end to end through the real bots, worker, test stack and fake Discord: a user with turns in
 * two channels, ratings (a reaction, a regeneration), a note and summaries written from their turns asks
 * to be forgotten; afterwards MongoDB and a fresh backup hold none of it, another user's data is intact,
 * the deletion is recorded without content, and the user's answer (only they see it) gives the counts.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportBackup, silentReporter } from '../../src/admin/backup';
import { SUMMARY_SYSTEM_INTRO } from '../../src/llm/summaryPrompt';
import { sessionIdFor } from '../../src/store/sessionId';
import { replyWorkflowId } from '../../src/workflows/contracts/reply';
import type { ReplyWorkflow } from '../../src/workflows/reply';
import type { GenerationBody } from '../fakes/scriptedOllama';
import { waitFor } from '../fakes/waitFor';
import { startHarness, type CharacterName, type Harness } from './harness';

jest.setTimeout(60_000);

const systemOf = (body: GenerationBody) => body.messages?.[0]?.content ?? '';
const everything = (body: GenerationBody) => (body.messages ?? []).map((m) => m.content).join('\n');

const forgotten = { id: '870000000000000001', username: 'forgotten' };
const other = { id: '870000000000000002', username: 'stays' };
/** What each of them writes: every line is theirs alone, so any copy of it is found. */
const SAID = {
  forgotten: ['Peter, call me Captain from now on.', 'Peter, my locker code is 4711.'],
  other: ['Brian, call me Captain too.', 'Brian, my bike is blue.'],
};

let h: Harness;

beforeAll(async () => {
  // A summary every 2 turns that leave a 2-turn window, with notes: two messages per user write one.
  h = await startHarness({
    env: { HISTORY_WINDOW: '2', MEMORY_SUMMARY_EVERY: '2', MEMORY_USER_NOTES: 'true' },
  });
  h.ollama.reply((body) => {
    if (!systemOf(body).startsWith(SUMMARY_SYSTEM_INTRO)) return 'Heh heh. Sure thing.';
    // The summary quotes what people said (so a summary is a copy of their words), and notes who said "call me Captain".
    const transcript = everything(body);
    const line = /^#(\d+) \[([^\]]+)\] .*call me Captain/m.exec(transcript);
    const quoted = [...SAID.forgotten, ...SAID.other].filter((said) => transcript.includes(said));
    return JSON.stringify({
      summary: `They said: ${quoted.join(' ')}`,
      notes: line ? [{ user: line[2], turn: Number(line[1]), note: 'wants to be called Captain' }] : [],
    });
  });
  await waitFor(() => h.discord.connectedBots().length === 3);
});

afterAll(async () => {
  await h?.stop();
});

/** `author` says `content` to `character` in `channelId`; resolves with the reply once it is posted. */
async function say(channelId: string, author: typeof forgotten, content: string, character: CharacterName) {
  const message = await h.discord.userSays({ channelId, content, author });
  const handle = h.temporal.workflow.getHandle<typeof ReplyWorkflow>(replyWorkflowId(message.id, character));
  return waitFor(() => handle.result(), { timeoutMs: 20_000, what: `${character}'s reply` });
}

/** Every document of the database's collections, as one JSON text per collection. */
async function dumpedCollections(): Promise<Map<string, string>> {
  const dir = await mkdtemp(join(tmpdir(), 'forget-me-backup-'));
  try {
    await exportBackup({
      dir,
      mongodbUri: h.config.mongodbUri,
      mongodbDb: h.config.mongodbDb,
      chromaUrl: h.config.chromaUrl,
      chromaCollection: h.config.chromaCollection,
      skipChroma: true,
      reporter: silentReporter,
    });
    const files = await readdir(join(dir, 'mongodb'));
    const texts = await Promise.all(files.map((file) => readFile(join(dir, 'mongodb', file), 'utf8')));
    return new Map(files.map((file, i) => [file.replace(/\.jsonl$/, ''), texts[i] ?? '']));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

it("deletes a user's turns, ratings, notes and summaries everywhere, backups included, and only theirs", async () => {
  const channelA = h.discord.createTextChannel('forget-me-a');
  const channelB = h.discord.createTextChannel('forget-me-b');
  const first = await say(channelA, forgotten, SAID.forgotten[0] as string, 'Peter');
  await say(channelA, forgotten, SAID.forgotten[1] as string, 'Peter');
  await say(channelB, other, SAID.other[0] as string, 'Brian');
  const othersReply = await say(channelB, other, SAID.other[1] as string, 'Brian');
  // Each channel's summary (written from its user's turns) and each user's note.
  for (const [channelId, user] of [
    [channelA, forgotten],
    [channelB, other],
  ] as const) {
    await waitFor(() => h.store.conversationSummaries.get(sessionIdFor(channelId)), { timeoutMs: 20_000 });
    await waitFor(async () => (await h.store.userNotes.forUser(user.id)).length === 1, { timeoutMs: 20_000 });
  }
  // Ratings: each rates a reply; the forgotten user also regenerates one (a USER_REGENERATED entry).
  await h.discord.react(forgotten.id, channelA, first.deliveredMessageIds[0] as string, '5️⃣');
  await h.discord.react(other.id, channelB, othersReply.deliveredMessageIds[0] as string, '4️⃣');
  await h.discord.react(forgotten.id, channelA, first.deliveredMessageIds[0] as string, '🔄');
  const ratings = () =>
    h.store.fineTuningData.collection.find({ rated_by: { $in: [forgotten.id, other.id] } });
  await waitFor(async () => (await ratings().toArray()).length === 3, { timeoutMs: 20_000, what: 'ratings' });

  expect((await h.store.metricTotals.current()).get('user.count')).toBe(2);
  // A reply to each of them that failed for good: its dead letter holds the message it answered.
  const deadLetterFor = (user: typeof forgotten, channelId: string, content: string) =>
    h.store.deadLetterQueue.record({
      failed_event_payload: {
        character: 'Peter',
        message: {
          messageId: `dl-${user.username}`,
          channelId,
          authorId: user.id,
          authorName: user.username,
          content,
        },
      },
      error_details: 'model not found',
      retry_attempts: 3,
      workflow_type: 'ReplyWorkflow',
      workflow_id: `reply-dl-${user.username}-peter`,
      failed_step: 'generateReply',
    });
  const [forgottenLetter, othersLetter] = await Promise.all([
    deadLetterFor(forgotten, channelA, 'Peter, this one failed for me.'),
    deadLetterFor(other, channelB, 'Brian, this one failed for me too.'),
  ]);

  const { id } = await h.discord.useCommand({
    applicationId: h.botUsers.Stewie.id,
    channelId: channelB,
    user: forgotten,
    name: 'forget-me',
    options: { confirm: true },
  });
  const answer = await waitFor(() => h.discord.interactionResponse(id)?.content ?? undefined, {
    timeoutMs: 20_000,
    what: 'the answer to /forget-me',
  });
  expect(h.discord.interactionResponse(id)?.ephemeral).toBe(true);
  expect(answer).toBe(
    'Done: deleted 2 messages, 2 ratings, 1 note about you, 1 conversation summary, 1 failed reply to you. ' +
      'The characters no longer remember them; your messages stay in Discord itself. ' +
      'The summaries are written again later from what others said.',
  );

  // MongoDB: nothing of theirs in the collections that held it.
  const { conversationHistory, fineTuningData, userNotes, conversationSummaries, dataDeletions } = h.store;
  expect(await conversationHistory.collection.countDocuments({ user_id: forgotten.id })).toBe(0);
  expect(await fineTuningData.collection.countDocuments({ rated_by: forgotten.id })).toBe(0);
  expect(await userNotes.collection.countDocuments({ user_id: forgotten.id })).toBe(0);
  expect(await conversationSummaries.collection.countDocuments({ source_user_ids: forgotten.id })).toBe(0);
  const sessionA = await conversationHistory.sessions.get(sessionIdFor(channelA));
  expect(sessionA?.recent.filter((turn) => turn.speaker_type === 'USER')).toEqual([]);
  // Peter's replies to them stay (the characters' lines), as does everything of the other user.
  expect(sessionA?.recent.filter((turn) => turn.speaker_type === 'BOT')).toHaveLength(2);
  expect(await conversationHistory.collection.countDocuments({ user_id: other.id })).toBe(2);
  expect(await fineTuningData.collection.countDocuments({ rated_by: other.id })).toBe(1);
  expect(await userNotes.forUser(other.id)).toHaveLength(1);
  expect(await conversationSummaries.get(sessionIdFor(channelB))).toMatchObject({
    source_user_ids: [other.id],
  });
  // Their dead letter is blanked and discarded (nothing to replay); the other user's stays as it was.
  expect(await h.store.deadLetterQueue.get(forgottenLetter)).toMatchObject({
    status: 'DISCARDED',
    resolved_by: 'forget-me',
    failed_event_payload: {
      message: { content: '(deleted at the user’s request)', authorId: '(deleted at the user’s request)' },
    },
  });
  expect(await h.store.deadLetterQueue.get(othersLetter)).toMatchObject({
    status: 'PENDING',
    failed_event_payload: { message: { content: 'Brian, this one failed for me too.', authorId: other.id } },
  });
  // The record: who, when, at whose request, how much; none of the content.
  const [deletion, ...more] = await dataDeletions.forUser(forgotten.id);
  expect(more).toEqual([]);
  expect(deletion).toMatchObject({
    user_id: forgotten.id,
    requested_by: `discord:${forgotten.id}`,
    counts: {
      conversation_history: 2,
      conversation_sessions: 2,
      dead_letter_queue: 1,
      fine_tuning_data: 2,
      user_notes: 1,
      conversation_summaries: 1,
    },
  });
  // The averages no longer count their rating: the other user's 4 alone.
  expect((await h.store.metricTotals.current()).get('user.count')).toBe(1);

  // A fresh backup: none of their words anywhere (the deletion record is there), the other user's intact.
  const backup = await dumpedCollections();
  const all = [...backup.values()].join('\n');
  for (const said of [...SAID.forgotten, 'Peter, this one failed for me.']) expect(all).not.toContain(said);
  for (const said of SAID.other) expect(backup.get('conversation_history')).toContain(said);
  expect(backup.get('data_deletions')).toContain(forgotten.id);
  for (const collection of [
    'conversation_history',
    'fine_tuning_data',
    'user_notes',
    'conversation_summaries',
    'dead_letter_queue',
  ])
    expect(backup.get(collection) ?? '').not.toContain(forgotten.id);
});

it('forgets a user through the admin API too, and lists the deletions of their data', async () => {
  const admin = await h.startAdmin('forget-me-token');
  const api = (method: 'GET' | 'POST', path: string) =>
    fetch(`${admin.url}${path}`, { method, headers: { authorization: 'Bearer forget-me-token' } }).then(
      async (response) => ({
        status: response.status,
        body: (await response.json()) as Record<string, unknown>,
      }),
    );
  try {
    const channelId = h.discord.createTextChannel('forget-me-admin');
    const user = { id: '870000000000000003', username: 'admin_forgotten' };
    await say(channelId, user, 'Stewie, I prefer tea.', 'Stewie');
    const forgot = await api('POST', `/users/${user.id}/forget`);
    expect(forgot).toMatchObject({
      status: 200,
      body: {
        counts: {
          conversation_history: 1,
          conversation_sessions: 1,
          fine_tuning_data: 0,
          dead_letter_queue: 0,
        },
      },
    });
    expect(await h.store.conversationHistory.collection.countDocuments({ user_id: user.id })).toBe(0);
    const listed = await api('GET', `/users/${user.id}/deletions`);
    expect(listed.body.deletions).toEqual([
      expect.objectContaining({ _id: forgot.body.deletion_id, user_id: user.id, requested_by: 'admin' }),
    ]);
    expect((await api('POST', '/users/not-a-user/forget')).status).toBe(400);
  } finally {
    await admin.close();
  }
});
