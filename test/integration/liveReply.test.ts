/**
 * generateLiveReply against the fake Discord through the real poster (@discordjs/rest), run as Temporal
 * runs it (@temporalio/testing's MockActivityEnvironment): an attempt that dies part-way after posting two
 * parts, then its retry without any heartbeat having arrived (the worst case: the ids never reached
 * Temporal). The retry must edit the same two messages, found by their nonces, and end with the final
 * text; a failing attempt reports the ids it posted, for the workflow's fallback.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import { createLlmActivities } from '../../src/activities/llm';
import type { RosterView } from '../../src/characters/liveRoster';
import type { RosterEntry } from '../../src/characters/profile';
import { createDiscordPoster } from '../../src/discord/rest';
import { splitMessage } from '../../src/discord/split';
import type { LlmClient } from '../../src/llm/ollamaChat';
import type { LiveReplyInput } from '../../src/workflows/contracts/reply';
import { startFakeDiscord, type FakeDiscord } from '../fakes/fakeDiscord';

jest.setTimeout(30_000);

/** About 2,500 characters in sentences: two parts. */
const FINAL = Array.from(
  { length: 30 },
  (_, i) => `Sentence ${i + 1} of my manifesto, in which I explain why the broccoli must be destroyed.`,
).join(' ');

let fake: FakeDiscord;
let stewie: { id: string; token: string };

beforeAll(async () => {
  fake = await startFakeDiscord();
  stewie = fake.addBot({ token: 'stewie-token', username: 'Stewie' });
});

afterAll(async () => {
  await fake?.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A model that writes `text` a sentence at a time, 5 ms apart (its label first, which cleaning removes).
 * `dies`: after that many sentences it keeps reporting what it wrote (as the chat client's ticker does)
 * until `shown()`, then its connection dies.
 */
function streamingModel(text: string, dies?: { after: number; shown: () => boolean }): LlmClient {
  return {
    async chat(_messages, { onProgress } = {}) {
      let written = 'Stewie: ';
      for (const [index, sentence] of text.split(/(?<=\.) /).entries()) {
        if (index === dies?.after) {
          while (!dies.shown()) {
            onProgress?.(written.length, written);
            await sleep(20);
          }
          throw new Error('socket hang up');
        }
        written += `${sentence} `;
        onProgress?.(written.length, written);
        await sleep(5);
      }
      return { text: written, cutOff: false };
    },
  };
}

function liveActivity(llm: LlmClient) {
  const roster = { active: () => [{ name: 'Stewie' }, { name: 'Peter' }] as RosterEntry[] };
  return createLlmActivities({
    llm,
    roster: roster as unknown as RosterView,
    discord: createDiscordPoster(fake.apiUrl, { stewie: stewie.token }),
    live: { byDefault: true, editIntervalMs: 0, botCharacters: ['stewie'] },
  }).generateLiveReply;
}

it('a retry whose heartbeat never arrived edits the parts the first attempt posted, and ends with the final text', async () => {
  const channelId = fake.createTextChannel('live-retry');
  const asked = await fake.userSays({ channelId, content: 'Stewie, your manifesto?' });
  const input: LiveReplyInput = {
    prompt: {
      character: 'Stewie',
      systemPrompt: 'You are Stewie.',
      history: [],
      context: [],
      userMessage: asked.content,
    },
    responseId: `reply-${asked.id}-stewie`,
    channelId,
    replyTo: asked.id,
  };

  // The first attempt posts both parts, then the model's connection dies. It dies once the activity has
  // both ids (its heartbeat says so; the fake holding both messages is not enough: the second post's answer
  // may still be on its way), so that its failure can report them.
  const first = new MockActivityEnvironment();
  let heartbeatIds: unknown = [];
  first.on('heartbeat', (details: unknown) => {
    if (Array.isArray(details)) heartbeatIds = details;
  });
  const bothParts = () => Array.isArray(heartbeatIds) && heartbeatIds.length === 2;
  const failure = await first
    .run(liveActivity(streamingModel(FINAL, { after: 26, shown: bothParts })), input)
    .catch((err: unknown) => err);
  const posted = fake.botMessages(channelId);
  expect(posted).toHaveLength(2);
  expect(failure).toBeInstanceOf(ApplicationFailure);
  expect((failure as ApplicationFailure).details).toEqual([posted.map((m) => m.id)]);

  // Its retry knows nothing of them (no heartbeat arrived) and writes the reply again.
  const retry = new MockActivityEnvironment({ attempt: 2, heartbeatDetails: undefined });
  const result = await retry.run(liveActivity(streamingModel(FINAL)), input);

  const now = fake.botMessages(channelId);
  expect(now.map((m) => m.id)).toEqual(posted.map((m) => m.id));
  expect(now.map((m) => m.content)).toEqual(splitMessage(FINAL));
  expect(result).toEqual({
    reply: { raw: `Stewie: ${FINAL} `, final: FINAL },
    postedIds: posted.map((m) => m.id),
  });
  expect(now[0]?.message_reference?.message_id).toBe(asked.id);
  expect(fake.deletedMessages(channelId)).toEqual([]);
});
