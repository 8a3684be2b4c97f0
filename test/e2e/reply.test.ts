import { WorkflowNotFoundError } from '@temporalio/client';
import type { ReplyResult } from '../../src/workflows/contracts/reply';
import { replyWorkflowId } from '../../src/workflows/contracts/reply';
import { sessionIdFor } from '../../src/store/sessionId';
import { waitFor } from '../fakes/waitFor';
import { startHarness, type CharacterName, type Harness } from './harness';

let h: Harness;

beforeAll(async () => {
  // Some scripted answers run past a Discord message; the default token limit would cut them.
  h = await startHarness({ env: { OLLAMA_NUM_PREDICT: '4096' } });
});

afterAll(async () => {
  await h?.stop();
});

afterEach(() => {
  h.ollama.recover();
  h.ollama.reply('Hehehehe.');
});

/** The ReplyWorkflow's result for (message, character), waiting for it to finish. */
function replyResult(messageId: string, character: CharacterName): Promise<ReplyResult> {
  return h.temporal.workflow.getHandle(replyWorkflowId(messageId, character)).result();
}

function repliesTo(messageId: string) {
  return h.discord.botMessages().filter((m) => m.message_reference?.message_id === messageId);
}

describe('a Discord message becomes one in-character reply', () => {
  it('answers a message naming Stewie once, from Stewie, as a reply, and stores both turns', async () => {
    h.ollama.reply('Stewie: Blast! I am building a weather control machine, obviously.');
    const message = await h.discord.userSays({
      channelId: h.channelId,
      content: 'hey Stewie, what are you building?',
    });

    const result = await waitFor(() => replyResult(message.id, 'Stewie'), { what: "Stewie's workflow" });
    expect(result.usedFallback).toBe(false);

    const replies = h.discord
      .botMessages(h.channelId)
      .filter((m) => m.message_reference?.message_id === message.id);
    expect(replies).toHaveLength(1);
    const [reply] = replies;
    expect(reply?.author.id).toBe(h.botUsers.Stewie.id);
    expect(reply?.content).toBe('Blast! I am building a weather control machine, obviously.');
    expect(result.deliveredMessageIds).toEqual([reply?.id]);
    // Nobody else was addressed, so nobody else started a reply.
    for (const other of ['Peter', 'Brian'] as const) {
      await expect(
        h.temporal.workflow.getHandle(replyWorkflowId(message.id, other)).describe(),
      ).rejects.toBeInstanceOf(WorkflowNotFoundError);
    }

    // The LLM got Stewie's prompt, the message, and an explicit context window.
    const request = h.ollama.requests.at(-1);
    expect(request?.body.options?.num_ctx).toBe(8192);
    expect(request?.body.messages?.[0]?.content).toContain('You are Stewie Griffin');
    expect(request?.body.messages?.at(-1)?.content).toBe('hey Stewie, what are you building?');

    const turns = await h.store.conversationHistory.collection
      .find({
        session_id: sessionIdFor(h.channelId),
        $or: [{ original_message_id: message.id }, { response_id: result.responseId }],
      })
      .sort({ turn_id: 1 })
      .toArray();
    expect(turns).toHaveLength(2);
    const [userTurn, botTurn] = turns;
    expect(userTurn).toMatchObject({
      session_id: `discord:${h.channelId}`,
      channel_id: h.channelId,
      user_id: message.author.id,
      speaker_type: 'USER',
      bot_name: null,
      message_content: 'hey Stewie, what are you building?',
      original_message_id: message.id,
      is_organic_initiation: false,
      rag_context_used: [],
      llm_response_raw: null,
      llm_response_final: null,
    });
    expect(botTurn).toMatchObject({
      session_id: `discord:${h.channelId}`,
      turn_id: (userTurn?.turn_id ?? 0) + 1,
      channel_id: h.channelId,
      user_id: null,
      speaker_type: 'BOT',
      bot_name: 'Stewie',
      message_content: 'Blast! I am building a weather control machine, obviously.',
      original_message_id: reply?.id,
      is_organic_initiation: false,
      rag_context_used: [],
      llm_response_raw: 'Stewie: Blast! I am building a weather control machine, obviously.',
      llm_response_final: 'Blast! I am building a weather control machine, obviously.',
      prompt_version_used: 'v1.0',
      reply_to_message_id: message.id,
    });
    for (const turn of turns) expect(turn.timestamp).toBeInstanceOf(Date);
  });

  it('answers a message delivered twice by the gateway only once', async () => {
    h.ollama.reply('Roadhouse!');
    const message = await h.discord.userSays({ channelId: h.channelId, content: 'Peter, say something' });
    await waitFor(() => replyResult(message.id, 'Peter'));
    await h.discord.redeliver(message.id);
    // A later message is handled after the redelivery (the gateway keeps order); once it
    // is answered, the redelivered one has been seen too.
    const later = await h.discord.userSays({ channelId: h.channelId, content: 'Peter, again' });
    await waitFor(() => replyResult(later.id, 'Peter'));
    expect(repliesTo(message.id)).toHaveLength(1);
    expect(repliesTo(later.id)).toHaveLength(1);
  });

  it('delivers a 4,500-character answer as three messages, in order, nothing cut', async () => {
    const sentence =
      'Well, actually, the novel I am writing is a searing indictment of suburban complacency. ';
    const long =
      sentence
        .repeat(Math.ceil(4500 / sentence.length))
        .slice(0, 4499)
        .trimEnd() + '.';
    expect(long.length).toBeGreaterThanOrEqual(4490);
    h.ollama.reply(long);
    const message = await h.discord.userSays({
      channelId: h.channelId,
      content: 'Brian, tell me about your novel',
    });
    const result = await waitFor(() => replyResult(message.id, 'Brian'));

    const parts = h.discord.botMessages(h.channelId).filter((m) => result.deliveredMessageIds.includes(m.id));
    expect(parts).toHaveLength(3);
    expect(parts.map((p) => p.id)).toEqual(result.deliveredMessageIds);
    expect(parts[0]?.message_reference?.message_id).toBe(message.id);
    for (const part of parts) {
      expect(part.author.id).toBe(h.botUsers.Brian.id);
      expect(part.content.length).toBeLessThanOrEqual(2000);
    }
    expect(
      parts
        .map((p) => p.content)
        .join(' ')
        .replace(/\s+/g, ' '),
    ).toBe(long.replace(/\s+/g, ' '));
    const turn = await h.store.conversationHistory.findByResponseId(result.responseId);
    expect(turn?.delivered_message_ids).toEqual(result.deliveredMessageIds);
    expect(turn?.llm_response_final).toBe(long);
  });

  it('dead-letters an Ollama that fails every attempt and answers with the fallback line', async () => {
    h.ollama.failAll(500);
    const message = await h.discord.userSays({ channelId: h.channelId, content: 'Brian, are you there?' });
    const result = await waitFor(() => replyResult(message.id, 'Brian'), { timeoutMs: 30_000 });

    expect(result.usedFallback).toBe(true);
    const prompt = await h.store.characterPrompts.findDefault('Brian');
    const replies = repliesTo(message.id);
    expect(replies).toHaveLength(1);
    expect(replies[0]?.content).toBe(prompt?.fallback_line);
    expect(
      h.ollama.requests.filter((r) => r.body.messages?.at(-1)?.content === 'Brian, are you there?'),
    ).toHaveLength(3);

    const letters = await h.store.deadLetterQueue.collection
      .find({ workflow_id: result.responseId })
      .toArray();
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({
      failed_step: 'generateReply',
      retry_attempts: 3,
      workflow_type: 'ReplyWorkflow',
      status: 'PENDING',
      failed_event_payload: {
        character: 'Brian',
        message: { messageId: message.id, content: 'Brian, are you there?' },
      },
    });
    expect(letters[0]?.error_details).toMatch(/^generateReply: .*llama runner process has terminated/);
    expect(letters[0]?.timestamp).toBeInstanceOf(Date);

    const turn = await h.store.conversationHistory.findByResponseId(result.responseId);
    expect(turn).toMatchObject({ llm_response_raw: null, llm_response_final: prompt?.fallback_line });
  });

  it('answers a DM in the DM', async () => {
    h.ollama.reply('Freakin sweet.');
    const dm = h.discord.createDmChannel(h.botUsers.Peter.id, '4242', 'dmuser');
    const message = await h.discord.userSays({ channelId: dm, content: 'hi' });
    await waitFor(() => replyResult(message.id, 'Peter'));
    const replies = h.discord.botMessages(dm);
    expect(replies.map((m) => [m.author.id, m.content])).toEqual([[h.botUsers.Peter.id, 'Freakin sweet.']]);
  });

  it('rides out a Discord 500 on delivery and still posts exactly once', async () => {
    h.ollama.reply('What the deuce?');
    h.discord.failNext({ method: 'POST', path: /\/channels\/\d+\/messages$/, status: 500, times: 2 });
    const message = await h.discord.userSays({ channelId: h.channelId, content: 'Stewie!' });
    await waitFor(() => replyResult(message.id, 'Stewie'), { timeoutMs: 30_000 });
    expect(repliesTo(message.id).map((m) => m.content)).toEqual(['What the deuce?']);
    expect(h.discord.restCalls.filter((c) => c.injected && c.status === 500)).toHaveLength(2);
  });

  it('does not post twice when Discord posted a part but the answer was lost', async () => {
    const sentence = 'Victory shall be mine, and the weather machine shall make it so. ';
    const long = sentence.repeat(Math.ceil(3000 / sentence.length)).trim();
    h.ollama.reply(long);
    // The first part is created, then its answer is lost: deliverReply fails after a real post,
    // and its retry must not create that part again.
    h.discord.failNext({
      method: 'POST',
      path: /\/channels\/\d+\/messages$/,
      status: 500,
      afterEffect: true,
    });
    const message = await h.discord.userSays({ channelId: h.channelId, content: 'Stewie, your plan?' });
    const result = await waitFor(() => replyResult(message.id, 'Stewie'), { timeoutMs: 30_000 });
    const parts = h.discord.botMessages(h.channelId).filter((m) => result.deliveredMessageIds.includes(m.id));
    expect(result.deliveredMessageIds).toHaveLength(2);
    expect(parts).toHaveLength(2);
    const created = h.discord
      .botMessages(h.channelId)
      .filter((m) => m.content.startsWith('Victory shall be mine'));
    expect(created).toHaveLength(2);
  });

  it('gives concurrent replies in one channel distinct, gap-free turn ids', async () => {
    const channelId = h.discord.createTextChannel('busy');
    await waitFor(() => h.discord.connectedBots().length === 3);
    h.ollama.reply((request) => `Re: ${String(request.messages?.at(-1)?.content)}`);
    const names: CharacterName[] = ['Peter', 'Brian', 'Stewie'];
    const messages = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        h.discord.userSays({ channelId, content: `${names[i % 3]} number ${i}` }),
      ),
    );
    await Promise.all(
      messages.map((m, i) =>
        waitFor(() => replyResult(m.id, names[i % 3] as CharacterName), { timeoutMs: 60_000 }),
      ),
    );
    const turns = await h.store.conversationHistory.collection
      .find({ session_id: sessionIdFor(channelId) })
      .toArray();
    expect(turns).toHaveLength(24);
    expect(turns.map((t) => t.turn_id).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 24 }, (_, i) => i + 1),
    );
  });
});
