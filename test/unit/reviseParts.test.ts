/**
 * reviseParts against the fake Discord, through the real poster (@discordjs/rest): a reply's messages
 * edited in place to a new text that needs more parts, fewer or as many, for a character with its own
 * bot (edits of its messages, posts with nonces) and one in webhook mode (through the cast bot's channel
 * webhook); and a retry after a lost answer, which must leave every part exactly once.
 */
import { createDiscordPoster, type DiscordPoster } from '../../src/discord/rest';
import { reviseParts, type RevisePartsInput } from '../../src/discord/reviseParts';
import { splitMessage } from '../../src/discord/split';
import { startFakeDiscord, type FakeDiscord, type StoredMessage } from '../fakes/fakeDiscord';

jest.setTimeout(30_000);

/** About 4,500 characters in sentences: three parts. */
const THREE_PARTS = Array.from(
  { length: 60 },
  (_, i) => `Sentence ${i} of a very long story about the Drunken Clam and the chicken.`,
).join(' ');
/** Three other parts. */
const THREE_OTHER_PARTS = THREE_PARTS.replaceAll('chicken', 'giant chicken').replaceAll('Sentence', 'Line');
const POST = /^\/channels\/\d+\/messages$|^\/webhooks\/\d+\/[^/]+$/;

let fake: FakeDiscord;
let discord: DiscordPoster;

beforeAll(async () => {
  fake = await startFakeDiscord();
  const cast = fake.addBot({ token: 'cast-token', username: 'Quahog Cast' });
  const brian = fake.addBot({ token: 'brian-token', username: 'Brian' });
  discord = createDiscordPoster(
    fake.apiUrl,
    { brian: brian.token },
    { token: cast.token, avatarFor: async () => null },
  );
});

afterAll(async () => {
  await fake?.close();
});

