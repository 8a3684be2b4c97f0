/**
 * Live replies through the real bots, worker (in process, then as killed and restarted processes), Temporal
 * and FerretDB, the fake Discord and the scripted Ollama streaming slowly: the reply is posted while the
 * model still writes, edited as it grows, split past 2000 characters, ends with the cleaned text, and is
 * still exactly one set of messages after the worker is killed mid-stream.
 */
import type { ChildProcess } from 'node:child_process';
import { splitMessage } from '../../src/discord/split';
import { replyWorkflowId, type ReplyResult } from '../../src/workflows/contracts/reply';
import type { StoredMessage } from '../fakes/discord/messages';
import { waitFor } from '../fakes/waitFor';
import { startHarness, type Harness } from './harness';
import { kill, startWorkerProcess } from './processes';

const TOKEN = 'live-replies-test-token';
let h: Harness;
let admin: Awaited<ReturnType<Harness['startAdmin']>>;
const workers: ChildProcess[] = [];

beforeAll(async () => {
  // LIVE_REPLIES stays off: the channel turns them on for itself.
  h = await startHarness({ env: { LIVE_EDIT_INTERVAL_MS: '250', OLLAMA_NUM_PREDICT: '4096' } });
  admin = await h.startAdmin(TOKEN);
  const put = await fetch(`${admin.url}/channels/${h.channelId}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ live_replies: true }),
  });
  expect(await put.json()).toMatchObject({ channel_id: h.channelId, live_replies: true });
});

afterAll(async () => {
  await Promise.all(workers.map(kill));
  await admin?.close();
  await h?.stop();
});

/** Stewie's messages in the channel, oldest first. */
const stewiesMessages = (channelId = h.channelId): StoredMessage[] =>
  h.discord.botMessages(channelId).filter((m) => m.author.id === h.botUsers.Stewie.id);

const resultOf = (messageId: string): Promise<ReplyResult> =>
  h.temporal.workflow.getHandle(replyWorkflowId(messageId, 'Stewie')).result();

/** `count` sentences of about 85 characters each: a reply long enough to need several messages. */
const sentences = (count: number): string =>
  Array.from(
    { length: count },
    (_, i) => `Sentence ${i + 1} of my manifesto, in which I explain why the broccoli must be destroyed.`,
  ).join(' ');

it('posts the reply while the model writes, edits it as it grows, and ends with the cleaned text', async () => {
  const final = 'Blast! You again. ' + sentences(6);
  // The model labels its line ("Stewie:"), which cleaning removes from what is shown.
  h.ollama.enqueue({
    text: `Stewie: ${final}`,
    stream: { pieces: 40, pieceDelayMs: 40, holdAfterPieces: 6 },
  });
  const message = await h.discord.userSays({
    channelId: h.channelId,
    content: 'Stewie, what are you writing?',
  });

  // Posted early: visible while the model is paused after six pieces.
  await h.ollama.waitForHeld(1, 30_000);
  const early = await h.discord.replyTo(message.id, 30_000);
  expect(final.startsWith(early.content)).toBe(true);
  expect(early.content.length).toBeLessThan(final.length);
  h.ollama.release();

  const result = await resultOf(message.id);
  const [reply] = stewiesMessages().filter((m) => m.message_reference?.message_id === message.id);
  expect(reply?.content).toBe(final);
  expect(result).toMatchObject({ text: final, usedFallback: false, deliveredMessageIds: [reply?.id] });
  // Several edits, each showing more of the text, the last one the final text.
  const edits = h.discord.editsOf(early.id);
  expect(edits.length).toBeGreaterThanOrEqual(3);
  expect(edits.at(-1)).toBe(final);
  for (const [i, edit] of edits.entries()) {
    expect(final.startsWith(edit)).toBe(true);
    expect(edit.length).toBeGreaterThanOrEqual(edits[i - 1]?.length ?? 0);
  }
  // Stored once, with the posted message, without posting again.
  const turn = await h.store.conversationHistory.findByResponseId(result.responseId);
  expect(turn).toMatchObject({ message_content: final, delivered_message_ids: [early.id] });
  expect(stewiesMessages().filter((m) => m.id !== early.id && m.content === final)).toEqual([]);
});

it('posts the reply once complete in a channel without live replies (LIVE_REPLIES is off)', async () => {
  const channelId = h.discord.createTextChannel('not-live');
  const final = 'Blast! ' + sentences(6);
  h.ollama.enqueue({ text: final, stream: { pieces: 40, pieceDelayMs: 40 } });
  const message = await h.discord.userSays({ channelId, content: 'Stewie, what are you writing?' });

  const reply = await h.discord.replyTo(message.id, 30_000);
  expect(reply.content).toBe(final);
  await resultOf(message.id);
  expect(h.discord.editsOf(reply.id)).toEqual([]);
  expect(stewiesMessages(channelId).map((m) => m.content)).toEqual([final]);
});

it('splits a live reply past 2000 characters over several messages, each edited as the text reaches it', async () => {
  const final = sentences(60); // about 5,000 characters: three messages
  h.ollama.enqueue({ text: final, stream: { pieces: 60, pieceDelayMs: 50 } });
  const before = stewiesMessages().length;
  const message = await h.discord.userSays({
    channelId: h.channelId,
    content: 'Stewie, the whole manifesto!',
  });

  await h.discord.replyTo(message.id, 30_000); // the workflow is started by then
  const result = await resultOf(message.id);
  const posted = stewiesMessages().slice(before);
  const parts = splitMessage(final);
  expect(parts).toHaveLength(3);
  expect(posted.map((m) => m.content)).toEqual(parts);
  expect(result.deliveredMessageIds).toEqual(posted.map((m) => m.id));
  expect(posted[0]?.message_reference?.message_id).toBe(message.id);
  expect(posted.slice(1).every((m) => m.message_reference === undefined)).toBe(true);
  // The first message was shown and edited before the text outgrew it.
  expect(h.discord.editsOf(posted[0]?.id ?? '').length).toBeGreaterThanOrEqual(2);
  expect(h.discord.deletedMessages(h.channelId)).toEqual([]);
});

it('shows a reply exactly once when the worker is killed mid-stream: the retry edits the same messages', async () => {
  await h.stopWorker();
  const first = await startWorkerProcess(h.workerEnv);
  workers.push(first);
  const final = sentences(30); // about 2,500 characters: two messages
  // The killed worker's stream pauses past the first 2000 characters; its successor's runs through.
  h.ollama.enqueue(
    { text: final, stream: { pieces: 30, pieceDelayMs: 20, holdAfterPieces: 24 } },
    { text: final, stream: { pieces: 30, pieceDelayMs: 20 } },
  );
  const before = stewiesMessages().length;
  const message = await h.discord.userSays({ channelId: h.channelId, content: 'Stewie, again, slowly.' });

  await h.ollama.waitForHeld(1, 30_000);
  await waitFor(() => stewiesMessages().length - before === 2, {
    timeoutMs: 30_000,
    what: 'both parts posted before the kill',
  });
  const postedBeforeKill = stewiesMessages().slice(before);
  await kill(first);
  h.ollama.release();
  workers.push(await startWorkerProcess(h.workerEnv));

  const result = await resultOf(message.id);
  const posted = stewiesMessages().slice(before);
  expect(posted.map((m) => m.id)).toEqual(postedBeforeKill.map((m) => m.id));
  expect(posted.map((m) => m.content)).toEqual(splitMessage(final));
  expect(result).toMatchObject({ usedFallback: false, deliveredMessageIds: posted.map((m) => m.id) });
  expect(h.discord.deletedMessages(h.channelId)).toEqual([]);
  // The model was asked twice: by the killed worker and by its successor.
  expect(h.ollama.requests.filter((r) => r.body.messages?.at(-1)?.content === message.content)).toHaveLength(
    2,
  );
  const turns = await h.store.conversationHistory.collection
    .find({ response_id: result.responseId })
    .toArray();
  expect(turns.map((t) => t.delivered_message_ids)).toEqual([result.deliveredMessageIds]);
});
