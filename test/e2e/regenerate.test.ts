/**
 * Regenerate (issue 16): the person a character answered reacts 🔄 or uses /regenerate, and a new
 * candidate replaces the reply in Discord (every part edited in place) and on its turn, the replaced one
 * kept as dispreferred; through the real discord.js bots on the fake Discord, the real Temporal and
 * FerretDB, and the scripted Ollama. Also /cast, which every bot registers beside /rate and /regenerate.
 */
import { splitMessage } from '../../src/discord/split';
import type { ConversationTurn } from '../../src/store/conversationHistory';
import type { FineTuningEntry } from '../../src/store/fineTuningData';
import { sessionIdFor } from '../../src/store/sessionId';
import {
  reactionRegenerateWorkflowId,
  type RegenerateOutcome,
} from '../../src/workflows/contracts/regenerate';
import { replyWorkflowId, type ReplyResult } from '../../src/workflows/contracts/reply';
import { waitFor } from '../fakes/waitFor';
import { CHARACTERS, startHarness, type CharacterName, type Harness } from './harness';

const LIMIT = 2;
/** A character without a bot of its own: the cast bot posts and edits its replies through a webhook. */
const QUAGMIRE = 'Glenn_Quagmire';
let h: Harness;

beforeAll(async () => {
  // Both voices: the three with bots of their own, and the cast bot (webhook mode) for a character added here.
  h = await startHarness({
    voices: 'both',
    env: { REGENERATE_MAX_PER_REPLY: String(LIMIT), OLLAMA_NUM_PREDICT: '4096' },
  });
  await waitFor(
    () =>
      CHARACTERS.every((name) =>
        ['rate', 'regenerate', 'cast'].every((command) =>
          h.discord.commands(h.botUsers[name].id).some((c) => c.name === command),
        ),
      ),
    { what: 'every bot to register /rate, /regenerate and /cast' },
  );
});

afterAll(async () => {
  await h?.stop();
});

afterEach(() => {
  h.ollama.recover();
  h.ollama.release();
});

let userCount = 0;
/** A fresh human for each test, so "the newest reply to you" never mixes tests. */
function newUser(): { id: string; username: string } {
  userCount += 1;
  return { id: `91000000000000${String(userCount).padStart(4, '0')}`, username: `asker${userCount}` };
}

interface PostedReply {
  /** The Discord messages of the reply's parts. */
  parts: string[];
  result: ReplyResult;
}

/** `user` addresses `character`, who answers `text`. */
async function askedBy(
  user: { id: string; username: string },
  character: CharacterName | typeof QUAGMIRE,
  text: string,
): Promise<PostedReply> {
  h.ollama.reply(text);
  const message = await h.discord.userSays({
    channelId: h.channelId,
    author: user,
    content: `${character.replace('_', ' ')}, tell me something`,
  });
  const result: ReplyResult = await waitFor(() =>
    h.temporal.workflow.getHandle(replyWorkflowId(message.id, character)).result(),
  );
  if (result.deliveredMessageIds.length === 0) throw new Error('the reply was not delivered');
  return { parts: result.deliveredMessageIds, result };
}

function turnOf(reply: PostedReply): Promise<ConversationTurn | null> {
  return h.store.conversationHistory.findByResponseId(reply.result.responseId);
}

function regenerationEntries(responseId: string): Promise<FineTuningEntry[]> {
  return h.store.fineTuningData.collection
    .find({ response_id: responseId, rating_type: 'USER_REGENERATED' })
    .toArray();
}

/** The outcome of `userId`'s 🔄 on `messageId` (its run, which regenerates through the reply's own). */
function reactionOutcome(messageId: string, userId: string): Promise<RegenerateOutcome> {
  return waitFor(
    () =>
      h.temporal.workflow
        .getHandle(reactionRegenerateWorkflowId(messageId, userId))
        .result() as Promise<RegenerateOutcome>,
    { what: 'the regeneration to finish' },
  );
}

