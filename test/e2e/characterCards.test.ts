/**
 * Characters people bring, end to end through the real discord.js clients and the fake Discord: cards
 * imported with the CLI answer by name without a restart (through the cast bot's webhooks, beside the
 * three characters' own bots), lorebooks reach the prompt and rag_context_used, a channel's cast keeps the
 * others silent, and webhook mode runs the whole cast on one token, exactly once after a lost answer.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkflowNotFoundError } from '@temporalio/client';
import { cardToPng } from '../../src/characters/cards';
import { replyWorkflowId } from '../../src/workflows/contracts/reply';
import type { ReplyWorkflow } from '../../src/workflows/reply';
import type { GenerationBody } from '../fakes/scriptedOllama';
import { fixtureCard, fixtureJson } from '../fixtures/cards/build';
import { waitFor } from '../fakes/waitFor';
import { startHarness, type Harness } from './harness';
import { runAdminCli } from './processes';

jest.setTimeout(120_000);

const TOKEN = `admin-${randomUUID()}`;
const PUBLIC_BASE_URL = 'https://bots.example.com';

/** The system prompt of a chat request (where the character's prompt, scenario and lore go). */
const systemOf = (body: GenerationBody) => body.messages?.[0]?.content ?? '';

describe('with a mixed deployment (three own bots, and the cast bot for everyone else)', () => {
  let h: Harness;
  let admin: Awaited<ReturnType<Harness['startAdmin']>>;
  let dir: string;
  const cli = (...args: string[]) => runAdminCli(args, { adminUrl: admin.url, adminToken: TOKEN, cwd: dir });

  beforeAll(async () => {
    h = await startHarness({ voices: 'both', laterBots: ['Joe_Swanson'], env: { PUBLIC_BASE_URL } });
    admin = await h.startAdmin(TOKEN);
    dir = await mkdtemp(join(tmpdir(), 'fg-cards-e2e-'));
    // Each answer says who wrote it, from the system prompt the model was given.
    h.ollama.reply((body) => `Well, ${/You are ([\w ]+)/.exec(systemOf(body))?.[1] ?? 'someone'} here.`);
  });
  afterAll(async () => {
    await admin?.close();
    await h?.stop();
  });

  /** A human's message, and the reply of `character` to it once it is posted. */
  async function ask(channelId: string, content: string, character: string) {
    const message = await h.discord.userSays({ channelId, content });
    const handle = h.temporal.workflow.getHandle<typeof ReplyWorkflow>(
      replyWorkflowId(message.id, character),
    );
    const result = await waitFor(() => handle.result(), { timeoutMs: 30_000, what: `${character}'s reply` });
    return { message, result };
  }

  it('imports a V2 JSON card and a V3 PNG card with the CLI; each answers by name within seconds, from its card, through a webhook', async () => {
    await writeFile(join(dir, 'quagmire.json'), fixtureJson('quagmire.v2.json'));
    await writeFile(join(dir, 'cleveland.png'), cardToPng(fixtureCard('cleveland.v3.json') as never, null));
    for (const [file, name] of [
      ['quagmire.json', 'Glenn_Quagmire'],
      ['cleveland.png', 'Cleveland_Brown'],
    ] as const) {
      const imported = await cli('characters', 'import', file);
      expect(imported.stderr).toBe('');
      expect(JSON.parse(imported.stdout)).toMatchObject({ name, prompt_version: 'card-1' });
    }
    // No restart: the running bots and worker pick the new characters up at their next roster read.
    const importedAt = Date.now();
    await waitFor(() => h.roster.find('Glenn_Quagmire') && h.roster.find('Cleveland_Brown'));
    expect(Date.now() - importedAt).toBeLessThan(5000);

    const channelId = h.discord.createTextChannel('cards');
    const quagmire = await ask(channelId, 'Glenn Quagmire, how was the flight?', 'Glenn_Quagmire');
    const cleveland = await ask(channelId, 'Cleve, how is the deli doing?', 'Cleveland_Brown');

    // Posted through the channel's one cast webhook, signed with each character's name.
    const posts = h.discord.webhookMessages(channelId);
    expect(posts.map((post) => post.author.username)).toEqual(['Glenn Quagmire', 'Cleveland Brown']);
    expect(new Set(posts.map((post) => post.webhook_id)).size).toBe(1);
    expect(posts.map((post) => post.id)).toEqual([
      ...quagmire.result.deliveredMessageIds,
      ...cleveland.result.deliveredMessageIds,
    ]);
    expect(posts[0]?.content).toBe('Well, Glenn Quagmire here.');
    // The PNG card's image is Cleveland's avatar, served publicly for Discord to fetch.
    expect(h.discord.webhookAvatarUrl(posts[1]?.id ?? '')).toBe(`${PUBLIC_BASE_URL}/avatars/cleveland_brown`);
    expect(h.discord.webhookAvatarUrl(posts[0]?.id ?? '')).toBeNull();

    // Each prompt was built from its card, the macros resolved: description, scenario, example messages.
    const prompts = h.ollama.requests.map((request) => systemOf(request.body));
    const quagmirePrompt = prompts.find((text) => text.includes('airline pilot'));
    expect(quagmirePrompt).toContain('Glenn Quagmire is an airline pilot who lives on Spooner Street');
    expect(quagmirePrompt).toContain('at The Drunken Clam');
    expect(quagmirePrompt).not.toContain('{{char}}');
    // Cleveland's card lorebook: its constant entry always, its regex entry because the message says "deli".
    const clevelandPrompt = prompts.find((text) => text.includes('Stoolbend'));
    expect(clevelandPrompt).toContain('Cleveland Brown runs a delicatessen.');
    expect(cleveland.result.promptVersion).toBe('card-1');
  });

  it('has a character imported after start answer through its own bot when its DISCORD_TOKEN_<NAME> was there at start', async () => {
    const card = {
      spec: 'chara_card_v2',
      spec_version: '2.0',
      data: { name: 'Joe Swanson', description: 'A cop.' },
    };
    await writeFile(join(dir, 'joe.json'), JSON.stringify(card));
    expect(JSON.parse((await cli('characters', 'import', 'joe.json')).stdout)).toMatchObject({
      name: 'Joe_Swanson',
    });
    const channelId = h.discord.createTextChannel('own-bot');
    const { result } = await ask(channelId, 'Joe Swanson, any crime today?', 'Joe_Swanson');

    const posts = h.discord.botMessages(channelId);
    expect(posts.map((post) => post.author.id)).toEqual([h.laterBots.Joe_Swanson?.id]);
    expect(posts.map((post) => post.id)).toEqual(result.deliveredMessageIds);
    expect(h.discord.webhookMessages(channelId)).toEqual([]);
  });

  it("puts a lorebook entry whose key the conversation names into the prompt and the turn's rag_context_used, and leaves the other out", async () => {
    await writeFile(
      join(dir, 'quahog.json'),
      JSON.stringify({
        name: 'Quahog',
        entries: [
          {
            id: 1,
            keys: ['Spooner Street'],
            content: 'SPOONER-LORE: the Griffins live at 31 Spooner Street.',
          },
          { id: 2, keys: ['Pawtucket'], content: 'PAWTUCKET-LORE: the brewery where Peter works.' },
        ],
      }),
    );
    const set = await cli('lore', 'set', 'global', '--file', 'quahog.json');
    expect(set.stderr).toBe('');

    const channelId = h.discord.createTextChannel('lore');
    const { result } = await ask(channelId, 'Peter, who lives on Spooner Street?', 'Peter');

    const prompt = systemOf(h.ollama.requests.at(-1)?.body as GenerationBody);
    expect(prompt).toContain('SPOONER-LORE');
    expect(prompt).not.toContain('PAWTUCKET-LORE');
    const turn = await h.store.conversationHistory.findByResponseId(result.responseId);
    const lore = turn?.rag_context_used.filter((snippet) => snippet.origin === 'lorebook');
    expect(lore).toEqual([
      expect.objectContaining({
        source_url: 'lorebook:global#1',
        lore: expect.objectContaining({ scope: 'global', book: 'Quahog', reason: 'key: Spooner Street' }),
      }),
    ]);
  });

  it("keeps a character out of a channel's cast silent there when named, and gives the others the channel's scenario", async () => {
    const channelId = h.discord.createTextChannel('cast');
    const set = await cli(
      'channels',
      'set',
      channelId,
      '--cast',
      'Peter,Brian',
      '--scenario',
      'A CAST-SCENARIO: the Griffins are stuck in an elevator.',
    );
    expect(set.stderr).toBe('');
    // The bots read a channel's settings again once ROSTER_REFRESH_MS has passed since the last read.
    await waitFor(async () => (await h.roster.channel(channelId))?.cast);

    const { message, result } = await ask(
      channelId,
      'Peter, Stewie and Glenn Quagmire: anyone there?',
      'Peter',
    );
    expect(result.usedFallback).toBe(false);
    expect(systemOf(h.ollama.requests.at(-1)?.body as GenerationBody)).toContain('A CAST-SCENARIO');
    // Stewie and Quagmire were named but are not in this channel: no reply was even started for them.
    for (const absent of ['Stewie', 'Glenn_Quagmire']) {
      await expect(
        h.temporal.workflow.getHandle(replyWorkflowId(message.id, absent)).describe(),
      ).rejects.toBeInstanceOf(WorkflowNotFoundError);
    }
    expect(h.discord.botMessages(channelId).map((post) => post.author.username)).toEqual(['Peter']);
    expect(h.discord.webhookMessages(channelId)).toEqual([]);
  });
});

