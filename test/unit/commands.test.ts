/**
 * The slash command registry (src/bots/commands) on the fake Discord through discord.js: what each bot
 * registers, where (DISCORD_COMMANDS_GUILD_ID's server, or globally), and /cast's answer.
 */
import { once } from 'node:events';
import type { Client as TemporalClient } from '@temporalio/client';
import { Client, Events, GatewayIntentBits } from 'discord.js';
import type { RosterView } from '../../src/characters/liveRoster';
import type { RosterEntry } from '../../src/characters/profile';
import { attachCommands, type CommandContext } from '../../src/bots/commands';
import { describeCast } from '../../src/bots/commands/cast';
import { logger } from '../../src/logger';
import { startFakeDiscord, type BotUser, type FakeDiscord } from '../fakes/fakeDiscord';
import { waitFor } from '../fakes/waitFor';

let fake: FakeDiscord;
const clients: Client[] = [];

beforeAll(async () => {
  fake = await startFakeDiscord({ heartbeatIntervalMs: 250 });
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.destroy()));
  await fake.close();
});

const present = [
  { name: 'Peter', aliases: ['peter', 'fatman'] },
  { name: 'Glenn_Quagmire', aliases: ['glenn quagmire', 'quagmire'] },
  { name: 'Cleveland', aliases: ['cleveland'] },
];

/** Peter has a bot of his own, Quagmire speaks through the cast's webhooks, Cleveland through neither. */
function context(peterBot: string | null): Omit<CommandContext, 'character'> {
  return {
    temporal: {} as TemporalClient,
    taskQueue: 'unused',
    roster: { presentIn: () => Promise.resolve(present as RosterEntry[]) } as unknown as RosterView,
    castCharacters: () => ['Glenn_Quagmire'],
    botUserOf: (character) => (character === 'Peter' ? peterBot : null),
    log: logger,
  };
}

/** Logs `bot` in with the registry wired as for `character` (null: the cast bot). */
async function connect(bot: BotUser, character: string | null, guildId: string | undefined): Promise<Client> {
  const client = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: fake.apiUrl } });
  clients.push(client);
  attachCommands({ client, characterOf: () => character, guildId, context: context(bot.id) });
  const ready = once(client, Events.ClientReady);
  await client.login(bot.token);
  await ready;
  return client;
}

const names = (bot: BotUser, guildId?: string) => fake.commands(bot.id, guildId).map((c) => c.name);

describe('registration', () => {
  it("registers a character's /rate, /regenerate and /cast globally when no server is set", async () => {
    const peter = fake.addBot({ token: 'peter-global', username: 'Peter' });
    await connect(peter, 'Peter', undefined);
    await waitFor(() => names(peter).length > 0, { what: 'global commands' });
    expect(names(peter)).toEqual(expect.arrayContaining(['rate', 'regenerate', 'cast']));
    expect(names(peter, fake.guildId)).toEqual([]);
    expect(fake.commands(peter.id).find((c) => c.name === 'rate')?.description).toBe(
      'Rate a reply of Peter from 1 (bad) to 5 (great)',
    );
  });

  it('registers in DISCORD_COMMANDS_GUILD_ID and clears the global ones, so nothing is listed twice', async () => {
    const stewie = fake.addBot({ token: 'stewie-guild', username: 'Stewie' });
    const first = await connect(stewie, 'Stewie', undefined);
    await waitFor(() => names(stewie).includes('cast'), { what: 'global commands first' });
    await first.destroy();

    await connect(stewie, 'Stewie', fake.guildId);
    await waitFor(() => names(stewie, fake.guildId).includes('cast') && names(stewie).length === 0, {
      what: 'the guild commands, and no global ones',
    });
    expect(names(stewie, fake.guildId)).toEqual(expect.arrayContaining(['rate', 'regenerate', 'cast']));
  });

  it('registers for the cast bot only what needs no character of its own: no /rate', async () => {
    const cast = fake.addBot({ token: 'cast-token', username: 'Cast' });
    await connect(cast, null, undefined);
    await waitFor(() => names(cast).length > 0, { what: "the cast bot's commands" });
    expect(names(cast)).toEqual(expect.arrayContaining(['regenerate', 'cast']));
    expect(names(cast)).not.toContain('rate');
  });
});

describe('/cast', () => {
  it('answers only the caller: who is here and how to address each', async () => {
    const brian = fake.addBot({ token: 'brian-cast', username: 'Brian' });
    await connect(brian, 'Brian', undefined);
    await waitFor(() => names(brian).includes('cast'), { what: '/cast' });
    const channelId = fake.createTextChannel('cast-here');
    const { id } = await fake.useCommand({ applicationId: brian.id, channelId, name: 'cast' });
    const answer = await waitFor(() => fake.interactionResponse(id)?.content ?? undefined, {
      what: 'the answer',
    });
    expect(fake.interactionResponse(id)?.ephemeral).toBe(true);
    expect(answer).toBe(describeCast(present, context(brian.id)));
  });

  it('says how each is reached: a mention of their bot, their name through webhooks, or offline', () => {
    expect(describeCast(present, context('123456789012345678'))).toBe(
      [
        'Here (3):',
        '- **Peter** (also: fatman): mention <@123456789012345678>, reply to one of their messages, or say "Peter"',
        '- **Glenn Quagmire** (also: quagmire): say "Glenn Quagmire" in your message or reply to one of their messages (they speak through webhooks)',
        '- **Cleveland**: offline: no bot speaks for them at the moment',
      ].join('\n'),
    );
    expect(describeCast([], context(null))).toBe('Nobody is here: no character is part of this channel.');
  });
});