function contentOf(messageId: string): string | undefined {
  return h.discord.messages(h.channelId).find((message) => message.id === messageId)?.content;
}

/** `user` uses `character`'s /regenerate and waits for the answer only they see. */
async function useRegenerate(
  character: CharacterName,
  user: { id: string; username: string },
  options: Record<string, string> = {},
) {
  const { id } = await h.discord.useCommand({
    applicationId: h.botUsers[character].id,
    channelId: h.channelId,
    user,
    name: 'regenerate',
    options,
  });
  return waitFor(
    () => {
      const response = h.discord.interactionResponse(id);
      return response?.content ? response : undefined;
    },
    { what: `the answer to /regenerate of ${character}` },
  );
}

/** A text of two Discord messages: `words` repeated past 2000 characters. */
function twoParts(words: string): string {
  const sentence = `${words} `;
  return sentence.repeat(Math.ceil(2600 / sentence.length)).trim();
}

describe('🔄 on a reply', () => {
  it('by the person answered: every part is edited to a new reply, and both candidates are stored', async () => {
    const asker = newUser();
    const originalText = twoParts('Holy crap, Lois, the chicken is back again.');
    const reply = await askedBy(asker, 'Peter', originalText);
    expect(reply.parts).toHaveLength(2);

    const newText = twoParts('Freakin sweet, I am going to the Clam tonight.');
    h.ollama.reply(newText);
    const before = h.ollama.requests.length;
    await h.discord.react(asker.id, h.channelId, reply.parts[0] as string, '🔄');
    expect(await reactionOutcome(reply.parts[0] as string, asker.id)).toMatchObject({
      status: 'regenerated',
      character: 'Peter',
      regenerations: 1,
      limit: LIMIT,
    });

    // Discord: both parts edited in place, once each, to the new parts.
    const newParts = splitMessage(newText);
    expect(newParts).toHaveLength(2);
    reply.parts.forEach((id, index) => {
      expect(h.discord.editsOf(id)).toEqual([newParts[index]]);
      expect(contentOf(id)).toBe(newParts[index]);
    });

    // The model was asked once, for something other than the original.
    const asked = h.ollama.requests.slice(before);
    expect(asked).toHaveLength(1);
    const system = asked[0]?.body.messages?.[0]?.content ?? '';
    expect(system).toContain('ANSWER DIFFERENTLY');
    expect(system).toContain('Holy crap, Lois, the chicken is back again.');
    expect(asked[0]?.body.messages?.at(-1)?.content).toBe('Peter, tell me something');

    // The turn keeps both candidates, the new one standing; the session document shows it too.
    const turn = await turnOf(reply);
    expect(turn).toMatchObject({
      message_content: newText,
      llm_response_final: newText,
      chosen_candidate: 1,
      delivered_message_ids: reply.parts,
    });
    expect(turn?.candidates?.map((c) => [c.source, c.text, c.requested_by])).toEqual([
      ['original', originalText, null],
      ['regenerate', newText, asker.id],
    ]);
    const session = await h.store.conversationHistory.sessions.get(sessionIdFor(h.channelId));
    expect(session?.recent.find((recent) => recent._id === turn?._id)?.message_content).toBe(newText);

    // The replaced candidate is dispreferred, and counts as no user rating.
    expect(await regenerationEntries(reply.result.responseId)).toEqual([
      expect.objectContaining({
        _id: `regen:${reply.result.responseId}:0`,
        rating_type: 'USER_REGENERATED',
        rating_score: 1,
        rated_by: asker.id,
        response_text: originalText,
        character_name: 'Peter',
        feedback_text: 'replaced by a regeneration',
      }),
    ]);
    const userRatings = await h.store.fineTuningData.userRatingAverages();
    expect(userRatings.has(reply.result.responseId)).toBe(false);
  });

  it('by someone else: nothing is generated, edited or stored', async () => {
    const asker = newUser();
    const reply = await askedBy(asker, 'Brian', 'I am working on my novel, thank you very much.');
    const before = h.ollama.requests.length;

    const other = newUser();
    await h.discord.react(other.id, h.channelId, reply.parts[0] as string, '🔄');
    expect(await reactionOutcome(reply.parts[0] as string, other.id)).toEqual({
      status: 'not-yours',
      character: 'Brian',
    });

    expect(h.ollama.requests.length).toBe(before);
    expect(h.discord.editsOf(reply.parts[0] as string)).toEqual([]);
    expect((await turnOf(reply))?.candidates).toBeUndefined();
    expect(await regenerationEntries(reply.result.responseId)).toEqual([]);
  });

  it('twice while it is regenerating (🔄, taken away, 🔄 again): one regeneration', async () => {
    const asker = newUser();
    const reply = await askedBy(asker, 'Stewie', 'Victory is mine!');
    const [messageId] = reply.parts as [string];
    const before = h.ollama.requests.length;
    h.ollama.reply('Blast! Curse you and your tiny ears.');
    h.ollama.hold();

    await h.discord.react(asker.id, h.channelId, messageId, '🔄');
    await h.ollama.waitForHeld(1);
    await h.discord.unreact(asker.id, h.channelId, messageId, '🔄');
    await h.discord.react(asker.id, h.channelId, messageId, '🔄');
    // A rating reaction afterwards: once it is recorded, Stewie's bot has handled the 🔄 before it.
    await h.discord.react(asker.id, h.channelId, messageId, '👍');
    await waitFor(
      async () =>
        (await h.store.fineTuningData.collection.countDocuments({
          response_id: reply.result.responseId,
          rating_type: 'USER_SUBMITTED',
        })) === 1,
      { what: 'the rating after the second 🔄' },
    );
    h.ollama.release();

    expect(await reactionOutcome(messageId, asker.id)).toMatchObject({
      status: 'regenerated',
      regenerations: 1,
    });
    expect(h.ollama.requests.length - before).toBe(1);
    expect(h.discord.editsOf(messageId)).toEqual(['Blast! Curse you and your tiny ears.']);
    expect((await turnOf(reply))?.candidates).toHaveLength(2);
    expect(await regenerationEntries(reply.result.responseId)).toHaveLength(1);
  });
});

