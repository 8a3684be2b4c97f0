/**
 * Users rate the characters' replies (issue 4): rating reactions and /rate, through the real
 * discord.js bots on the fake Discord, into fine_tuning_data on the real Temporal and FerretDB.
 */
import type { WorkflowExecutionInfo } from '@temporalio/client';
import { parseMessageReference } from '../../src/bots/messageReference';
import { reactionScore } from '../../src/bots/ratings';
import type { UserRating } from '../../src/store/fineTuningData';
import { replyWorkflowId, type ReplyResult } from '../../src/workflows/contracts/reply';
import {
  USER_RATING_WORKFLOW_TYPE,
  type UserRatingInput,
  type UserRatingOutcome,
} from '../../src/workflows/contracts/ratings';
import { waitFor } from '../fakes/waitFor';
import { CHARACTERS, startHarness, type CharacterName, type Harness } from './harness';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
  // Each bot registers its /rate at ready.
  await waitFor(
    () => CHARACTERS.every((name) => h.discord.commands(h.botUsers[name].id).some((c) => c.name === 'rate')),
    { what: 'every bot to register /rate' },
  );
});

afterAll(async () => {
  await h?.stop();
});

afterEach(() => {
  h.ollama.recover();
});

let userCount = 0;
/** A fresh human for each test, so ratings of different tests never mix. */
function newUser(): { id: string; username: string } {
  userCount += 1;
  return { id: `90000000000000${String(userCount).padStart(4, '0')}`, username: `rater${userCount}` };
}

interface PostedReply {
  /** The Discord message of the reply (its only part). */
  messageId: string;
  result: ReplyResult;
}

/** A human addresses `character`, who answers `text`. */
async function replyFrom(
  character: CharacterName,
  text: string,
  channelId = h.channelId,
): Promise<PostedReply> {
  h.ollama.reply(text);
  const message = await h.discord.userSays({ channelId, content: `${character}, say something` });
  const result: ReplyResult = await waitFor(() =>
    h.temporal.workflow.getHandle(replyWorkflowId(message.id, character)).result(),
  );
  const [messageId] = result.deliveredMessageIds;
  if (!messageId) throw new Error('the reply was not delivered');
  return { messageId, result };
}

function userRatings(filter: { response_id?: string; rated_by?: string }): Promise<UserRating[]> {
  return h.store.fineTuningData.collection
    .find({ ...filter, rating_type: 'USER_SUBMITTED' })
    .toArray() as Promise<UserRating[]>;
}

/** The UserRatingWorkflows the bots started for reactions of `userId` on `messageId` (Temporal visibility). */
async function reactionRuns(messageId: string, userId: string): Promise<WorkflowExecutionInfo[]> {
  const runs: WorkflowExecutionInfo[] = [];
  const query = `WorkflowType = '${USER_RATING_WORKFLOW_TYPE}' AND TaskQueue = '${h.config.taskQueue}'`;
  for await (const run of h.temporal.workflow.list({ query })) {
    if (run.workflowId.startsWith(`rating-${messageId}-${userId}-`)) runs.push(run);
  }
  return runs;
}

/** Once `count` reaction workflows have completed: their outcomes, in the order of the events. */
async function reactionOutcomes(
  messageId: string,
  userId: string,
  count: number,
): Promise<UserRatingOutcome[]> {
  const runs = await waitFor(
    async () => {
      const found = await reactionRuns(messageId, userId);
      return found.length === count && found.every((run) => run.status.name === 'COMPLETED') && found;
    },
    { what: `${count} completed rating workflows` },
  );
  const eventAt = (run: WorkflowExecutionInfo) => Number(run.workflowId.split('-').at(-1));
  const ordered = [...runs].sort((a, b) => eventAt(a) - eventAt(b));
  return Promise.all(
    ordered.map(
      (run) => h.temporal.workflow.getHandle(run.workflowId).result() as Promise<UserRatingOutcome>,
    ),
  );
}

