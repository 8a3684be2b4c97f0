import { loadRoster } from '../../src/characters/roster';
import { followUpPolicy } from '../../src/config';
import type { OrganicConversationWorkflow } from '../../src/workflows/organic';
import type { ReplyResult } from '../../src/workflows/contracts/reply';
import { replyWorkflowId } from '../../src/workflows/contracts/reply';
import { waitFor } from '../fakes/waitFor';
import { startHarness, type Harness } from './harness';

let h: Harness;

beforeAll(async () => {
  // Characters never chime in unprompted here (talkativeness only applies when nobody is
  // named), so who answers is decided by the names the scripted lines contain.
  h = await startHarness({ env: { FOLLOW_UP_MAX_CHAIN: '4', FOLLOW_UP_DELAY_SECONDS: '1.5' } });
});

afterAll(async () => {
  await h?.stop();
});

/** Each character hands over to the next by name: Peter -> Brian -> Stewie -> Peter ... */
function scriptHandOvers(): void {
  const next: Record<string, string> = { Peter: 'Brian', Brian: 'Stewie', Stewie: 'Peter' };
  h.ollama.reply((request) => {
    const system = String(request.messages?.[0]?.content ?? '');
    if (system.startsWith('You pick which Family Guy character')) return '{"character": "Stewie"}'; // organic initiator
    const speaker = Object.keys(next).find((name) => system.startsWith(`You are ${name} Griffin`)) ?? 'Peter';
    return `What do you think, ${next[speaker]}?`;
  });
}

it('lets characters answer each other, never themselves, and stops at the chain cap', async () => {
  scriptHandOvers();
  const channelId = h.discord.createTextChannel('chain');
  await waitFor(() => h.discord.connectedBots().length === 3);
  await h.discord.userSays({ channelId, content: 'Peter, start us off' });

  await waitFor(() => h.discord.botMessages(channelId).length >= 4, {
    timeoutMs: 30_000,
    what: 'four bot lines',
  });
  await new Promise((resolve) => setTimeout(resolve, 4000)); // room for a fifth line, if the cap failed
  const lines = h.discord.botMessages(channelId);
  const speakers = lines.map((m) => m.author.username);
  expect(speakers).toEqual(['Peter', 'Brian', 'Stewie', 'Peter']);
  for (let i = 1; i < lines.length; i++) {
    // Each line answers the one before it, as a Discord reply.
    expect(lines[i]?.message_reference?.message_id).toBe(lines[i - 1]?.id);
  }
  const turns = await h.store.conversationHistory.collection.find({ channel_id: channelId }).toArray();
  expect(turns.filter((t) => t.speaker_type === 'USER')).toHaveLength(1); // bot lines are not stored as users
  expect(turns.filter((t) => t.speaker_type === 'BOT')).toHaveLength(4);
});

it('stops the chain when a human speaks in the meantime, and answers the human', async () => {
  scriptHandOvers();
  const channelId = h.discord.createTextChannel('interrupted');
  await waitFor(() => h.discord.connectedBots().length === 3);
  const first = await h.discord.userSays({ channelId, content: 'Peter, start us off' });
  const firstReply: ReplyResult = await waitFor(() =>
    h.temporal.workflow.getHandle(replyWorkflowId(first.id, 'Peter')).result(),
  );
  expect(firstReply.deliveredMessageIds).toHaveLength(1);
  // Brian would answer Peter after 1.5 s; a human speaks first.
  const human = await h.discord.userSays({ channelId, content: 'hold on, Stewie, what about you?' });
  await waitFor(() => h.temporal.workflow.getHandle(replyWorkflowId(human.id, 'Stewie')).result());
  await new Promise((resolve) => setTimeout(resolve, 3000)); // past Brian's turn
  const answersToPeter = h.discord
    .botMessages(channelId)
    .filter((m) => m.message_reference?.message_id === firstReply.deliveredMessageIds[0]);
  expect(answersToPeter).toHaveLength(0);
  expect(h.discord.botMessages(channelId).some((m) => m.message_reference?.message_id === human.id)).toBe(
    true,
  );
});

it('lets characters answer an organic starter too, within the same cap', async () => {
  scriptHandOvers();
  const channelId = h.discord.createTextChannel('organic-chain');
  await waitFor(() => h.discord.connectedBots().length === 3);
  await h.temporal.workflow.execute<typeof OrganicConversationWorkflow>('OrganicConversationWorkflow', {
    taskQueue: h.config.taskQueue,
    workflowId: `organic-test-${channelId}`,
    args: [
      {
        channelId,
        lastInitiator: null,
        followUps: followUpPolicy({ ...h.config, followUpMaxChain: 3 }, loadRoster(h.config.characters)),
      },
    ],
  });
  await waitFor(() => h.discord.botMessages(channelId).length >= 3, {
    timeoutMs: 30_000,
    what: 'three bot lines',
  });
  await new Promise((resolve) => setTimeout(resolve, 4000)); // room for a fourth line, if the cap failed
  expect(h.discord.botMessages(channelId).map((m) => m.author.username)).toEqual([
    'Stewie',
    'Peter',
    'Brian',
  ]);
  const [starter] = await h.store.conversationHistory.collection
    .find({ channel_id: channelId, is_organic_initiation: true })
    .toArray();
  expect(starter?.bot_name).toBe('Stewie');
});
