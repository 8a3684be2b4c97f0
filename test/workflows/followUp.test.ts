/**
 * Characters answering each other (FollowUpWorkflow) on the time-skipping test server: the human-feeling
 * pause is a durable timer the server skips, so a ten-minute delay takes no wall time here.
 */
import { Context } from '@temporalio/activity';
import type { WorkflowClient } from '@temporalio/client';
import type { FollowUpWorkflow } from '../../src/workflows/followUp';
import type { ReplyWorkflow } from '../../src/workflows/reply';
import type { FollowUpInput, FollowUpOutcome, FollowUpPolicy } from '../../src/workflows/contracts/followUp';
import type { ReplyResult } from '../../src/workflows/contracts/reply';
import { fakeActivities, snowflakeAt } from './fakeActivities';
import { useTestbed } from './env';

/**
 * One test server for the file, so the order of the tests matters: once a child started with
 * ParentClosePolicy.ABANDON (each follow-up, and each reply a follow-up starts) outlives its parent, the
 * test server stops skipping time for good (seen with temporal-test-server 1.38.0) and later timers take
 * real time. Tests that need a skipped delay come before those that leave such children behind.
 */
const bed = useTestbed();

const TEN_MINUTES = 10 * 60_000;

function policy(extra: Partial<FollowUpPolicy> = {}): FollowUpPolicy {
  return {
    maxChain: 4,
    delayMs: TEN_MINUTES,
    idleMs: 60 * 60_000,
    characters: [
      { name: 'Peter', aliases: ['peter'], talkativeness: 0 },
      { name: 'Brian', aliases: ['brian'], talkativeness: 0 },
      { name: 'Stewie', aliases: ['stewie'], talkativeness: 0 },
    ],
    ...extra,
  };
}

let seq = 0;
async function followUpInput(text: string, extra: Partial<FollowUpInput> = {}): Promise<FollowUpInput> {
  const now = await bed.env.currentTimeMs();
  return {
    channelId: '200',
    policy: policy(),
    speaker: 'Peter',
    text,
    lastMessageId: snowflakeAt(now, ++seq),
    turn: { session_id: 'discord:200', turn_id: 7 },
    length: 1,
    anchorAt: new Date(now).toISOString(),
    ...extra,
  };
}

/** On bed.env.client.workflow, which skips the delay, unless `client` says otherwise. */
const runFollowUp = (
  taskQueue: string,
  input: FollowUpInput,
  client: WorkflowClient = bed.env.client.workflow,
) =>
  client.execute<typeof FollowUpWorkflow>('FollowUpWorkflow', {
    taskQueue,
    workflowId: `follow-up-${input.lastMessageId}`,
    args: [input],
  });

