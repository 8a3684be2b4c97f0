/**
 * Who answers a message that names no character (CoordinateWorkflow) over fake activities: whether the
 * characters are part of the conversation, the join chance outside one, the caps, and the choice (the
 * model's among everyone but the last speaker, talkativeness when its answer is unusable).
 */
import type { CoordinateWorkflow } from '../../src/workflows/coordinate';
import type { ReplyWorkflow } from '../../src/workflows/reply';
import {
  joinChance,
  type CoordinateInput,
  type CoordinatorPolicy,
  type UnnamedContext,
} from '../../src/workflows/contracts/coordinate';
import { replyWorkflowId, type ReplyResult } from '../../src/workflows/contracts/reply';
import { fakeActivities, snowflakeAt } from './fakeActivities';
import { useTestbed } from './env';

const bed = useTestbed();

const MINUTE = 60_000;
/** The message's time: the workflow compares the session's times with it, not with its clock. */
const NOW = Date.parse('2026-03-01T12:00:00Z');
const ago = (ms: number) => new Date(NOW - ms).toISOString();

function policy(extra: Partial<CoordinatorPolicy> = {}): CoordinatorPolicy {
  return {
    characters: [
      { name: 'Peter', talkativeness: 0.5 },
      { name: 'Brian', talkativeness: 0 },
      { name: 'Stewie', talkativeness: 1 },
    ],
    activeWindowMs: 10 * MINUTE,
    joinChance: 0,
    joinHalfLifeMs: 30 * MINUTE,
    maxPerHour: 12,
    maxInARow: 3,
    ...extra,
  };
}

/** Peter spoke two minutes before the message, the human before him. */
const inConversation: UnnamedContext = {
  lastSpeaker: 'Peter',
  lastSpeakerAt: ago(2 * MINUTE),
  lastHumanAt: ago(3 * MINUTE),
  answeredLastHour: 0,
  answeredInARow: 0,
};

let seq = 0;
function input(extra: Partial<CoordinatorPolicy> = {}): CoordinateInput {
  return {
    message: {
      messageId: snowflakeAt(NOW, ++seq),
      channelId: '500',
      guildId: '1',
      authorId: 'user-1',
      authorName: 'alice',
      content: 'anyone want pizza?',
      createdAt: new Date(NOW).toISOString(),
    },
    policy: policy(extra),
  };
}

/** Runs the coordinator over the fakes with `context`; waits for the reply it starts, if any. */
async function coordinate(
  run: CoordinateInput,
  context: UnnamedContext,
  overrides: Parameters<typeof bed.run>[0] = {},
) {
  const chooseAnswerer = jest.fn(fakeActivities().chooseAnswerer);
  const recordCoordinatedAnswer = jest.fn(fakeActivities().recordCoordinatedAnswer);
  const deliverReply = jest.fn(fakeActivities().deliverReply);
  return bed.run(
    {
      loadUnnamedContext: async () => context,
      chooseAnswerer,
      recordCoordinatedAnswer,
      deliverReply,
      ...overrides,
    },
    async (taskQueue) => {
      const outcome = await bed.env.client.workflow.execute<typeof CoordinateWorkflow>('CoordinateWorkflow', {
        taskQueue,
        workflowId: `coordinate-${run.message.messageId}`,
        args: [run],
      });
      const reply: ReplyResult | null = outcome.answeredBy
        ? await bed.env.client.workflow.getHandle<typeof ReplyWorkflow>(outcome.replyWorkflowId).result()
        : null;
      return { outcome, reply, chooseAnswerer, recordCoordinatedAnswer, deliverReply };
    },
  );
}

