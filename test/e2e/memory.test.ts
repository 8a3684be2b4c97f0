/**
 * Memory beyond the window and /forget, end to end through the real discord.js bots, the fake Discord, the
 * test stack's Temporal and FerretDB, and the scripted Ollama (whose requests show what the LLM was given):
 * a summary written every MEMORY_SUMMARY_EVERY turns reaches a later prompt, notes about a user reach only
 * that user's prompts, and /forget (Manage Messages) takes the channel's earlier turns out of the next one.
 */
import { randomUUID } from 'node:crypto';
import { PermissionFlagsBits } from 'discord.js';
import { SUMMARY_SYSTEM_INTRO } from '../../src/llm/summaryPrompt';
import { sessionIdFor } from '../../src/store/sessionId';
import { replyWorkflowId } from '../../src/workflows/contracts/reply';
import type { ReplyWorkflow } from '../../src/workflows/reply';
import type { GenerationBody } from '../fakes/scriptedOllama';
import { waitFor } from '../fakes/waitFor';
import { startHarness, type CharacterName, type Harness } from './harness';

jest.setTimeout(60_000);

const SUMMARY = 'The captain told Peter to call him Captain; Peter owes him a chocolate pudding.';
const NOTE = 'wants to be called Captain';

const systemOf = (body: GenerationBody) => body.messages?.[0]?.content ?? '';
const everything = (body: GenerationBody) => (body.messages ?? []).map((m) => m.content).join('\n');
const isSummaryCall = (body: GenerationBody) => systemOf(body).startsWith(SUMMARY_SYSTEM_INTRO);

let h: Harness;

beforeAll(async () => {
  // Small numbers so a few messages are enough: the window is the 2 turns before a message, and a summary
  // is written each time 2 more turns have left it.
  h = await startHarness({
    env: { HISTORY_WINDOW: '2', MEMORY_SUMMARY_EVERY: '2', MEMORY_USER_NOTES: 'true' },
  });
  h.ollama.reply((body) => {
    if (!isSummaryCall(body)) return 'Heh heh. Sure thing.';
    // A model's summary: the note cites the turn the transcript numbered for "call me Captain".
    const line = /^#(\d+) \[([^\]]+)\] .*call me Captain/m.exec(everything(body));
    return JSON.stringify({
      summary: SUMMARY,
      notes: line ? [{ user: line[2], turn: Number(line[1]), note: NOTE }] : [],
    });
  });
});
afterAll(async () => {
  await h?.stop();
});

/** A human's message to `character`, and the request the LLM got for the reply to it once it is posted. */
async function ask(
  channelId: string,
  content: string,
  character: CharacterName,
  author?: { id: string; username: string },
) {
  const message = await h.discord.userSays({ channelId, content, ...(author && { author }) });
  const handle = h.temporal.workflow.getHandle<typeof ReplyWorkflow>(replyWorkflowId(message.id, character));
  await waitFor(() => handle.result(), { timeoutMs: 20_000, what: `${character}'s reply` });
  const request = h.ollama.requests.find(
    (r) => !isSummaryCall(r.body) && everything(r.body).includes(content),
  );
  if (!request) throw new Error(`no LLM request for "${content}"`);
  return request.body;
}

