/**
 * RegenerateWorkflow on the time-skipping test server with fake activities: the prompt it rebuilds, a
 * refusal that touches nothing, and a generation that fails for good, which leaves the reply as it was.
 */
import type { RegenerateWorkflow } from '../../src/workflows/regenerate';
import {
  commandRegenerateWorkflowId,
  regenerateWorkflowId,
  type RegenerateInput,
  type RegenerationTarget,
} from '../../src/workflows/contracts/regenerate';
import { useTestbed } from './env';

const bed = useTestbed();

const target: RegenerationTarget = {
  responseId: 'reply-1000-peter',
  character: 'Peter',
  channelId: '100',
  postedMessageIds: ['2000', '2001'],
  replyToMessageId: '1000',
  answeredTurn: { session_id: 'discord:100', turn_id: 7 },
  userMessage: 'Peter, where is the chicken?',
  userName: 'Lois',
  promptVersion: 'v1.2',
  promptText: 'You are Peter Griffin.',
  scenario: 'The Drunken Clam, Friday night.',
  ragContextUsed: [
    {
      text: 'Ernie is a giant chicken.',
      source_url: 'lorebook:global#1',
      score: 1,
      origin: 'lorebook',
    },
    { text: 'Peter fights the chicken.', source_url: 'https://wiki/Ernie', score: 0.8 },
  ],
  candidateTexts: ['The chicken is in the shed.'],
  limit: 3,
};

const input: RegenerateInput = {
  userId: 'u1',
  userName: 'lois_g',
  channelId: '100',
  messageId: '2000',
  characters: ['Peter'],
  source: 'reaction',
};

const regenerate = (taskQueue: string) =>
  bed.env.client.workflow.execute<typeof RegenerateWorkflow>('RegenerateWorkflow', {
    taskQueue,
    workflowId: regenerateWorkflowId('2000'),
    args: [input],
  });

describe('RegenerateWorkflow', () => {
  it('rebuilds the prompt of the reply, asks for something new, edits every part, records the candidate', async () => {
    const mocks = {
      findRegeneration: jest.fn(async () => ({ status: 'found' as const, target })),
      generateReply: jest.fn(async () => ({ raw: 'Peter: Roadhouse!', final: 'Roadhouse!' })),
      reviseReply: jest.fn(async () => ['2000']),
      recordRegeneration: jest.fn(async () => undefined),
    };
    const outcome = await bed.run(mocks, regenerate);

    expect(outcome).toEqual({
      status: 'regenerated',
      character: 'Peter',
      responseId: 'reply-1000-peter',
      regenerations: 1,
      limit: 3,
    });
    expect(mocks.generateReply).toHaveBeenCalledWith(
      expect.objectContaining({
        character: 'Peter',
        systemPrompt: 'You are Peter Griffin.',
        userMessage: 'Peter, where is the chicken?',
        userName: 'Lois',
        scenario: 'The Drunken Clam, Friday night.',
        lore: [target.ragContextUsed[0]],
        context: [target.ragContextUsed[1]],
        replacedReplies: ['The chicken is in the shed.'],
      }),
    );
    expect(mocks.reviseReply).toHaveBeenCalledWith({
      revisionId: 'reply-1000-peter:regenerate:1',
      character: 'Peter',
      channelId: '100',
      posted: ['2000', '2001'],
      text: 'Roadhouse!',
      replyTo: '1000',
    });
    // The new text fits one message: the turn records the one part left.
    expect(mocks.recordRegeneration).toHaveBeenCalledWith(
      expect.objectContaining({
        responseId: 'reply-1000-peter',
        index: 1,
        text: 'Roadhouse!',
        raw: 'Peter: Roadhouse!',
        promptVersion: 'v1.2',
        requestedBy: 'u1',
        qc: null,
        postedMessageIds: ['2000'],
      }),
    );
  });

  it('refused (not the asker): nothing is generated, edited or recorded', async () => {
    const mocks = {
      findRegeneration: jest.fn(async () => ({ status: 'not-yours' as const, character: 'Peter' })),
      generateReply: jest.fn(),
      reviseReply: jest.fn(),
      recordRegeneration: jest.fn(),
    };
    expect(await bed.run(mocks, regenerate)).toEqual({ status: 'not-yours', character: 'Peter' });
    expect(mocks.generateReply).not.toHaveBeenCalled();
    expect(mocks.reviseReply).not.toHaveBeenCalled();
    expect(mocks.recordRegeneration).not.toHaveBeenCalled();
  });

  it('the model failing every attempt leaves the reply as it was, and is dead-lettered', async () => {
    const mocks = {
      findRegeneration: jest.fn(async () => ({ status: 'found' as const, target })),
      generateReply: jest.fn(async () => {
        throw new Error('ollama is down');
      }),
      reviseReply: jest.fn(),
      recordRegeneration: jest.fn(),
      recordDeadLetter: jest.fn(async (entry: { failed_step: string }) => `dl:${entry.failed_step}`),
    };
    expect(await bed.run(mocks, regenerate)).toEqual({ status: 'failed', character: 'Peter' });
    expect(mocks.recordDeadLetter).toHaveBeenCalledWith(
      expect.objectContaining({ failed_step: 'generateReply', workflow_type: 'RegenerateWorkflow' }),
    );
    expect(mocks.reviseReply).not.toHaveBeenCalled();
    expect(mocks.recordRegeneration).not.toHaveBeenCalled();
  });

  it("a request while the reply is being regenerated is that regeneration ('busy'), not a second one", async () => {
    let release = () => undefined as void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let generating = () => undefined as void;
    const started = new Promise<void>((resolve) => (generating = resolve));
    const mocks = {
      findRegeneration: jest.fn(async () => ({ status: 'found' as const, target })),
      generateReply: jest.fn(async () => {
        generating();
        await held;
        return { raw: 'Roadhouse!', final: 'Roadhouse!' };
      }),
      reviseReply: jest.fn(async () => ['2000', '2001']),
      recordRegeneration: jest.fn(async () => undefined),
    };
    await bed.run(mocks, async (taskQueue) => {
      const running = await bed.realTime.start<typeof RegenerateWorkflow>('RegenerateWorkflow', {
        taskQueue,
        workflowId: regenerateWorkflowId('2000'),
        args: [input],
      });
      await started;
      // /regenerate of the same reply meanwhile: its run finds the reply's own run going on.
      const command = await bed.realTime.execute<typeof RegenerateWorkflow>('RegenerateWorkflow', {
        taskQueue,
        workflowId: commandRegenerateWorkflowId('interaction-1'),
        args: [{ ...input, messageId: null, source: 'command' }],
      });
      expect(command).toEqual({ status: 'busy', character: 'Peter' });
      release();
      expect(await running.result()).toMatchObject({ status: 'regenerated', regenerations: 1 });
    });
    expect(mocks.generateReply).toHaveBeenCalledTimes(1);
    expect(mocks.reviseReply).toHaveBeenCalledTimes(1);
    expect(mocks.recordRegeneration).toHaveBeenCalledTimes(1);
  });
});