describe.each([
  ['with its own bot', 'Brian'],
  ['in webhook mode', 'Peter'],
])('reviseParts for a character %s', (mode, character) => {
  const webhookMode = mode === 'in webhook mode';
  let channelId: string;
  let asked: StoredMessage;
  let n = 0;

  beforeEach(async () => {
    channelId = fake.createTextChannel(`revise-${character}-${++n}`);
    asked = await fake.userSays({ channelId, content: `${character}, tell me a story` });
  });

  const input = (posted: string[], text: string, prefix = `revision-${n}`): RevisePartsInput => ({
    character,
    channelId,
    posted,
    text,
    replyTo: asked.id,
    idempotencyPrefix: prefix,
  });
  /** The reply as first delivered: posted by reviseParts itself from nothing. */
  const deliver = (text: string) => reviseParts(discord, input([], text, `reply-${n}`));
  /** What the channel shows of the character, in order. */
  const shown = () => fake.messages(channelId).filter((message) => message.id !== asked.id);
  const posts = (since: number) =>
    fake.restCalls.slice(since).filter((call) => call.method === 'POST' && POST.test(call.path));

  test('a text needing more parts: the first edited in place, the others posted after it', async () => {
    const [first] = await deliver('Once upon a time.');
    const progress: string[][] = [];
    const ids = await reviseParts(discord, input([first as string], THREE_PARTS), (now) =>
      progress.push(now),
    );
    expect(ids[0]).toBe(first);
    expect(ids).toHaveLength(3);
    expect(shown().map((message) => [message.id, message.content])).toEqual(
      splitMessage(THREE_PARTS).map((part, index) => [ids[index], part]),
    );
    expect(fake.editsOf(first as string)).toEqual([splitMessage(THREE_PARTS)[0]]);
    expect(progress.at(-1)).toEqual(ids);
    if (!webhookMode) {
      // Only the first part answers the user's message, and it still does after the edit.
      expect(shown().map((message) => message.message_reference?.message_id ?? null)).toEqual([
        asked.id,
        null,
        null,
      ]);
    }
    expect(shown().every((message) => message.edited_timestamp === null || message.id === first)).toBe(true);
  });

  test('a text needing fewer parts: the first edited, the surplus deleted, the last first', async () => {
    const posted = await deliver(THREE_PARTS);
    const progress: string[][] = [];
    const ids = await reviseParts(discord, input(posted, 'The end.'), (now) => progress.push(now));
    expect(ids).toEqual(posted.slice(0, 1));
    expect(shown().map((message) => message.content)).toEqual(['The end.']);
    expect(fake.deletedMessages(channelId).map((message) => message.id)).toEqual([posted[2], posted[1]]);
    expect(progress).toEqual([posted, posted.slice(0, 2), posted.slice(0, 1)]);
  });

  test('as many parts: each edited once, nothing posted or deleted; parts already showing their text are left', async () => {
    const posted = await deliver(THREE_PARTS);
    const calls = fake.restCalls.length;
    const ids = await reviseParts(discord, input(posted, THREE_OTHER_PARTS));
    expect(ids).toEqual(posted);
    expect(shown().map((message) => message.content)).toEqual(splitMessage(THREE_OTHER_PARTS));
    expect(posted.map((id) => fake.editsOf(id).length)).toEqual([1, 1, 1]);
    expect(posts(calls)).toEqual([]);
    expect(fake.deletedMessages(channelId)).toEqual([]);

    // Knowing what they show, only the part that changes is edited.
    const lastChanged = `${THREE_OTHER_PARTS} And a moral.`;
    await reviseParts(discord, { ...input(posted, lastChanged), shown: THREE_OTHER_PARTS });
    expect(posted.map((id) => fake.editsOf(id).length)).toEqual([1, 1, 2]);
    expect(shown().map((message) => message.content)).toEqual(splitMessage(lastChanged));
  });

  test('an answer lost on a post, then a retry from the last progress: every part exactly once', async () => {
    const [first] = await deliver('Once upon a time.');
    const progress: string[][] = [];
    // The first new part is posted, its answer lost.
    const failAt = webhookMode ? /^\/webhooks\/\d+\/[^/]+$/ : /^\/channels\/\d+\/messages$/;
    fake.failNext({ method: 'POST', path: failAt, status: 500, times: 1, afterEffect: true });
    const attempt = input([first as string], THREE_PARTS);
    await expect(reviseParts(discord, attempt, (now) => progress.push(now))).rejects.toMatchObject({
      status: 500,
    });
    expect(shown()).toHaveLength(2);
    expect(progress.at(-1)).toEqual([first]);

    const ids = await reviseParts(discord, { ...attempt, posted: progress.at(-1) as string[] });
    expect(shown().map((message) => [message.id, message.content])).toEqual(
      splitMessage(THREE_PARTS).map((part, index) => [ids[index], part]),
    );
    expect(fake.deletedMessages(channelId)).toEqual([]);
  });

  test('an empty text is refused before anything is touched', async () => {
    const posted = await deliver('Once upon a time.');
    await expect(reviseParts(discord, input(posted, '  \n '))).rejects.toThrow(/empty/);
    expect(shown().map((message) => message.content)).toEqual(['Once upon a time.']);
  });
});

test("a retry whose nonce brings back an earlier attempt's post (other text) edits it to the new text", async () => {
  const channelId = fake.createTextChannel('nonce-earlier-text');
  const [first] = await reviseParts(discord, {
    character: 'Brian',
    channelId,
    posted: [],
    text: 'Well.',
    replyTo: null,
    idempotencyPrefix: 'live-1',
  });
  const draft = `${'Draft sentence. '.repeat(140)}`;
  fake.failNext({ method: 'POST', path: /^\/channels\/\d+\/messages$/, status: 500, afterEffect: true });
  const earlier = { character: 'Brian', channelId, replyTo: null, idempotencyPrefix: 'live-1' };
  await expect(
    reviseParts(discord, { ...earlier, posted: [first as string], text: draft }),
  ).rejects.toMatchObject({ status: 500 });

  // The retry writes another text: its second part meets the nonce of the draft's second part.
  const final = `${'Final sentence. '.repeat(140)}`;
  const ids = await reviseParts(discord, { ...earlier, posted: [first as string], text: final });
  expect(ids).toHaveLength(2);
  expect(fake.messages(channelId).map((message) => message.content)).toEqual(splitMessage(final));
});
