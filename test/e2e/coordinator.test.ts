/**
 * Who answers a message that names no character, through the real bots, worker and fake Discord: in a
 * channel set to `coordinator`, while the characters are part of the conversation, exactly one character
 * answers it, never the one who spoke last; outside a conversation nobody does (join chance 0), and in a
 * channel left addressed-only (UNNAMED_MESSAGES' default) nobody starts anything.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import type { CoordinateWorkflow } from '../../src/workflows/coordinate';
import type { ReplyWorkflow } from '../../src/workflows/reply';
import { coordinateWorkflowId } from '../../src/workflows/contracts/coordinate';
import { replyWorkflowId } from '../../src/workflows/contracts/reply';
import type { GenerationBody } from '../fakes/scriptedOllama';
import { waitFor } from '../fakes/waitFor';
import { startHarness, type Harness } from './harness';

let h: Harness;

/** What the coordinator's choice asked the model, request by request. */
const choices: GenerationBody[] = [];
/** The model's answer to "who answers?". */
let answererChoice = '{"character": "Stewie"}';

beforeAll(async () => {
  // Two unnamed messages answered in a row at most, so the cap shows after two.
  h = await startHarness({ env: { UNNAMED_MAX_IN_A_ROW: '2' } });
  h.ollama.reply((request) => {
    const system = String(request.messages?.[0]?.content ?? '');
    if (system.startsWith('You pick which Family Guy character answers')) {
      choices.push(request);
      return answererChoice;
    }
    const speaker = /^You are (\w+)/.exec(system)?.[1] ?? 'Someone';
    return `${speaker} here, and pizza sounds great.`;
  });
  await waitFor(() => h.discord.connectedBots().length === 3);
});

afterAll(async () => {
  await h?.stop();
});

const coordinator = (messageId: string) =>
  h.temporal.workflow.getHandle<typeof CoordinateWorkflow>(coordinateWorkflowId(messageId));

/** Peter is named and answers: the characters are part of the conversation, Peter spoke last. */
async function talkWithPeter(channelId: string): Promise<void> {
  const named = await h.discord.userSays({ channelId, content: 'Peter, how was work?' });
  await waitFor(() =>
    h.temporal.workflow.getHandle<typeof ReplyWorkflow>(replyWorkflowId(named.id, 'Peter')).result(),
  );
}

const answersTo = (channelId: string, messageId: string) =>
  h.discord.botMessages(channelId).filter((m) => m.message_reference?.message_id === messageId);

it('has exactly one character answer an unnamed message in a conversation, not the last speaker, up to the cap', async () => {
  const channelId = h.discord.createTextChannel('coordinated');
  await h.store.channelSettings.put(channelId, { unnamed_messages: 'coordinator' }, 'test');

  // Before any conversation: nobody answers (the join chance is 0 by default).
  const opening = await h.discord.userSays({ channelId, content: 'is anyone around?' });
  expect(await waitFor(() => coordinator(opening.id).result())).toEqual({
    answeredBy: null,
    reason: 'not-in-conversation',
  });

  await talkWithPeter(channelId);
  answererChoice = '{"character": "Stewie"}';
  const unnamed = await h.discord.userSays({ channelId, content: 'what should we get for dinner?' });
  const outcome = await waitFor(() => coordinator(unnamed.id).result());
  expect(outcome).toMatchObject({ answeredBy: 'Stewie', chosenByLlm: true, why: 'conversation' });
  await h.temporal.workflow.getHandle<typeof ReplyWorkflow>(replyWorkflowId(unnamed.id, 'Stewie')).result();

  const answers = answersTo(channelId, unnamed.id);
  expect(answers.map((m) => m.author.username)).toEqual(['Stewie']);
  expect(answers[0]?.content).toBe('Stewie here, and pizza sounds great.');
  // The model was offered everyone but Peter, who spoke last, and shown the message.
  const offered = choices.at(-1);
  expect(offered?.format).toMatchObject({ properties: { character: { enum: ['Brian', 'Stewie'] } } });
  expect(String(offered?.messages?.[1]?.content)).toContain('what should we get for dinner?');

  // The model insists on the last speaker (Stewie now): not a candidate, so talkativeness picks another.
  answererChoice = '{"character": "Stewie"}';
  const again = await h.discord.userSays({ channelId, content: 'and for dessert?' });
  const fallback = await waitFor(() => coordinator(again.id).result());
  expect(fallback).toMatchObject({ chosenByLlm: false, why: 'conversation' });
  expect(fallback.answeredBy).not.toBe('Stewie');
  await h.temporal.workflow
    .getHandle<typeof ReplyWorkflow>(replyWorkflowId(again.id, fallback.answeredBy as string))
    .result();
  expect(answersTo(channelId, again.id).map((m) => m.author.username)).toEqual([fallback.answeredBy]);

  // A third unnamed message in a row, nobody having named a character since: the cap holds.
  const third = await h.discord.userSays({ channelId, content: 'and who pays?' });
  expect(await waitFor(() => coordinator(third.id).result())).toEqual({
    answeredBy: null,
    reason: 'in-a-row-cap',
  });

  const turns = await h.store.conversationHistory.collection
    .find({ channel_id: channelId })
    .sort({ turn_id: 1 })
    .toArray();
  // The opening message was nobody's: never stored; the others each have their user turn and one reply.
  expect(turns.filter((t) => t.speaker_type === 'USER')).toHaveLength(3);
  expect(turns.filter((t) => t.speaker_type === 'BOT').map((t) => t.bot_name)).toEqual([
    'Peter',
    'Stewie',
    fallback.answeredBy,
  ]);
});

it('leaves a message for a person to them, in a conversation too', async () => {
  const channelId = h.discord.createTextChannel('coordinated-people');
  await h.store.channelSettings.put(channelId, { unnamed_messages: 'coordinator' }, 'test');
  await talkWithPeter(channelId);
  const question = await h.discord.userSays({
    channelId,
    author: { id: '860000000000000001', username: 'alice' },
    content: 'what should we get for dinner?',
  });
  const reply = await h.discord.userSays({ channelId, content: 'tacos, obviously', replyTo: question.id });
  // The question was the coordinator's; the reply to Alice is not.
  await waitFor(() => coordinator(question.id).result());
  const named = await h.discord.userSays({ channelId, content: 'Brian, agreed?' });
  await waitFor(() =>
    h.temporal.workflow.getHandle<typeof ReplyWorkflow>(replyWorkflowId(named.id, 'Brian')).result(),
  );
  await expect(coordinator(reply.id).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
  expect(answersTo(channelId, reply.id)).toEqual([]);
});

it('answers no unnamed message where the channel is addressed-only', async () => {
  const channelId = h.discord.createTextChannel('addressed-only');
  await talkWithPeter(channelId);
  const unnamed = await h.discord.userSays({ channelId, content: 'what should we get for dinner?' });
  // A named message after it: once it is answered, the bots have long seen the unnamed one.
  const named = await h.discord.userSays({ channelId, content: 'Brian, any ideas?' });
  await waitFor(() =>
    h.temporal.workflow.getHandle<typeof ReplyWorkflow>(replyWorkflowId(named.id, 'Brian')).result(),
  );
  await expect(coordinator(unnamed.id).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
  expect(answersTo(channelId, unnamed.id)).toEqual([]);
});