/** A human uses a character's /rate and waits for the answer only they can see. */
async function rate(
  character: CharacterName,
  user: { id: string; username: string },
  options: Record<string, string | number>,
  channelId = h.channelId,
) {
  const { id } = await h.discord.useCommand({
    applicationId: h.botUsers[character].id,
    channelId,
    user,
    name: 'rate',
    options,
  });
  return waitFor(
    () => {
      const response = h.discord.interactionResponse(id);
      return response?.content ? response : undefined;
    },
    { what: `the answer to /rate of ${character}` },
  );
}

describe('rating reactions', () => {
  it("records a user's 5️⃣ on Brian's reply once, lets 3️⃣ change it, and removes it with the reaction", async () => {
    const reply = await replyFrom('Brian', 'A dry martini is a work of art.');
    const turn = await h.store.conversationHistory.findByResponseId(reply.result.responseId);
    const user = newUser();

    await h.discord.react(user.id, h.channelId, reply.messageId, '5️⃣');
    const [first] = await waitFor(async () => {
      const found = await userRatings({ response_id: reply.result.responseId });
      return found.length === 1 && found;
    });
    expect(first).toMatchObject({
      _id: `user:${reply.result.responseId}:${user.id}`,
      response_id: reply.result.responseId,
      rating_type: 'USER_SUBMITTED',
      rating_score: 5,
      feedback_text: '',
      rated_by: user.id,
      prompt_version_used: turn?.prompt_version_used,
      character_name: 'Brian',
      response_text: 'A dry martini is a work of art.',
    });
    expect(turn?.prompt_version_used).toBeTruthy();
    expect(first?.timestamp).toBeInstanceOf(Date);
    // Three bots saw the reaction; only Brian's, the message's author, started a workflow.
    expect(await reactionOutcomes(reply.messageId, user.id, 1)).toEqual([
      expect.objectContaining({ status: 'recorded', character: 'Brian', score: 5 }),
    ]);

    // Changing the rating: 3️⃣ replaces the 5 in the same entry...
    await h.discord.react(user.id, h.channelId, reply.messageId, '3️⃣');
    await waitFor(
      async () => (await userRatings({ response_id: reply.result.responseId }))[0]?.rating_score === 3,
    );
    const changed = await userRatings({ response_id: reply.result.responseId });
    expect(changed.map((r) => [r._id, r.rating_score])).toEqual([[first?._id, 3]]);

    // ...and taking the 5️⃣ away afterwards does not remove the 3 it no longer gave.
    await h.discord.unreact(user.id, h.channelId, reply.messageId, '5️⃣');
    const outcomes = await reactionOutcomes(reply.messageId, user.id, 3);
    expect(outcomes.map((o) => o.status)).toEqual(['recorded', 'updated', 'unchanged']);
    expect((await userRatings({ response_id: reply.result.responseId })).map((r) => r.rating_score)).toEqual([
      3,
    ]);

    // Taking the 3️⃣ away removes the rating.
    await h.discord.unreact(user.id, h.channelId, reply.messageId, '3️⃣');
    await waitFor(async () => (await userRatings({ response_id: reply.result.responseId })).length === 0, {
      what: 'the rating to be removed',
    });
  });

  it('counts 👍 as 5 and 👎 as 1', async () => {
    const reply = await replyFrom('Peter', 'Holy crap, Lois!');
    const fan = newUser();
    const critic = newUser();
    await h.discord.react(fan.id, h.channelId, reply.messageId, '👍');
    await h.discord.react(critic.id, h.channelId, reply.messageId, '👎');
    const ratings = await waitFor(async () => {
      const found = await userRatings({ response_id: reply.result.responseId });
      return found.length === 2 && found;
    });
    const byUser = Object.fromEntries(ratings.map((r) => [r.rated_by, r.rating_score]));
    expect(byUser).toEqual({ [fan.id]: 5, [critic.id]: 1 });
    expect(ratings.every((r) => r.character_name === 'Peter')).toBe(true);
  });

  it("records nothing for a reaction on a human's message or with another emoji", async () => {
    const user = newUser();
    const human = await h.discord.userSays({ channelId: h.channelId, content: 'just chatting among humans' });
    const reply = await replyFrom('Stewie', 'Victory is mine!');
    await h.discord.react(user.id, h.channelId, human.id, '5️⃣');
    await h.discord.react(user.id, h.channelId, reply.messageId, '🎉');
    // A rating reaction afterwards: once it is recorded, the bots have handled the two before it.
    await h.discord.react(user.id, h.channelId, reply.messageId, '4️⃣');
    await waitFor(async () => (await userRatings({ rated_by: user.id })).length === 1);

    const ratings = await userRatings({ rated_by: user.id });
    expect(ratings.map((r) => [r.response_id, r.rating_score])).toEqual([[reply.result.responseId, 4]]);
    expect(await reactionRuns(human.id, user.id)).toEqual([]);
    expect(await reactionOutcomes(reply.messageId, user.id, 1)).toEqual([
      expect.objectContaining({ status: 'recorded', score: 4 }),
    ]);
  });

  it('lets the latest event win when two are processed out of order', async () => {
    const reply = await replyFrom('Brian', 'I am working on my novel.');
    const user = newUser();
    await h.discord.react(user.id, h.channelId, reply.messageId, '2️⃣');
    const [stored] = await waitFor(async () => {
      const found = await userRatings({ response_id: reply.result.responseId });
      return found.length === 1 && found;
    });
    const storedAt = stored?.timestamp.getTime() ?? 0;

    // Earlier events that reach the worker late: a 5️⃣ added and a 2️⃣ taken back before the stored 2.
    const late = (input: Partial<UserRatingInput>, id: string) =>
      h.temporal.workflow.execute<(input: UserRatingInput) => Promise<UserRatingOutcome>>(
        USER_RATING_WORKFLOW_TYPE,
        {
          taskQueue: h.config.taskQueue,
          workflowId: `late-${id}-${reply.messageId}`,
          args: [
            {
              action: 'set',
              score: 5,
              source: 'reaction:5️⃣',
              userId: user.id,
              channelId: h.channelId,
              messageId: reply.messageId,
              character: 'Brian',
              feedbackText: '',
              eventAt: storedAt - 1000,
              ...input,
            },
          ],
        },
      );
    expect(await late({}, 'add')).toMatchObject({ status: 'superseded' });
    expect(await late({ action: 'remove', score: 2, source: 'reaction:2️⃣' }, 'remove')).toMatchObject({
      status: 'unchanged',
    });
    const after = await userRatings({ response_id: reply.result.responseId });
    expect(after.map((r) => [r.rating_score, r.timestamp.getTime()])).toEqual([[2, storedAt]]);
  });
});