describe('/regenerate', () => {
  it('rewrites the newest reply to the caller, at most REGENERATE_MAX_PER_REPLY times, and tells them', async () => {
    const asker = newUser();
    const older = await askedBy(asker, 'Brian', 'An older thought on Proust.');
    const newest = await askedBy(asker, 'Brian', 'A dry martini is a work of art.');
    // Someone else's newer reply from Brian is not the caller's.
    await askedBy(newUser(), 'Brian', 'Not your business.');

    const texts = ['Martinis are poetry in a glass.', 'Frankly, gin is the only honest spirit.'];
    for (const [index, text] of texts.entries()) {
      h.ollama.reply(text);
      const answer = await useRegenerate('Brian', asker);
      expect(answer.ephemeral).toBe(true);
      expect(answer.content).toBe(
        `Done: Brian's reply was rewritten (${index + 1} of ${LIMIT} regenerations used).`,
      );
      expect(contentOf(newest.parts[0] as string)).toBe(text);
    }
    const limited = await useRegenerate('Brian', asker);
    expect(limited.content).toBe(
      `Brian's reply has been regenerated ${LIMIT} times already, the most allowed.`,
    );

    const turn = await turnOf(newest);
    expect(turn?.candidates?.map((c) => c.text)).toEqual(['A dry martini is a work of art.', ...texts]);
    expect(turn?.chosen_candidate).toBe(2);
    expect((await regenerationEntries(newest.result.responseId)).map((e) => e.response_text).sort()).toEqual(
      ['A dry martini is a work of art.', texts[0]].sort(),
    );
    expect((await turnOf(older))?.candidates).toBeUndefined();
  });

  it("refuses someone else's reply (named by link) and says when there is nothing to regenerate", async () => {
    const asker = newUser();
    const reply = await askedBy(asker, 'Peter', 'Roadhouse!');
    const link = `https://discord.com/channels/${h.discord.guildId}/${h.channelId}/${reply.parts[0]}`;

    const notYours = await useRegenerate('Peter', newUser(), { message: link });
    expect(notYours.content).toBe(
      'That reply of Peter answered someone else: only the person it answered can regenerate it.',
    );
    const nothing = await useRegenerate('Stewie', newUser());
    expect(nothing.content).toBe(
      'No character has replied to you in this channel yet, so there is nothing to regenerate.',
    );
    expect(h.discord.editsOf(reply.parts[0] as string)).toEqual([]);
    expect((await turnOf(reply))?.candidates).toBeUndefined();
  });
});