describe('FollowUpWorkflow', () => {
  it('stays quiet when someone posted during the delay (a human message gets its own reply)', async () => {
    const input = await followUpInput('Brian, get me a beer.');
    const startReply = jest.fn(fakeActivities().generateReply);
    const outcome = await bed.run(
      // Discord's newest message is newer than Peter's line: posted a second before this read (server time).
      {
        lastChannelMessageAt: async () =>
          new Date(Context.current().info.currentAttemptScheduledTimestampMs - 1000).toISOString(),
        generateReply: startReply,
      },
      (taskQueue) => runFollowUp(taskQueue, input),
    );
    expect(outcome).toEqual({ answeredBy: null, reason: 'interrupted' });
    expect(startReply).not.toHaveBeenCalled();
  });

  it('ends the chain at the cap, when nobody spoke for too long, or when nobody wants to answer', async () => {
    const lastChannelMessageAt = jest.fn(async () => null);
    const client = bed.realTime; // the idle check compares clocks
    const outcomes = await bed.run({ lastChannelMessageAt }, async (taskQueue) => [
      await runFollowUp(taskQueue, await followUpInput('Brian!', { length: 4 }), client),
      await runFollowUp(
        taskQueue,
        await followUpInput('Brian!', {
          anchorAt: new Date((await bed.env.currentTimeMs()) - 2 * 3600_000).toISOString(),
        }),
        client,
      ),
      await runFollowUp(taskQueue, await followUpInput('Nobody named here.'), client),
    ]);
    expect(outcomes).toEqual([
      { answeredBy: null, reason: 'cap' },
      { answeredBy: null, reason: 'idle' },
      { answeredBy: null, reason: 'nobody' },
    ]);
    expect(lastChannelMessageAt).not.toHaveBeenCalled();
  });

  // This test and the next leave follow-ups that outlived their replies: no skipped timers after it.
  it('waits the delay on a skipped timer, then starts the named character’s ReplyWorkflow as the next link', async () => {
    const input = await followUpInput('Brian, get me a beer.');
    const lastChannelMessageAt = jest.fn(async () => new Date(Date.now() - 60_000).toISOString());
    const generateReply = jest.fn(fakeActivities().generateReply);
    const before = await bed.env.currentTimeMs();
    const wallStart = Date.now();

    const delivered: string[] = [];
    const deliverReply = async () => {
      delivered.push(snowflakeAt(Date.now(), ++seq));
      return delivered.slice(-1);
    };

    const reply = await bed.run({ lastChannelMessageAt, generateReply, deliverReply }, async (taskQueue) => {
      const outcome = await runFollowUp(taskQueue, input);
      expect(outcome).toEqual({ answeredBy: 'Brian', workflowId: `reply-${input.lastMessageId}-brian` });
      if (!outcome.answeredBy) throw new Error('no answer');
      const result = await bed.env.client.workflow
        .getHandle<typeof ReplyWorkflow>(outcome.workflowId)
        .result();
      // Brian's line names nobody and nobody is talkative: the chain ends there.
      const afterBrian = await bed.env.client.workflow.getHandle(`follow-up-${delivered[0]}`).result();
      expect(afterBrian).toEqual({ answeredBy: null, reason: 'nobody' });
      return result;
    });

    expect((await bed.env.currentTimeMs()) - before).toBeGreaterThanOrEqual(TEN_MINUTES);
    expect(Date.now() - wallStart).toBeLessThan(TEN_MINUTES / 20);
    expect(lastChannelMessageAt).toHaveBeenCalledWith('200');
    // The answer is to Peter's line, which is a turn already: no user turn stored, the speaker named.
    expect(generateReply).toHaveBeenCalledWith(
      expect.objectContaining({ character: 'Brian', userMessage: '[Peter] Brian, get me a beer.' }),
    );
    expect(reply).toMatchObject<Partial<ReplyResult>>({ character: 'Brian', usedFallback: false });
  });

  it('runs a whole chain from one reply up to the cap, each link after its own delay', async () => {
    // A follow-up outlives the reply that started it (ParentClosePolicy.ABANDON), which stops the test
    // server's time skipping (see above): this chain waits real, short delays, on the real-time client.
    const delayMs = 300;
    // Each character names the next one: Peter -> Brian -> Stewie -> Peter; the cap is 3 lines.
    const next: Record<string, string> = { Peter: 'Brian', Brian: 'Stewie', Stewie: 'Peter' };
    const generateReply = jest.fn(async ({ character }: { character: string }) => ({
      raw: `Hey ${next[character]}!`,
      final: `Hey ${next[character]}!`,
    }));
    const delivered: string[] = [];
    const deliverReply = async () => {
      delivered.push(snowflakeAt(Date.now(), ++seq));
      return [delivered.at(-1) as string];
    };
    const before = await bed.env.currentTimeMs();
    const messageId = snowflakeAt(before, ++seq);
    const outcomes: FollowUpOutcome[] = [];
    const client = bed.realTime;

    await bed.run(
      { generateReply, deliverReply, lastChannelMessageAt: async () => null },
      async (taskQueue) => {
        await client.execute<typeof ReplyWorkflow>('ReplyWorkflow', {
          taskQueue,
          workflowId: `reply-${messageId}-peter`,
          args: [
            {
              character: 'Peter',
              message: {
                messageId,
                channelId: '200',
                guildId: '1',
                authorId: 'u1',
                authorName: 'Lois',
                content: 'Peter, say something.',
                createdAt: new Date(before).toISOString(),
              },
              followUps: policy({ maxChain: 3, delayMs }),
            },
          ],
        });
        // Each posted line has its FollowUpWorkflow (started by the reply that posted it).
        for (let link = 0; link < delivered.length; link++) {
          const outcome = await client
            .getHandle<typeof FollowUpWorkflow>(`follow-up-${delivered[link]}`)
            .result();
          outcomes.push(outcome);
          if (outcome.answeredBy) {
            await client.getHandle<typeof ReplyWorkflow>(outcome.workflowId).result();
          }
        }
      },
    );

    expect(generateReply.mock.calls.map(([prompt]) => prompt.character)).toEqual([
      'Peter',
      'Brian',
      'Stewie',
    ]);
    expect(outcomes).toEqual([
      { answeredBy: 'Brian', workflowId: `reply-${delivered[0]}-brian` },
      { answeredBy: 'Stewie', workflowId: `reply-${delivered[1]}-stewie` },
      { answeredBy: null, reason: 'cap' },
    ]);
    // Two delays went by on the workflow clock.
    expect((await bed.env.currentTimeMs()) - before).toBeGreaterThanOrEqual(2 * delayMs);
  });
});