describe('in webhook mode (one token for the whole cast)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ voices: 'cast' });
    h.ollama.reply((body) => `Hello from ${/You are ([\w ]+?) from/.exec(systemOf(body))?.[1] ?? '?'}.`);
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('answers three characters with one token, each post signed with its name, exactly once after a lost answer', async () => {
    const channelId = h.discord.createTextChannel('webhook-mode');
    // Discord posts the first webhook message, but its answer never reaches the worker.
    h.discord.failNext({ method: 'POST', path: /^\/webhooks\/\d+\/[^/]+$/, status: 500, afterEffect: true });
    const message = await h.discord.userSays({ channelId, content: 'Peter, Brian and Stewie: roll call!' });
    const results = await Promise.all(
      ['Peter', 'Brian', 'Stewie'].map((character) =>
        waitFor(
          () =>
            h.temporal.workflow
              .getHandle<typeof ReplyWorkflow>(replyWorkflowId(message.id, character))
              .result(),
          {
            timeoutMs: 60_000,
            what: `${character}'s reply`,
          },
        ),
      ),
    );

    const posts = h.discord.webhookMessages(channelId);
    expect(posts.map((post) => post.author.username).sort()).toEqual(['Brian', 'Peter', 'Stewie']);
    for (const post of posts) expect(post.content).toBe(`Hello from ${post.author.username} Griffin.`);
    // Exactly once: the lost post was recognised on the retry, not posted again.
    expect(posts).toHaveLength(3);
    expect(results.flatMap((result) => result.deliveredMessageIds).sort()).toEqual(
      posts.map((post) => post.id).sort(),
    );
    // One application, one webhook; no character bot ever logged in.
    expect(new Set(posts.map((post) => post.webhook_id)).size).toBe(1);
    expect(h.discord.connectedBots()).toEqual([h.castBot?.id]);
  });
});
