/**
 * ReplyWorkflow on the time-skipping test server with fake activities: the order of its steps, QC through
 * the child workflow, and a reply whose generation fails every attempt (dead letter, fallback line).
 */
import type { ReplyWorkflow } from '../../src/workflows/reply';
import { GENERATE_MAX_ATTEMPTS } from '../../src/workflows/retryPolicies';
import type { LiveReply, ReplyInput } from '../../src/workflows/contracts/reply';
import { fakeActivities, snowflakeAt } from './fakeActivities';
import { useTestbed } from './env';

const bed = useTestbed();

let seq = 0;
function replyInput(content: string, extra: Partial<ReplyInput> = {}): ReplyInput {
  const messageId = snowflakeAt(Date.now(), ++seq);
  return {
    character: 'Peter',
    message: {
      messageId,
      channelId: '100',
      guildId: '1',
      authorId: 'u1',
      authorName: 'Lois',
      content,
      createdAt: new Date().toISOString(),
    },
    ...extra,
  };
}

const runReply = (taskQueue: string, input: ReplyInput) =>
  bed.env.client.workflow.execute<typeof ReplyWorkflow>('ReplyWorkflow', {
    taskQueue,
    workflowId: `reply-${input.message.messageId}-${input.character.toLowerCase()}`,
    args: [input],
  });