describe('memory beyond the window', () => {
  it('summarises the turns that left the window and gives the summary, and a user their own notes, to later prompts', async () => {
    const channelId = h.discord.createTextChannel('memory');
    const captain = { id: '880000000000000001', username: 'captain' };
    const other = { id: '880000000000000002', username: 'someone_else' };

    await ask(channelId, 'Peter, call me Captain from now on.', 'Peter', captain); // turns 1, 2
    await ask(channelId, 'Peter, you owe me a chocolate pudding.', 'Peter', captain); // turns 3, 4
    // Turns 1-2 have left the 2-turn window: SessionMemoryWorkflow summarises them.
    const summary = await waitFor(() => h.store.conversationSummaries.get(sessionIdFor(channelId)), {
      timeoutMs: 20_000,
      what: 'the summary',
    });
    expect(summary).toMatchObject({
      summary: SUMMARY,
      covers_from_turn_id: 1,
      through_turn_id: 2,
      source_user_ids: [captain.id],
    });
    // It was written from the turns outside the window only, under the notes' JSON schema.
    const summaryCalls = h.ollama.requests.filter((r) => isSummaryCall(r.body));
    expect(summaryCalls).toHaveLength(1);
    const summaryCall = summaryCalls[0]!.body;
    expect(everything(summaryCall)).toContain('[captain] Peter, call me Captain from now on.');
    expect(everything(summaryCall)).not.toContain('pudding');
    expect(summaryCall.format).toMatchObject({ required: ['summary', 'notes'] });
    const notes = await h.store.userNotes.forUser(captain.id);
    expect(notes).toEqual([
      expect.objectContaining({ note: NOTE, session_id: sessionIdFor(channelId), turn_id: 1 }),
    ]);

    // The next reply to the captain is written with the summary and the note about him.
    const toCaptain = await ask(channelId, 'Peter, what do you remember about me?', 'Peter', captain);
    expect(systemOf(toCaptain)).toContain(`EARLIER IN THIS CONVERSATION`);
    expect(systemOf(toCaptain)).toContain(SUMMARY);
    expect(systemOf(toCaptain)).toContain(`- ${NOTE}`);
    // Someone else in the same channel gets the summary, never the captain's note.
    const toOther = await ask(channelId, 'Peter, and what about me?', 'Peter', other);
    expect(systemOf(toOther)).toContain(SUMMARY);
    expect(everything(toOther)).not.toContain(NOTE);

    // An admin has the channel forget (the admin API's /forget): summary, note and window go.
    const token = `admin-${randomUUID()}`;
    const admin = await h.startAdmin(token);
    try {
      const res = await fetch(`${admin.url}/channels/${channelId}/forget`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({
        session_id: sessionIdFor(channelId),
        forgotten_through_turn_id: 8,
      });
    } finally {
      await admin.close();
    }
    const afterForget = await ask(channelId, 'Peter, do you know me?', 'Peter', captain);
    expect(everything(afterForget)).not.toContain(SUMMARY);
    expect(everything(afterForget)).not.toContain(NOTE);
    expect(everything(afterForget)).not.toContain('what about me');
    expect(await h.store.userNotes.forUser(captain.id)).toEqual([]);
  });
});

describe('/forget', () => {
  it("needs Manage Messages, then takes the channel's earlier turns out of the next prompt (they stay on record)", async () => {
    const channelId = h.discord.createTextChannel('forgetful');
    const secret = `avocado-${randomUUID().slice(0, 8)}`;
    await ask(channelId, `Brian, my secret word is ${secret}.`, 'Brian');
    const before = await ask(channelId, 'Brian, what did I just tell you?', 'Brian');
    expect(everything(before)).toContain(secret);

    const brian = h.botUsers.Brian.id;
    await waitFor(() => h.discord.commands(brian).some((command) => command.name === 'forget'), {
      what: "Brian's /forget registered",
    });
    // Without Manage Messages the command is not even offered.
    await expect(h.discord.useCommand({ applicationId: brian, channelId, name: 'forget' })).rejects.toThrow(
      /hidden/,
    );
    const { id } = await h.discord.useCommand({
      applicationId: brian,
      channelId,
      name: 'forget',
      permissions: PermissionFlagsBits.ViewChannel | PermissionFlagsBits.ManageMessages,
    });
    const answer = await waitFor(
      () => {
        const response = h.discord.interactionResponse(id);
        return response?.content ? response : undefined;
      },
      { what: 'the answer to /forget' },
    );
    expect(answer).toMatchObject({ ephemeral: true });
    expect(answer.content).toMatch(/^Done: the characters no longer remember/);

    const after = await ask(channelId, 'Brian, so what is my secret word?', 'Brian');
    expect(everything(after)).not.toContain(secret);
    expect(everything(after)).not.toContain('what did I just tell you');
    // The forgotten turns are still in conversation_history.
    const stored = await h.store.conversationHistory.turnsPage(sessionIdFor(channelId), null, 10);
    expect(stored.map((turn) => turn.message_content)).toContain(`Brian, my secret word is ${secret}.`);
  });
});