describe('webhook mode (the cast bot)', () => {
  beforeAll(async () => {
    await h.store.characterRoster.add({
      name: QUAGMIRE,
      aliases: ['quagmire'],
      fallback_line: 'Giggity.',
      talkativeness: 0.5,
      organic_starters: [],
      avatar: null,
      avatar_url: null,
      source: 'admin',
      card: null,
    });
    await h.store.characterPrompts.create({
      character_name: QUAGMIRE,
      prompt_version: 'v1.0',
      prompt_text: 'You are Glenn Quagmire.',
      is_default: true,
      ab_test_percentage: 0,
      fallback_line: 'Giggity.',
      based_on: null,
      created_by: 'test',
      reason: 'test character',
    });
    await h.roster.refresh();
  });

  it("edits the webhook post on 🔄, and the cast bot's /regenerate finds the caller's reply", async () => {
    const asker = newUser();
    const reply = await askedBy(asker, QUAGMIRE, 'Giggity giggity, alright!');
    const [post] = reply.parts as [string];
    expect(h.discord.webhookMessages(h.channelId).map((m) => m.id)).toContain(post);

    h.ollama.reply('Oh, hello there, Lois.');
    await h.discord.react(asker.id, h.channelId, post, '🔄');
    expect(await reactionOutcome(post, asker.id)).toMatchObject({
      status: 'regenerated',
      character: QUAGMIRE,
    });
    expect(h.discord.editsOf(post)).toEqual(['Oh, hello there, Lois.']);

    h.ollama.reply('All right, all right, all right.');
    const { id } = await h.discord.useCommand({
      applicationId: h.castBot?.id ?? '',
      channelId: h.channelId,
      user: asker,
      name: 'regenerate',
    });
    const answer = await waitFor(() => h.discord.interactionResponse(id)?.content ?? undefined, {
      what: "the cast bot's answer",
    });
    expect(answer).toBe(`Done: Glenn Quagmire's reply was rewritten (2 of ${LIMIT} regenerations used).`);
    expect(h.discord.editsOf(post)).toEqual(['Oh, hello there, Lois.', 'All right, all right, all right.']);
    expect((await turnOf(reply))?.candidates?.map((c) => c.text)).toEqual([
      'Giggity giggity, alright!',
      'Oh, hello there, Lois.',
      'All right, all right, all right.',
    ]);
  });
});

describe('/cast', () => {
  it('lists who is here and how to address each, only to the caller', async () => {
    const { id } = await h.discord.useCommand({
      applicationId: h.botUsers.Stewie.id,
      channelId: h.channelId,
      name: 'cast',
    });
    const answer = await waitFor(() => h.discord.interactionResponse(id)?.content ?? undefined, {
      what: 'the answer to /cast',
    });
    expect(h.discord.interactionResponse(id)?.ephemeral).toBe(true);
    for (const name of CHARACTERS) {
      expect(answer).toContain(`**${name}**`);
      expect(answer).toContain(`<@${h.botUsers[name].id}>`);
    }
    // The character of the cast bot (added above) has no bot to mention: it is addressed by name.
    expect(answer).toContain('**Glenn Quagmire** (also: quagmire): say "Glenn Quagmire" in your message');
  });
});