describe('ReplyWorkflow', () => {
  it('stores the user turn, generates with history, context and the prompt version, stores and posts the reply', async () => {
    const calls: string[] = [];
    const fakes = fakeActivities();
    const track = <K extends keyof typeof fakes>(name: K) =>
      jest.fn((...args: Parameters<(typeof fakes)[K]>) => {
        calls.push(name);
        return (fakes[name] as (...a: typeof args) => ReturnType<(typeof fakes)[K]>)(...args);
      });
    const mocks = {
      persistUserTurn: track('persistUserTurn'),
      generateReply: track('generateReply'),
      persistBotTurn: track('persistBotTurn'),
      deliverReply: track('deliverReply'),
      recordDeadLetter: track('recordDeadLetter'),
    };
    const input = replyInput('Peter, how was work?');

    const result = await bed.run(mocks, (taskQueue) => runReply(taskQueue, input));

    // The bot turn is stored once it is posted, with the posted ids (one write, no update).
    expect(calls).toEqual(['persistUserTurn', 'generateReply', 'deliverReply', 'persistBotTurn']);
    expect(mocks.generateReply).toHaveBeenCalledWith({
      character: 'Peter',
      systemPrompt: 'You are Peter Griffin.',
      history: [{ speaker_type: 'USER', bot_name: null, message_content: 'Hey Peter, how was work?' }],
      context: [expect.objectContaining({ source_url: 'https://wiki/Peter_Griffin' })],
      userMessage: 'Peter, how was work?',
      userName: 'Lois',
      scenario: null,
      lore: [],
      summary: null,
      userNotes: [],
    });
    expect(mocks.persistBotTurn).toHaveBeenCalledWith(
      expect.objectContaining({
        responseId: result.responseId,
        replyToMessageId: input.message.messageId,
        promptVersion: 'v1.0',
        llmResponseRaw: 'Peter: Holy crap!',
        llmResponseFinal: 'Holy crap!',
        isOrganicInitiation: false,
        qcResult: null,
        deliveredMessageIds: result.deliveredMessageIds,
      }),
    );
    expect(mocks.deliverReply).toHaveBeenCalledWith({
      responseId: result.responseId,
      character: 'Peter',
      channelId: '100',
      replyTo: input.message.messageId,
      text: 'Holy crap!',
      recordOnTurn: false,
    });
    expect(result).toMatchObject({
      character: 'Peter',
      text: 'Holy crap!',
      promptVersion: 'v1.0',
      qc: null,
      usedFallback: false,
      deadLetterIds: [],
    });
    expect(result.deliveredMessageIds).toHaveLength(1);
  });

  it("writes with the channel's scenario and the lore the conversation names, and records the lore first in the context used", async () => {
    const lore = {
      text: 'The Drunken Clam is the bar.',
      source_url: 'lorebook:global#1',
      score: 1,
      origin: 'lorebook' as const,
      lore: { scope: 'global', book: 'Quahog', entry_id: 1, name: 'Clam', reason: 'key: clam' },
    };
    const loadLoreAndScenario = jest.fn(async () => ({
      scenario: 'A rainy night at the Clam.',
      lore: [lore],
    }));
    const generateReply = jest.fn(fakeActivities().generateReply);
    const persistBotTurn = jest.fn(fakeActivities().persistBotTurn);
    const input = replyInput('Peter, going to the clam?');

    const result = await bed.run({ loadLoreAndScenario, generateReply, persistBotTurn }, (taskQueue) =>
      runReply(taskQueue, input),
    );

    // The message first, then the history newest first: what the lorebooks scan.
    expect(loadLoreAndScenario).toHaveBeenCalledWith({
      character: 'Peter',
      channelId: '100',
      recent: ['Peter, going to the clam?', 'Hey Peter, how was work?'],
    });
    expect(generateReply).toHaveBeenCalledWith(
      expect.objectContaining({ scenario: 'A rainy night at the Clam.', lore: [lore] }),
    );
    const wiki = expect.objectContaining({ source_url: 'https://wiki/Peter_Griffin' });
    expect(persistBotTurn).toHaveBeenCalledWith(expect.objectContaining({ ragContextUsed: [lore, wiki] }));
    expect(result.contextUsed).toEqual([lore, wiki]);
  });

  it("writes with the session's summary and the notes about the person answered, then tells the session's memory of the stored line", async () => {
    const loadSessionMemory = jest.fn(async () => ({
      summary: 'Lois asked Peter to fix the sink.',
      userNotes: ['likes to be called Lo'],
    }));
    const generateReply = jest.fn(fakeActivities().generateReply);
    const noteSessionTurn = jest.fn(fakeActivities().noteSessionTurn);
    const input = replyInput('Peter, did you fix it?');

    await bed.run({ loadSessionMemory, generateReply, noteSessionTurn }, (taskQueue) =>
      runReply(taskQueue, input),
    );

    expect(loadSessionMemory).toHaveBeenCalledWith({ channelId: '100', userId: 'u1' });
    expect(generateReply).toHaveBeenCalledWith(
      expect.objectContaining({
        summary: 'Lois asked Peter to fix the sink.',
        userNotes: ['likes to be called Lo'],
      }),
    );
    // The bot turn's id (the fakes number turns 1, 2: the user's, then the bot's).
    expect(noteSessionTurn).toHaveBeenCalledWith({ channelId: '100', turnId: 2 });
  });

  it('answers over HTTP only (deliver: false) without posting, and without wiki context when retrieval fails', async () => {
    const deliverReply = jest.fn(fakeActivities().deliverReply);
    const generateReply = jest.fn(fakeActivities().generateReply);
    const result = await bed.run(
      {
        deliverReply,
        generateReply,
        retrieveContext: async () => {
          throw new Error('chroma is down');
        },
      },
      (taskQueue) => runReply(taskQueue, replyInput('hi', { deliver: false })),
    );
    expect(deliverReply).not.toHaveBeenCalled();
    expect(generateReply).toHaveBeenCalledWith(expect.objectContaining({ context: [] }));
    expect(result).toMatchObject({ text: 'Holy crap!', deliveredMessageIds: [], usedFallback: false });
  });

  it('dead-letters a generation that fails every attempt and posts the fallback line', async () => {
    const generateReply = jest.fn(async (): Promise<never> => {
      throw new Error('llama runner process has terminated');
    });
    const recordDeadLetter = jest.fn(fakeActivities().recordDeadLetter);
    const deliverReply = jest.fn(fakeActivities().deliverReply);
    const input = replyInput('Peter?');
    const started = Date.now();

    const result = await bed.run({ generateReply, recordDeadLetter, deliverReply }, (taskQueue) =>
      runReply(taskQueue, input),
    );

    // Every attempt of the retry policy, the 2 s and 4 s backoffs skipped by the test server.
    expect(generateReply).toHaveBeenCalledTimes(GENERATE_MAX_ATTEMPTS);
    expect(Date.now() - started).toBeLessThan(6_000);
    expect(recordDeadLetter).toHaveBeenCalledTimes(1);
    expect(recordDeadLetter).toHaveBeenCalledWith({
      failed_event_payload: input,
      error_details: expect.stringMatching(/^generateReply: .*llama runner process has terminated/),
      retry_attempts: GENERATE_MAX_ATTEMPTS,
      workflow_type: 'ReplyWorkflow',
      workflow_id: result.responseId,
      failed_step: 'generateReply',
    });
    expect(deliverReply).toHaveBeenCalledWith(expect.objectContaining({ text: 'Peter is speechless.' }));
    expect(result).toMatchObject({
      text: 'Peter is speechless.',
      usedFallback: true,
      qc: null,
      deadLetterIds: [`${result.responseId}:generateReply`],
    });
  });

  it('dead-letters a delivery Discord refuses for good, keeping the stored reply', async () => {
    const { ApplicationFailure } = await import('@temporalio/common');
    const recordDeadLetter = jest.fn(fakeActivities().recordDeadLetter);
    const result = await bed.run(
      {
        recordDeadLetter,
        deliverReply: async () => {
          throw ApplicationFailure.nonRetryable('Missing Access', 'DiscordAPIError');
        },
      },
      (taskQueue) => runReply(taskQueue, replyInput('Peter?')),
    );
    expect(recordDeadLetter).toHaveBeenCalledWith(
      expect.objectContaining({ failed_step: 'deliverReply', retry_attempts: 1 }),
    );
    expect(result).toMatchObject({ text: 'Holy crap!', deliveredMessageIds: [], usedFallback: false });
  });

  it('with QC on, sends the candidate the QualityControlWorkflow child accepted', async () => {
    const result = await bed.run(
      { loadQcPolicy: async () => ({ minScore: 3, maxRegenerations: 3, maxReplyChars: 800 }) },
      (taskQueue) => runReply(taskQueue, replyInput('Peter, sing')),
    );
    expect(result.qc).toEqual({
      score: 4,
      feedback: 'in character',
      method: 'llm',
      attempts: 1,
      accepted: true,
    });
    const child = bed.env.client.workflow.getHandle(`${result.responseId}-qc`);
    expect((await child.describe()).type).toBe('QualityControlWorkflow');
  });

  describe('where the channel has live replies', () => {
    const live = { loadLoreAndScenario: async () => ({ scenario: null, lore: [], liveReplies: true }) };
    const mocks = () => {
      const fakes = fakeActivities();
      return {
        // Two parts: a long reply.
        generateLiveReply: jest.fn(async () => ({
          reply: { raw: 'Peter: Holy crap!', final: 'Holy crap!' },
          postedIds: [snowflakeAt(Date.now(), 1), snowflakeAt(Date.now(), 2)],
        })),
        generateReply: jest.fn(fakes.generateReply),
        deliverReply: jest.fn(fakes.deliverReply),
        persistBotTurn: jest.fn(fakes.persistBotTurn),
      };
    };

    it('writes and posts the reply live, then stores the turn with the posted ids without posting again', async () => {
      const m = mocks();
      const input = replyInput('Peter, tell me a story');
      const result = await bed.run({ ...live, ...m }, (taskQueue) => runReply(taskQueue, input));
      expect(m.generateLiveReply).toHaveBeenCalledWith({
        prompt: expect.objectContaining({ character: 'Peter', userMessage: 'Peter, tell me a story' }),
        responseId: result.responseId,
        channelId: '100',
        replyTo: input.message.messageId,
      });
      const answered: unknown = await m.generateLiveReply.mock.results[0]?.value;
      const { postedIds } = answered as LiveReply;
      expect(postedIds).toHaveLength(2);
      expect(m.generateReply).not.toHaveBeenCalled();
      expect(m.deliverReply).not.toHaveBeenCalled();
      expect(m.persistBotTurn).toHaveBeenCalledWith(
        expect.objectContaining({ llmResponseFinal: 'Holy crap!', deliveredMessageIds: postedIds }),
      );
      expect(result).toMatchObject({
        text: 'Holy crap!',
        deliveredMessageIds: postedIds,
        usedFallback: false,
      });
    });

    it('with QC on, checks the whole reply first and posts it once complete (not live)', async () => {
      const m = mocks();
      const result = await bed.run(
        {
          ...live,
          ...m,
          loadQcPolicy: async () => ({ minScore: 3, maxRegenerations: 3, maxReplyChars: 800 }),
        },
        (taskQueue) => runReply(taskQueue, replyInput('Peter, sing')),
      );
      expect(m.generateLiveReply).not.toHaveBeenCalled();
      expect(m.deliverReply).toHaveBeenCalledTimes(1);
      expect(result.qc).toMatchObject({ accepted: true });
    });

    it('replaces what a live reply that failed every attempt showed with the fallback line', async () => {
      const m = mocks();
      const reviseReply = jest.fn(fakeActivities().reviseReply);
      const { ApplicationFailure } = await import('@temporalio/common');
      // As the activity fails: with the ids of the parts it had posted.
      const generateLiveReply = jest.fn(async (): Promise<never> => {
        throw ApplicationFailure.create({
          message: 'llama runner process has terminated',
          details: [['111', '222']],
        });
      });
      const input = replyInput('Peter?');
      const result = await bed.run({ ...live, ...m, generateLiveReply, reviseReply }, (taskQueue) =>
        runReply(taskQueue, input),
      );
      expect(generateLiveReply).toHaveBeenCalledTimes(GENERATE_MAX_ATTEMPTS);
      // Revised under the response's key, the live reply's: a part it posted unknown here meets its nonce.
      expect(reviseReply).toHaveBeenCalledWith({
        revisionId: result.responseId,
        character: 'Peter',
        channelId: '100',
        posted: ['111', '222'],
        text: 'Peter is speechless.',
        replyTo: input.message.messageId,
      });
      expect(m.deliverReply).not.toHaveBeenCalled();
      expect(result).toMatchObject({
        text: 'Peter is speechless.',
        usedFallback: true,
        deadLetterIds: [`${result.responseId}:generateReply`],
      });
    });

    it('answering over HTTP (deliver: false), posts nothing', async () => {
      const m = mocks();
      const result = await bed.run({ ...live, ...m }, (taskQueue) =>
        runReply(taskQueue, replyInput('Peter?', { deliver: false })),
      );
      expect(m.generateLiveReply).not.toHaveBeenCalled();
      expect(m.deliverReply).not.toHaveBeenCalled();
      expect(result).toMatchObject({ text: 'Holy crap!', deliveredMessageIds: [] });
    });
  });
});