describe('/rate', () => {
  it("rates the character's newest reply in the channel and answers only the user", async () => {
    const older = await replyFrom('Brian', 'Older musings.');
    const newest = await replyFrom('Brian', 'Newest musings on Proust.');
    const user = newUser();

    const answer = await rate('Brian', user, { score: 4, feedback: 'Witty, but a bit smug' });
    expect(answer.ephemeral).toBe(true);
    expect(answer.content).toBe("Thanks! You rated Brian's reply 4/5.");

    const ratings = await userRatings({ rated_by: user.id });
    expect(ratings).toHaveLength(1);
    expect(ratings[0]).toMatchObject({
      _id: `user:${newest.result.responseId}:${user.id}`,
      response_id: newest.result.responseId,
      rating_score: 4,
      feedback_text: 'Witty, but a bit smug',
      character_name: 'Brian',
      rating_source: 'command',
    });
    expect(await userRatings({ response_id: older.result.responseId })).toEqual([]);
  });

  it('rates the message a link or id names, and a second /rate changes the rating', async () => {
    const target = await replyFrom('Stewie', 'Blast!');
    await replyFrom('Stewie', 'Something newer.');
    const user = newUser();
    const link = `https://discord.com/channels/${h.discord.guildId}/${h.channelId}/${target.messageId}`;

    expect((await rate('Stewie', user, { score: 2, message: link })).content).toBe(
      "Thanks! You rated Stewie's reply 2/5.",
    );
    expect((await rate('Stewie', user, { score: 5, message: target.messageId })).content).toBe(
      "Updated: you now rate Stewie's reply 5/5.",
    );
    const ratings = await userRatings({ rated_by: user.id });
    expect(ratings.map((r) => [r.response_id, r.rating_score])).toEqual([[target.result.responseId, 5]]);
  });

  it('answers a clear error for a message that is not a reply, or not a message id at all', async () => {
    const user = newUser();
    const human = await h.discord.userSays({ channelId: h.channelId, content: 'a human line' });

    const notReply = await rate('Peter', user, { score: 3, message: human.id });
    expect(notReply.ephemeral).toBe(true);
    expect(notReply.content).toMatch(/not a reply from one of the characters/);

    const unknown = await rate('Peter', user, { score: 3, message: '123456789012345678' });
    expect(unknown.content).toMatch(/not a reply from one of the characters/);

    const garbage = await rate('Peter', user, { score: 3, message: 'the funny one' });
    expect(garbage.content).toMatch(/not a message id or link/);

    const elsewhere = await rate('Peter', user, {
      score: 3,
      message: `https://discord.com/channels/123456789012345678/${h.channelId}/${human.id}`,
    });
    expect(elsewhere.content).toMatch(/another server/);

    expect(await userRatings({ rated_by: user.id })).toEqual([]);
  });

  it('says so when the character has not replied in the channel yet', async () => {
    const quiet = h.discord.createTextChannel('quiet');
    const answer = await rate('Stewie', newUser(), { score: 5 }, quiet);
    expect(answer.content).toBe('Stewie has not replied in this channel yet, so there is nothing to rate.');
  });

  it("does not rate a character's fallback line (the LLM was down)", async () => {
    h.ollama.failAll(500);
    const message = await h.discord.userSays({ channelId: h.channelId, content: 'Brian, you there?' });
    const result: ReplyResult = await waitFor(
      () => h.temporal.workflow.getHandle(replyWorkflowId(message.id, 'Brian')).result(),
      { timeoutMs: 30_000 },
    );
    expect(result.usedFallback).toBe(true);
    const user = newUser();
    const answer = await rate('Brian', user, { score: 1, message: result.deliveredMessageIds[0] ?? '' });
    expect(answer.content).toMatch(/stand-in line/);
    expect(await userRatings({ rated_by: user.id })).toEqual([]);
  });
});