describe('CoordinateWorkflow', () => {
  it('in a conversation, has the model pick among everyone but the last speaker, and that character answers', async () => {
    const run = input();
    const { outcome, reply, recordCoordinatedAnswer, deliverReply } = await coordinate(run, inConversation, {
      chooseAnswerer: jest.fn(async () => ({ choice: 'Brian', raw: '{"character":"Brian"}' })),
    });
    expect(outcome).toEqual({
      answeredBy: 'Brian',
      chosenByLlm: true,
      why: 'conversation',
      replyWorkflowId: replyWorkflowId(run.message.messageId, 'Brian'),
    });
    expect(reply).toMatchObject({ character: 'Brian', text: 'Holy crap!' });
    expect(deliverReply).toHaveBeenCalledTimes(1);
    expect(deliverReply).toHaveBeenCalledWith(
      expect.objectContaining({ character: 'Brian', replyTo: run.message.messageId }),
    );
    expect(recordCoordinatedAnswer).toHaveBeenCalledWith({
      channelId: '500',
      messageId: run.message.messageId,
      character: 'Brian',
      at: run.message.createdAt,
    });
  });

  it('offers the model only the characters who did not speak last, with the message', async () => {
    const chooseAnswerer = jest.fn(async () => ({ choice: 'Stewie', raw: '{"character":"Stewie"}' }));
    const run = input();
    const { outcome } = await coordinate(run, inConversation, { chooseAnswerer });
    expect(outcome.answeredBy).toBe('Stewie');
    expect(chooseAnswerer).toHaveBeenCalledWith(
      expect.objectContaining({
        characters: ['Brian', 'Stewie'],
        lastSpeaker: 'Peter',
        message: { authorName: 'alice', content: 'anyone want pizza?' },
      }),
    );
  });

  it('falls back to talkativeness, still never the last speaker, when the model gives no usable answer', async () => {
    for (const chooseAnswerer of [
      async () => ({ choice: null, raw: 'Peter, obviously' }),
      async () => {
        throw new Error('ollama is down');
      },
    ]) {
      // Brian never chimes in (talkativeness 0), Peter spoke last: Stewie it is.
      const { outcome } = await coordinate(input(), inConversation, { chooseAnswerer });
      expect(outcome).toMatchObject({ answeredBy: 'Stewie', chosenByLlm: false });
    }
  });

  it('lets the last speaker answer when nobody else is in the cast, without asking the model', async () => {
    const chooseAnswerer = jest.fn(fakeActivities().chooseAnswerer);
    const { outcome } = await coordinate(
      input({ characters: [{ name: 'Peter', talkativeness: 0.5 }] }),
      inConversation,
      { chooseAnswerer },
    );
    expect(outcome).toMatchObject({ answeredBy: 'Peter', chosenByLlm: false });
    expect(chooseAnswerer).not.toHaveBeenCalled();
  });

  it('stays silent outside a conversation when the join chance is 0, and asks nobody', async () => {
    const { outcome, chooseAnswerer, deliverReply } = await coordinate(input(), {
      ...inConversation,
      lastSpeakerAt: ago(11 * MINUTE), // past the 10-minute window
    });
    expect(outcome).toEqual({ answeredBy: null, reason: 'not-in-conversation' });
    expect(chooseAnswerer).not.toHaveBeenCalled();
    expect(deliverReply).not.toHaveBeenCalled();
  });

  it('joins outside a conversation when the join chance comes up', async () => {
    // A chance of 1 right after a human turn: certain.
    const { outcome } = await coordinate(input({ joinChance: 1 }), {
      ...inConversation,
      lastSpeaker: null,
      lastSpeakerAt: null,
      lastHumanAt: ago(0),
    });
    expect(outcome).toMatchObject({ why: 'joined' });
    expect(outcome.answeredBy).not.toBeNull();
  });

  it('keeps to the caps: so many an hour, so many in a row', async () => {
    const hourly = await coordinate(input({ maxPerHour: 5 }), { ...inConversation, answeredLastHour: 5 });
    expect(hourly.outcome).toEqual({ answeredBy: null, reason: 'hourly-cap' });
    const inARow = await coordinate(input(), { ...inConversation, answeredInARow: 3 });
    expect(inARow.outcome).toEqual({ answeredBy: null, reason: 'in-a-row-cap' });
    expect(inARow.chooseAnswerer).not.toHaveBeenCalled();
    const below = await coordinate(input(), { ...inConversation, answeredInARow: 2, answeredLastHour: 11 });
    expect(below.outcome.answeredBy).not.toBeNull();
  });

  it('answers nobody when the cast is empty', async () => {
    const { outcome } = await coordinate(input({ characters: [] }), inConversation);
    expect(outcome).toEqual({ answeredBy: null, reason: 'no-cast' });
  });
});

describe('joinChance', () => {
  const decay = { joinChance: 0.2, joinHalfLifeMs: 30 * MINUTE };
  it('is the channel chance right after a human turn and halves every half-life of silence', () => {
    expect(joinChance(decay, ago(0), NOW)).toBeCloseTo(0.2);
    expect(joinChance(decay, ago(30 * MINUTE), NOW)).toBeCloseTo(0.1);
    expect(joinChance(decay, ago(60 * MINUTE), NOW)).toBeCloseTo(0.05);
  });
  it('is 0 without a human turn on record, or with a channel chance of 0', () => {
    expect(joinChance(decay, null, NOW)).toBe(0);
    expect(joinChance({ ...decay, joinChance: 0 }, ago(0), NOW)).toBe(0);
  });
});