describe('what the bots take for a rating', () => {
  it('reads 1️⃣-5️⃣ (with or without the variation selector) and thumbs in any skin tone', () => {
    expect(['1️⃣', '2️⃣', '3️⃣', '4️⃣', '5️⃣'].map(reactionScore)).toEqual([1, 2, 3, 4, 5]);
    expect(reactionScore('5\u20e3')).toBe(5);
    expect(reactionScore('👍🏽')).toBe(5);
    expect(reactionScore('👎🏿')).toBe(1);
    for (const other of ['6️⃣', '0️⃣', '🎉', '❤️', null]) expect(reactionScore(other)).toBeNull();
  });

  it('reads message ids, channel-message id pairs and message links of this server', () => {
    const here = { channelId: '111111111111111111', guildId: '222222222222222222' };
    const message = '333333333333333333';
    expect(parseMessageReference(` ${message} `, here)).toEqual({
      channelId: here.channelId,
      messageId: message,
    });
    expect(parseMessageReference(`444444444444444444-${message}`, here)).toEqual({
      channelId: '444444444444444444',
      messageId: message,
    });
    for (const host of ['discord.com', 'ptb.discord.com', 'canary.discord.com', 'discordapp.com']) {
      expect(
        parseMessageReference(
          `<https://${host}/channels/${here.guildId}/555555555555555555/${message}>`,
          here,
        ),
      ).toEqual({ channelId: '555555555555555555', messageId: message });
    }
    const dm = { channelId: here.channelId, guildId: null };
    expect(
      parseMessageReference(`https://discord.com/channels/@me/${here.channelId}/${message}`, dm),
    ).toEqual({
      channelId: here.channelId,
      messageId: message,
    });
    expect(
      parseMessageReference(`https://discord.com/channels/@me/${here.channelId}/${message}`, here),
    ).toEqual({
      error: expect.stringMatching(/another server/),
    });
    for (const bad of ['', 'abc', '12345', `https://example.com/channels/${here.guildId}/1/${message}`]) {
      expect(parseMessageReference(bad, here)).toEqual({
        error: expect.stringMatching(/not a message id or link/),
      });
    }
  });
});
