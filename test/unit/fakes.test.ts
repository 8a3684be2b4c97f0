/**
 * Proves the network fakes behave like Discord and Ollama for the REAL client libraries: discord.js
 * (gateway + REST), @discordjs/rest and the ollama npm client.
 */
import { once } from 'node:events';
import { DiscordAPIError, REST } from '@discordjs/rest';
import {
  ChannelType,
  Client,
  Events,
  GatewayDispatchEvents,
  GatewayIntentBits,
  Partials,
  PermissionFlagsBits,
  Routes,
  type APIApplicationCommand,
  type APIMessage,
  type APIWebhook,
  type ChatInputCommandInteraction,
  type Interaction,
  type GatewayDispatchPayload,
  type Message,
} from 'discord.js';
import { Ollama } from 'ollama';
import { WebSocket } from 'ws';
import { shardOf, startFakeDiscord, type BotUser, type FakeDiscord } from '../fakes/fakeDiscord';
import { startScriptedOllama, type ScriptedOllama } from '../fakes/scriptedOllama';
import { waitFor } from '../fakes/waitFor';

jest.setTimeout(30_000);

describe('fake Discord with discord.js', () => {
  let fake: FakeDiscord;
  let peter: BotUser;
  let stewie: BotUser;
  let general: string;
  let dm: string;
  const human = { id: '111111111111111111', username: 'lois' };
  const clients: Client[] = [];
  const received = new Map<string, Message[]>();
  const raw = new Map<string, GatewayDispatchPayload[]>();

  async function connect(bot: BotUser): Promise<Client> {
    const client = new Client({
      intents: [
        GatewayIntentBits.Guilds,
        GatewayIntentBits.GuildMessages,
        GatewayIntentBits.MessageContent,
        GatewayIntentBits.DirectMessages,
      ],
      partials: [Partials.Channel],
      rest: { api: fake.apiUrl },
    });
    clients.push(client);
    received.set(bot.id, []);
    raw.set(bot.id, []);
    client.on(Events.MessageCreate, (message) => received.get(bot.id)?.push(message));
    client.on(Events.Raw, (packet: GatewayDispatchPayload) => raw.get(bot.id)?.push(packet));
    const ready = once(client, Events.ClientReady);
    await client.login(bot.token);
    await ready;
    return client;
  }

  const got = (bot: BotUser, id: string): Message | undefined =>
    received.get(bot.id)?.find((m) => m.id === id);
  const packetId = (packet: GatewayDispatchPayload): unknown =>
    typeof packet.d === 'object' && packet.d !== null && 'id' in packet.d ? packet.d.id : undefined;

  beforeAll(async () => {
    fake = await startFakeDiscord({ heartbeatIntervalMs: 250 });
    peter = fake.addBot({ token: 'peter-token', username: 'Peter' });
    stewie = fake.addBot({ token: 'stewie-token', username: 'Stewie' });
    general = fake.createTextChannel('general');
    dm = fake.createDmChannel(peter.id, human.id, human.username);
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.destroy()));
    await fake.close();
  });

  test('two bots log in and get ready with their own user and the guild channels', async () => {
    const [a, b] = await Promise.all([connect(peter), connect(stewie)]);
    expect(a?.user?.id).toBe(peter.id);
    expect(b?.user?.username).toBe('Stewie');
    expect(a?.channels.cache.get(general)?.type).toBe(ChannelType.GuildText);
    expect(a?.guilds.cache.get(fake.guildId)?.members.cache.has(stewie.id)).toBe(true);
    await fake.waitForBotsReady(2, 5_000);
    expect(fake.connectedBots().sort()).toEqual([peter.id, stewie.id].sort());
    // The fake ACKs heartbeats, which is what gives discord.js a ping.
    await waitFor(() => a?.ws.ping !== undefined && a.ws.ping >= 0, { what: 'a heartbeat ACK' });
  });

  test('a channel created after login arrives as CHANNEL_CREATE and its messages are delivered', async () => {
    const late = fake.createTextChannel('late-night');
    await waitFor(() => clients[1]?.channels.cache.get(late), { what: 'CHANNEL_CREATE at Stewie' });
    const said = await fake.userSays({ channelId: late, author: human, content: 'anyone up?' });
    await waitFor(() => got(stewie, said.id), { what: 'the message in the new channel' });
  });

  test('a user message mentioning Peter reaches both bots; Peter replies and Stewie sees the reply', async () => {
    const [peterClient] = clients;
    peterClient?.once(Events.MessageCreate, (message) => {
      if (message.author.id === human.id) void message.reply('hi');
    });
    const said = await fake.userSays({
      channelId: general,
      author: human,
      content: `hey <@${peter.id}>`,
      mentions: [peter.id],
    });

    const atPeter = await waitFor(() => got(peter, said.id), { what: 'Peter to receive the message' });
    const atStewie = await waitFor(() => got(stewie, said.id), { what: 'Stewie to receive the message' });
    expect(atPeter.mentions.users.has(peter.id)).toBe(true);
    expect(atStewie.mentions.users.has(peter.id)).toBe(true);
    expect(atStewie.mentions.users.has(stewie.id)).toBe(false);
    expect(atStewie.content).toBe(`hey <@${peter.id}>`);
    expect(atStewie.author.username).toBe('lois');

    const [reply] = await waitFor(() => fake.botMessages(general).length === 1 && fake.botMessages(general));
    expect(reply?.author.id).toBe(peter.id);
    expect(reply?.content).toBe('hi');
    expect(reply?.message_reference?.message_id).toBe(said.id);
    expect(reply?.referenced_message?.author.id).toBe(human.id);
    expect(reply?.type).toBe(19);
    // A reply pings the replied-to author unless allowed_mentions says otherwise.
    expect(reply?.mentions.map((user) => user.id)).toEqual([human.id]);

    const echoed = await waitFor(() => got(stewie, reply?.id ?? ''), { what: 'the reply echoed to Stewie' });
    expect(echoed.author.id).toBe(peter.id);
    expect(echoed.reference?.messageId).toBe(said.id);
    // The author's own message is echoed to it too.
    await waitFor(() => got(peter, reply?.id ?? ''), { what: 'the reply echoed to Peter' });
  });

  test('a DM reaches only the bot in it', async () => {
    const said = await fake.userSays({ channelId: dm, content: 'psst, Peter' });
    const atPeter = await waitFor(() => got(peter, said.id), { what: 'the DM at Peter' });
    expect(atPeter.channel.type).toBe(ChannelType.DM);
    expect(atPeter.author.id).toBe(human.id);
    // Barrier: the gateway is ordered, so once Stewie has a later message it has had its chance.
    const later = await fake.userSays({ channelId: general, author: human, content: 'barrier' });
    await waitFor(() => got(stewie, later.id), { what: 'the barrier at Stewie' });
    expect(got(stewie, said.id)).toBeUndefined();
    expect(raw.get(stewie.id)?.some((packet) => packetId(packet) === said.id)).toBe(false);
  });

  test('redeliver sends the same MESSAGE_CREATE again (discord.js itself dedupes cached messages)', async () => {
    const said = await fake.userSays({ channelId: general, author: human, content: 'say it twice' });
    await waitFor(() => got(stewie, said.id));
    await fake.redeliver(said.id);
    const creates = (bot: BotUser): number =>
      raw
        .get(bot.id)
        ?.filter((packet) => packet.t === GatewayDispatchEvents.MessageCreate && packetId(packet) === said.id)
        .length ?? 0;
    await waitFor(() => creates(peter) === 2 && creates(stewie) === 2, { what: 'two deliveries per bot' });
    expect(fake.messages(general).filter((message) => message.id === said.id)).toHaveLength(1);
    // discord.js' MessageCreate action skips a message already in its cache, so messageCreate fired once.
    expect(received.get(stewie.id)?.filter((message) => message.id === said.id)).toHaveLength(1);
  });

  test('a dropped gateway connection resumes and replays what was missed', async () => {
    const peterClient = clients[0];
    const resumed = once(peterClient as Client, Events.ShardResume);
    fake.dropConnections({ botId: peter.id });
    const said = await fake.userSays({ channelId: general, author: human, content: 'while you were out' });
    await resumed;
    const atPeter = await waitFor(() => got(peter, said.id), { what: 'the missed message after RESUME' });
    expect(atPeter.content).toBe('while you were out');
  });

  test('typing and reactions from discord.js are recorded', async () => {
    const channel = clients[1]?.channels.cache.get(general);
    if (!channel?.isSendable()) throw new Error('general is not sendable');
    await channel.sendTyping();
    const sent = await channel.send('Blast!');
    await sent.react('👍');
    expect(fake.typingEvents).toContainEqual(
      expect.objectContaining({ channelId: general, userId: stewie.id }),
    );
    expect(fake.reactions).toContainEqual({
      channelId: general,
      messageId: sent.id,
      userId: stewie.id,
      emoji: '👍',
    });
  });

  describe('REST with @discordjs/rest', () => {
    let rest: REST;
    beforeAll(() => {
      rest = new REST({ api: fake.apiUrl }).setToken(peter.token);
    });

    test('enforce_nonce makes a retried post idempotent', async () => {
      const body = { content: 'Freakin sweet', nonce: 'reply-42', enforce_nonce: true };
      const first = (await rest.post(Routes.channelMessages(general), { body })) as { id: string };
      const second = (await rest.post(Routes.channelMessages(general), { body })) as { id: string };
      expect(second.id).toBe(first.id);
      expect(fake.botMessages(general).filter((message) => message.nonce === 'reply-42')).toHaveLength(1);
    });

    test('an injected 429 is waited out and retried by the client, creating the message once', async () => {
      fake.failNext({
        method: 'POST',
        path: /\/channels\/\d+\/messages$/,
        status: 429,
        retryAfterSeconds: 0.2,
      });
      const started = Date.now();
      const created = (await rest.post(Routes.channelMessages(general), {
        body: { content: 'after the wait' },
      })) as {
        id: string;
      };
      expect(Date.now() - started).toBeGreaterThanOrEqual(200);
      const posts = fake.restCalls.filter(
        (call) => call.method === 'POST' && call.path === `/channels/${general}/messages`,
      );
      expect(posts.slice(-2).map((call) => call.status)).toEqual([429, 200]);
      expect(
        fake.botMessages(general).filter((message) => message.content === 'after the wait'),
      ).toHaveLength(1);
      expect(created.id).toBeDefined();
    });

    test('an injected 500 is retried by the client', async () => {
      fake.failNext({ path: /messages$/, status: 500 });
      await rest.post(Routes.channelMessages(general), { body: { content: 'second time lucky' } });
      expect(fake.restCalls.filter((call) => call.injected && call.status === 500)).toHaveLength(1);
    });

    test('validation errors look like Discord', async () => {
      const tooLong = rest.post(Routes.channelMessages(general), { body: { content: 'a'.repeat(2001) } });
      await expect(tooLong).rejects.toMatchObject({ status: 400, code: 50035 });
      await expect(tooLong).rejects.toBeInstanceOf(DiscordAPIError);
      await expect(
        rest.post(Routes.channelMessages(general), { body: { content: '' } }),
      ).rejects.toMatchObject({
        status: 400,
        code: 50006,
      });
      await expect(rest.get(Routes.channelMessage(general, '123456789012345678'))).rejects.toMatchObject({
        status: 404,
        code: 10008,
      });
      const stranger = new REST({ api: fake.apiUrl }).setToken('not-a-bot');
      await expect(stranger.get(Routes.user('@me'))).rejects.toMatchObject({ status: 401 });
      // Stewie cannot post into Peter's DM.
      const asStewie = new REST({ api: fake.apiUrl }).setToken(stewie.token);
      await expect(
        asStewie.post(Routes.channelMessages(dm), { body: { content: 'hi' } }),
      ).rejects.toMatchObject({
        status: 403,
      });
    });

    test('history is served newest first', async () => {
      const page = (await rest.get(Routes.channelMessages(general), {
        query: new URLSearchParams({ limit: '2' }),
      })) as { content: string }[];
      const all = fake.messages(general);
      expect(page.map((message) => message.content)).toEqual(
        all
          .slice(-2)
          .reverse()
          .map((message) => message.content),
      );
    });
  });

  describe('webhooks, as Discord implements them', () => {
    let peterRest: REST;
    let hooks: string;
    beforeAll(() => {
      // No retries: an injected 500 must reach the test.
      peterRest = new REST({ api: fake.apiUrl, retries: 0 }).setToken(peter.token);
      hooks = fake.createTextChannel('webhooks');
    });
    const execute = (webhook: { id: string; token?: string }, body: object, wait = true) =>
      new REST({ api: fake.apiUrl, retries: 0 }).post(Routes.webhook(webhook.id, webhook.token), {
        body,
        auth: false,
        ...(wait && { query: new URLSearchParams({ wait: 'true' }) }),
      }) as Promise<APIMessage>;

    test('a bot makes a channel webhook; only its application sees the token', async () => {
      const made = (await peterRest.post(Routes.channelWebhooks(hooks), {
        body: { name: 'Family Guy cast' },
      })) as APIWebhook;
      expect(made).toMatchObject({ channel_id: hooks, name: 'Family Guy cast', application_id: peter.id });
      expect(made.user?.id).toBe(peter.id);
      expect(made.token).toEqual(expect.any(String));
      const listed = (await peterRest.get(Routes.channelWebhooks(hooks))) as APIWebhook[];
      expect(listed.map((webhook) => [webhook.id, webhook.token])).toEqual([[made.id, made.token]]);
      const asStewie = new REST({ api: fake.apiUrl }).setToken(stewie.token);
      const seenByStewie = (await asStewie.get(Routes.channelWebhooks(hooks))) as APIWebhook[];
      expect(seenByStewie.map((webhook) => webhook.id)).toEqual([made.id]);
      expect(seenByStewie[0]?.token).toBeUndefined();
      expect(fake.webhooks(hooks).map((webhook) => webhook.token)).toEqual([made.token]);
    });

    test('executing with wait=true answers the message, posted as the webhook under the given name', async () => {
      const [webhook] = fake.webhooks(hooks);
      if (!webhook) throw new Error('no webhook');
      const posted = await execute(webhook, {
        content: `Roadhouse! <@${human.id}> @everyone`,
        username: 'Peter Griffin',
        avatar_url: 'https://example.org/avatars/peter',
        allowed_mentions: { parse: [] },
      });
      expect(posted).toMatchObject({
        channel_id: hooks,
        webhook_id: webhook.id,
        application_id: peter.id,
        author: { id: webhook.id, username: 'Peter Griffin', bot: true, avatar: null },
        mentions: [],
        mention_everyone: false,
      });
      expect(fake.webhookAvatarUrl(posted.id)).toBe('https://example.org/avatars/peter');
      // discord.js sees a webhook message (no member), and GET .../messages lists it.
      const atStewie = await waitFor(() => got(stewie, posted.id), {
        what: 'the webhook post at Stewie',
      });
      expect(atStewie.webhookId).toBe(webhook.id);
      expect(atStewie.author.username).toBe('Peter Griffin');
      expect(atStewie.member).toBeNull();
      const history = (await peterRest.get(Routes.channelMessages(hooks), {
        query: new URLSearchParams({ after: webhook.id, limit: '10' }),
      })) as APIMessage[];
      expect(history.map((message) => message.id)).toEqual([posted.id]);
      // Without wait, 204 and no body; without a username, the webhook's own name.
      await execute(webhook, { content: 'Hehehe' }, false);
      expect(fake.restCalls.at(-1)).toMatchObject({ method: 'POST', status: 204 });
      expect(
        fake.webhookMessages(hooks).map((message) => [message.author.username, message.content]),
      ).toEqual([
        ['Peter Griffin', `Roadhouse! <@${human.id}> @everyone`],
        ['Family Guy cast', 'Hehehe'],
      ]);
      expect(fake.botMessages(hooks)).toEqual([]);
    });

    test('refusals carry Discord codes: content, names, unknown or deleted webhooks, a wrong token', async () => {
      const [webhook] = fake.webhooks(hooks);
      if (!webhook) throw new Error('no webhook');
      await expect(execute(webhook, { content: 'a'.repeat(2001) })).rejects.toMatchObject({
        status: 400,
        code: 50035,
      });
      await expect(execute(webhook, { content: '   ' })).rejects.toMatchObject({ status: 400, code: 50006 });
      await expect(execute(webhook, { content: 'hi', username: 'Discord' })).rejects.toMatchObject({
        status: 400,
        code: 50035,
      });
      await expect(execute({ ...webhook, token: 'wrong' }, { content: 'hi' })).rejects.toMatchObject({
        status: 401,
        code: 50027,
      });
      const spare = (await peterRest.post(Routes.channelWebhooks(hooks), {
        body: { name: 'spare' },
      })) as APIWebhook;
      fake.deleteWebhook(spare.id);
      await expect(execute(spare, { content: 'hi' })).rejects.toMatchObject({ status: 404, code: 10015 });
      await expect(
        peterRest.post(Routes.channelWebhooks(hooks), { body: { name: 'x'.repeat(81) } }),
      ).rejects.toMatchObject({ status: 400, code: 50035 });
      await expect(peterRest.get(Routes.channelWebhooks(dm))).rejects.toMatchObject({
        status: 400,
        code: 50024,
      });
      expect(fake.webhookMessages(hooks)).toHaveLength(2);
    });

    test('Manage Webhooks taken away is 403 50013 for that bot in that channel only', async () => {
      fake.denyManageWebhooks(hooks, peter.id);
      await expect(peterRest.get(Routes.channelWebhooks(hooks))).rejects.toMatchObject({
        status: 403,
        code: 50013,
      });
      await expect(
        peterRest.post(Routes.channelWebhooks(hooks), { body: { name: 'Family Guy cast' } }),
      ).rejects.toMatchObject({ status: 403, code: 50013 });
      await expect(peterRest.get(Routes.channelWebhooks(general))).resolves.toEqual([]);
      fake.allowManageWebhooks(hooks, peter.id);
      await expect(peterRest.get(Routes.channelWebhooks(hooks))).resolves.toHaveLength(1);
    });

    test('a channel holds at most 15 webhooks (30007)', async () => {
      const full = fake.createTextChannel('full');
      for (let made = 0; made < 15; made++) fake.addHumanWebhook(full);
      await expect(
        peterRest.post(Routes.channelWebhooks(full), { body: { name: 'Family Guy cast' } }),
      ).rejects.toMatchObject({ status: 400, code: 30007 });
      // A human's webhook shows its token to any bot that may manage webhooks.
      const listed = (await peterRest.get(Routes.channelWebhooks(full))) as APIWebhook[];
      expect(listed.every((webhook) => webhook.application_id === null && webhook.token)).toBe(true);
    });

    test('an afterEffect fault on an execution posts the message and loses the answer', async () => {
      const [webhook] = fake.webhooks(hooks);
      if (!webhook) throw new Error('no webhook');
      fake.failNext({ method: 'POST', path: /^\/webhooks\/\d+\/[^/]+$/, status: 500, afterEffect: true });
      await expect(execute(webhook, { content: 'lost answer', username: 'Peter' })).rejects.toMatchObject({
        status: 500,
      });
      expect(fake.webhookMessages(hooks).filter((message) => message.content === 'lost answer')).toHaveLength(
        1,
      );
      expect(fake.restCalls.at(-1)).toMatchObject({ injected: true, status: 500 });
    });
  });

  describe('edits and deletions, as Discord implements them', () => {
    let peterRest: REST;
    let stewieRest: REST;
    let edits: string;
    beforeAll(() => {
      peterRest = new REST({ api: fake.apiUrl, retries: 0 }).setToken(peter.token);
      stewieRest = new REST({ api: fake.apiUrl, retries: 0 }).setToken(stewie.token);
      edits = fake.createTextChannel('edits');
    });
    const post = (rest: REST, body: object) =>
      rest.post(Routes.channelMessages(edits), { body }) as Promise<APIMessage>;
    const events = (bot: BotUser, type: string, id: string) =>
      raw.get(bot.id)?.filter((packet) => packet.t === type && packetId(packet) === id) ?? [];

    test("a bot edits its own message: edited_timestamp, MESSAGE_UPDATE to discord.js, the reply's copy, the history", async () => {
      const said = await fake.userSays({ channelId: edits, author: human, content: 'Peter?' });
      const reply = await post(peterRest, {
        content: 'Hold on',
        message_reference: { message_id: said.id },
        allowed_mentions: { parse: [], replied_user: true },
      });
      const quoting = await fake.userSays({
        channelId: edits,
        author: human,
        content: 'ok',
        replyTo: reply.id,
      });
      const atStewie = await waitFor(() => got(stewie, reply.id), { what: 'the reply at Stewie' });
      const updated = once(clients[1] as Client, Events.MessageUpdate);
      const edited = (await peterRest.patch(Routes.channelMessage(edits, reply.id), {
        body: { content: `Hold on, <@${human.id}>, this is the edit`, allowed_mentions: { parse: [] } },
      })) as APIMessage;
      expect(edited).toMatchObject({ id: reply.id, content: `Hold on, <@${human.id}>, this is the edit` });
      expect(edited.edited_timestamp).toEqual(expect.any(String));
      // allowed_mentions without replied_user takes the reply's ping away, and parses no one.
      expect(edited.mentions).toEqual([]);
      const [, after] = (await updated) as [unknown, Message];
      expect(after.id).toBe(reply.id);
      expect(after.content).toBe(`Hold on, <@${human.id}>, this is the edit`);
      expect(after.editedTimestamp).not.toBeNull();
      expect(atStewie.content).toBe(after.content);
      const update = events(stewie, GatewayDispatchEvents.MessageUpdate, reply.id)[0]?.d as APIMessage & {
        guild_id?: string;
      };
      expect(update).toMatchObject({ guild_id: fake.guildId, author: { id: peter.id } });
      const fetched = (await stewieRest.get(Routes.channelMessage(edits, quoting.id))) as APIMessage;
      expect(fetched.referenced_message?.content).toBe(after.content);
      await peterRest.patch(Routes.channelMessage(edits, reply.id), { body: { content: 'Final' } });
      expect(fake.editsOf(reply.id)).toEqual([`Hold on, <@${human.id}>, this is the edit`, 'Final']);
      expect(fake.editsOf(said.id)).toEqual([]);
    });

    test('edits Discord refuses: another author (50005), an unknown message (10008), empty (50006), too long (50035)', async () => {
      const peters = await post(peterRest, { content: 'Giggity? No, wrong show' });
      const said = await fake.userSays({ channelId: edits, author: human, content: 'mine' });
      const edit = (rest: REST, id: string, content: string) =>
        rest.patch(Routes.channelMessage(edits, id), { body: { content } });
      await expect(edit(stewieRest, peters.id, 'hijacked')).rejects.toMatchObject({
        status: 403,
        code: 50005,
      });
      await expect(edit(peterRest, said.id, 'hijacked')).rejects.toMatchObject({ status: 403, code: 50005 });
      await expect(edit(peterRest, '123456789012345678', 'x')).rejects.toMatchObject({
        status: 404,
        code: 10008,
      });
      await expect(edit(peterRest, peters.id, '  ')).rejects.toMatchObject({ status: 400, code: 50006 });
      await expect(edit(peterRest, peters.id, 'a'.repeat(2001))).rejects.toMatchObject({
        status: 400,
        code: 50035,
      });
      expect(fake.messages(edits).find((message) => message.id === peters.id)?.content).toBe(
        'Giggity? No, wrong show',
      );
      expect(fake.editsOf(peters.id)).toEqual([]);
    });

    test("a bot deletes its own message (MESSAGE_DELETE, replies' referenced_message null); not another's", async () => {
      const doomed = await post(peterRest, { content: 'Roadhouse' });
      const reply = await fake.userSays({
        channelId: edits,
        author: human,
        content: 'what?',
        replyTo: doomed.id,
      });
      await waitFor(() => got(stewie, reply.id), { what: 'the reply at Stewie' });
      const deleted = once(clients[1] as Client, Events.MessageDelete);
      await expect(stewieRest.delete(Routes.channelMessage(edits, doomed.id))).rejects.toMatchObject({
        status: 403,
        code: 50013,
      });
      await peterRest.delete(Routes.channelMessage(edits, doomed.id));
      expect(fake.restCalls.at(-1)).toMatchObject({ method: 'DELETE', status: 204 });
      const [gone] = (await deleted) as [Message];
      expect(gone.id).toBe(doomed.id);
      expect(events(stewie, GatewayDispatchEvents.MessageDelete, doomed.id)[0]?.d).toEqual({
        id: doomed.id,
        channel_id: edits,
        guild_id: fake.guildId,
      });
      expect(fake.messages(edits).some((message) => message.id === doomed.id)).toBe(false);
      expect(fake.deletedMessages(edits).map((message) => message.content)).toEqual(['Roadhouse']);
      const fetched = (await peterRest.get(Routes.channelMessage(edits, reply.id))) as APIMessage;
      expect(fetched.referenced_message).toBeNull();
      await expect(peterRest.delete(Routes.channelMessage(edits, doomed.id))).rejects.toMatchObject({
        status: 404,
        code: 10008,
      });
      await expect(peterRest.delete(Routes.channelMessage(edits, reply.id))).rejects.toMatchObject({
        status: 403,
        code: 50013,
      });
      const inDm = await fake.userSays({ channelId: dm, content: 'delete me' });
      await expect(peterRest.delete(Routes.channelMessage(dm, inDm.id))).rejects.toMatchObject({
        status: 403,
        code: 50003,
      });
    });

    test("a webhook edits and deletes only its own messages; the bot cannot edit a webhook's", async () => {
      const made = (await peterRest.post(Routes.channelWebhooks(edits), {
        body: { name: 'cast' },
      })) as APIWebhook;
      const other = (await peterRest.post(Routes.channelWebhooks(edits), {
        body: { name: 'other' },
      })) as APIWebhook;
      const viaWebhook = (
        webhook: APIWebhook,
        method: 'post' | 'patch' | 'delete' | 'get',
        messageId?: string,
        body?: object,
      ) => {
        const rest = new REST({ api: fake.apiUrl, retries: 0 });
        const token = webhook.token ?? '';
        const route =
          messageId === undefined
            ? Routes.webhook(webhook.id, token)
            : Routes.webhookMessage(webhook.id, token, messageId);
        const query = new URLSearchParams({ wait: 'true' });
        return rest[method](route, { auth: false, query, ...(body && { body }) }) as Promise<APIMessage>;
      };
      const posted = await viaWebhook(made, 'post', undefined, {
        content: 'Nyeh heh heh',
        username: 'Peter Griffin',
      });
      const edited = await viaWebhook(made, 'patch', posted.id, {
        content: 'Nyeh heh heh heh',
        allowed_mentions: { parse: [] },
      });
      expect(edited).toMatchObject({ id: posted.id, content: 'Nyeh heh heh heh', webhook_id: made.id });
      expect(edited.author.username).toBe('Peter Griffin');
      expect(edited.edited_timestamp).toEqual(expect.any(String));
      await expect(viaWebhook(made, 'get', posted.id)).resolves.toMatchObject({
        content: 'Nyeh heh heh heh',
      });
      await waitFor(() => events(stewie, GatewayDispatchEvents.MessageUpdate, posted.id).length === 1, {
        what: "the webhook message's MESSAGE_UPDATE",
      });
      expect(fake.editsOf(posted.id)).toEqual(['Nyeh heh heh heh']);
      await expect(viaWebhook(other, 'patch', posted.id, { content: 'x' })).rejects.toMatchObject({
        status: 404,
        code: 10008,
      });
      await expect(
        viaWebhook({ ...made, token: 'wrong' }, 'patch', posted.id, { content: 'x' }),
      ).rejects.toMatchObject({
        status: 401,
        code: 50027,
      });
      await expect(
        peterRest.patch(Routes.channelMessage(edits, posted.id), { body: { content: 'x' } }),
      ).rejects.toMatchObject({ status: 403, code: 50005 });
      await expect(viaWebhook(other, 'delete', posted.id)).rejects.toMatchObject({
        status: 404,
        code: 10008,
      });
      await viaWebhook(made, 'delete', posted.id);
      expect(fake.webhookMessages(edits).some((message) => message.id === posted.id)).toBe(false);
      await expect(viaWebhook(made, 'delete', posted.id)).rejects.toMatchObject({ status: 404, code: 10008 });
      await waitFor(() => events(stewie, GatewayDispatchEvents.MessageDelete, posted.id).length === 1, {
        what: "the webhook message's MESSAGE_DELETE",
      });
    });
  });

  describe('guild commands and permissions in interactions', () => {
    let commandsRest: REST;
    beforeAll(() => {
      commandsRest = new REST({ api: fake.apiUrl, retries: 0 }).setToken(peter.token);
    });
    const forget = {
      name: 'forget',
      description: 'Forget the channel so far',
      default_member_permissions: PermissionFlagsBits.ManageMessages.toString(),
    };

    test("PUT/GET of a guild's commands, apart from the global ones; another guild is 403 50001", async () => {
      const guildRoute = Routes.applicationGuildCommands(peter.id, fake.guildId);
      const registered = (await commandsRest.put(guildRoute, { body: [forget] })) as APIApplicationCommand[];
      expect(registered).toEqual([
        expect.objectContaining({ name: 'forget', guild_id: fake.guildId, application_id: peter.id }),
      ]);
      await expect(commandsRest.get(guildRoute)).resolves.toEqual(registered);
      expect(fake.commands(peter.id, fake.guildId)).toEqual(registered);
      expect(fake.commands(peter.id)).toEqual([]);
      // Overwriting keeps the id of a command of the same name.
      const again = (await commandsRest.put(guildRoute, { body: [forget] })) as APIApplicationCommand[];
      expect(again[0]?.id).toBe(registered[0]?.id);
      await expect(
        commandsRest.put(Routes.applicationGuildCommands(peter.id, '123456789012345678'), { body: [] }),
      ).rejects.toMatchObject({ status: 403, code: 50001 });
      await expect(
        commandsRest.put(Routes.applicationGuildCommands(stewie.id, fake.guildId), { body: [] }),
      ).rejects.toMatchObject({ status: 403, code: 50001 });
    });

    test("an interaction carries the member's permissions and the app's; a command the user may not use is hidden", async () => {
      const seen: ChatInputCommandInteraction[] = [];
      const peterClient = clients[0] as Client;
      const listener = (interaction: Interaction) => {
        if (interaction.isChatInputCommand()) seen.push(interaction);
      };
      peterClient.on(Events.InteractionCreate, listener);
      try {
        await expect(
          fake.useCommand({ applicationId: peter.id, channelId: general, user: human, name: 'forget' }),
        ).rejects.toThrow(/hidden/);
        const moderator = PermissionFlagsBits.ViewChannel | PermissionFlagsBits.ManageMessages;
        await fake.useCommand({
          applicationId: peter.id,
          channelId: general,
          user: human,
          name: 'forget',
          permissions: moderator,
        });
        const [used] = await waitFor(() => seen.length === 1 && seen, { what: 'the interaction at Peter' });
        expect(used?.commandName).toBe('forget');
        expect(used?.commandGuildId).toBe(fake.guildId);
        expect(used?.memberPermissions?.has(PermissionFlagsBits.ManageMessages)).toBe(true);
        expect(used?.memberPermissions?.bitfield).toBe(moderator);
        expect(used?.appPermissions.has(PermissionFlagsBits.ManageWebhooks)).toBe(true);
        expect(used?.appPermissions.has(PermissionFlagsBits.ManageMessages)).toBe(false);
        fake.denyManageWebhooks(general, peter.id);
        await fake.useCommand({
          applicationId: peter.id,
          channelId: general,
          user: human,
          name: 'forget',
          permissions: PermissionFlagsBits.Administrator,
        });
        const [, second] = await waitFor(() => seen.length === 2 && seen, { what: 'the second interaction' });
        expect(second?.appPermissions.has(PermissionFlagsBits.ManageWebhooks)).toBe(false);
      } finally {
        fake.allowManageWebhooks(general, peter.id);
        peterClient.off(Events.InteractionCreate, listener);
      }
    });
  });
});

describe('fake Discord sharded, with discord.js', () => {
  let fake: FakeDiscord;
  let peter: BotUser;
  let stewie: BotUser;
  /** Two guilds on each shard of 2: [shard 0, shard 0, shard 1, shard 1]. */
  let guilds: string[];
  const channelOf = new Map<string, string>();
  let dm: string;
  const human = { id: '222222222222222222', username: 'meg' };
  const clients: Client[] = [];
  /** Per client: the MESSAGE_CREATE ids each shard received. */
  const messagesByShard = new Map<Client, Array<{ id: string; shardId: number }>>();

  async function connect(bot: BotUser, sharding: { shards: number[] | 'auto'; shardCount?: number }) {
    const client = new Client({
      intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.DirectMessages],
      partials: [Partials.Channel],
      rest: { api: fake.apiUrl },
      ...sharding,
    });
    clients.push(client);
    messagesByShard.set(client, []);
    client.on(Events.Raw, (packet: GatewayDispatchPayload, shardId: number) => {
      if (packet.t === GatewayDispatchEvents.MessageCreate) {
        messagesByShard.get(client)?.push({ id: packet.d.id, shardId });
      }
    });
    const ready = once(client, Events.ClientReady);
    await client.login(bot.token);
    await ready;
    return client;
  }

  const shardsThatGot = (client: Client, messageId: string): number[] =>
    (messagesByShard.get(client) ?? []).filter((m) => m.id === messageId).map((m) => m.shardId);

  beforeAll(async () => {
    fake = await startFakeDiscord({ recommendedShards: 2 });
    peter = fake.addBot({ token: 'peter-sharded', username: 'Peter' });
    stewie = fake.addBot({ token: 'stewie-sharded', username: 'Stewie' });
    guilds = [0, 0, 1, 1].map((shardId, i) => fake.addGuild({ name: `guild-${i}`, shard: [shardId, 2] }));
    for (const guildId of guilds) channelOf.set(guildId, fake.createTextChannel('general', guildId));
    dm = fake.createDmChannel(peter.id, human.id, human.username);
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.destroy()));
    await fake.close();
  });

  test("shards 'auto' runs the recommended count; each guild arrives on and talks to its shard only", async () => {
    // Two shards in one client: discord.js waits ~5 s between IDENTIFYs (max_concurrency 1).
    const client = await connect(peter, { shards: 'auto' });
    expect(client.options.shardCount).toBe(2);
    expect(fake.connectedShards().map((s) => s.shard)).toEqual(
      expect.arrayContaining([
        [0, 2],
        [1, 2],
      ]),
    );
    for (const guildId of [...guilds, fake.guildId]) {
      expect(client.guilds.cache.get(guildId)?.shardId).toBe(shardOf(guildId, 2));
    }
    for (const [i, guildId] of guilds.entries()) {
      const said = await fake.userSays({ channelId: channelOf.get(guildId) ?? '', content: `hi ${i}` });
      await waitFor(() => shardsThatGot(client, said.id).length > 0, { what: `message ${i}` });
      expect(shardsThatGot(client, said.id)).toEqual([i < 2 ? 0 : 1]);
    }
    const whispered = await fake.userSays({ channelId: dm, content: 'psst' });
    await waitFor(() => shardsThatGot(client, whispered.id).length > 0, { what: 'the DM' });
    expect(shardsThatGot(client, whispered.id)).toEqual([0]);
  }, 30_000);

  test('a client running shard 1 of 2 sees only the guilds of shard 1, and no DMs', async () => {
    const client = await connect(stewie, { shards: [1], shardCount: 2 });
    expect([...client.guilds.cache.keys()].sort()).toEqual(
      [...guilds, fake.guildId].filter((id) => shardOf(id, 2) === 1).sort(),
    );
    const elsewhere = await fake.userSays({
      channelId: channelOf.get(guilds[0] ?? '') ?? '',
      content: 'shard 0',
    });
    // Barrier: the gateway is ordered per session, so once shard 1 has a later message, it had its chance.
    const here = await fake.userSays({ channelId: channelOf.get(guilds[2] ?? '') ?? '', content: 'shard 1' });
    await waitFor(() => shardsThatGot(client, here.id).length > 0, { what: 'the shard-1 message' });
    expect(shardsThatGot(client, elsewhere.id)).toEqual([]);
    // A guild added later joins the shard it belongs to, as GUILD_CREATE.
    const joined = fake.addGuild({ shard: [1, 2] });
    await waitFor(() => client.guilds.cache.get(joined), { what: 'GUILD_CREATE of the new guild' });
  });

  test('IDENTIFY with a shard outside its count is closed with 4010 Invalid shard', async () => {
    for (const shard of [[2, 2], [0, 0], [-1, 2], [0.5, 2], 'zero']) {
      const socket = new WebSocket(`${fake.gatewayUrl}?v=10&encoding=json`);
      const closed = once(socket, 'close') as Promise<[number, Buffer]>;
      await once(socket, 'open');
      socket.send(JSON.stringify({ op: 2, d: { token: peter.token, intents: 1, properties: {}, shard } }));
      const [code] = await closed;
      expect({ shard, code }).toEqual({ shard, code: 4010 });
    }
  });
});

describe('scripted Ollama with the ollama client', () => {
  let server: ScriptedOllama;
  let ollama: Ollama;
  const ask = (content: string, options = {}) =>
    ollama.chat({ model: 'llama3.2', messages: [{ role: 'user', content }], options });

  beforeAll(async () => {
    server = await startScriptedOllama();
    ollama = new Ollama({ host: server.url });
  });

  afterAll(async () => {
    await server.close();
  });

  test('chat without streaming returns the scripted text and Ollama-like stats', async () => {
    server.reply('Giggity giggity.');
    const answer = await ask('hello', { num_ctx: 8192 });
    expect(answer.message).toEqual({ role: 'assistant', content: 'Giggity giggity.' });
    expect(answer.done).toBe(true);
    expect(answer.done_reason).toBe('stop');
    expect(answer.eval_count).toBe(2);
    expect(server.requests.at(-1)?.body.options?.num_ctx).toBe(8192);
    expect(server.requests.at(-1)?.body.messages?.[0]?.content).toBe('hello');
  });

  test('chat streaming arrives in several pieces that reassemble the text', async () => {
    server.reply(
      (request) => `You said: ${request.messages?.at(-1)?.content ?? ''}, and that is a fine thing to say.`,
    );
    const stream = await ollama.chat({
      model: 'llama3.2',
      messages: [{ role: 'user', content: 'roadhouse' }],
      stream: true,
    });
    const pieces: string[] = [];
    let final: { done: boolean; done_reason: string } | undefined;
    for await (const part of stream) {
      if (part.done) final = part;
      else pieces.push(part.message.content);
    }
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.join('')).toBe('You said: roadhouse, and that is a fine thing to say.');
    expect(final?.done_reason).toBe('stop');
  });

  test('an enqueued answer streams in the pieces it asks for, paused after holdAfterPieces until release', async () => {
    server.enqueue({
      text: 'one two three four five six',
      stream: { pieces: 6, pieceDelayMs: 1, holdAfterPieces: 2 },
    });
    const stream = await ollama.chat({
      model: 'llama3.2',
      messages: [{ role: 'user', content: 'count' }],
      stream: true,
    });
    const pieces: string[] = [];
    const reading = (async () => {
      for await (const part of stream) if (!part.done) pieces.push(part.message.content);
    })();
    await server.waitForHeld(1);
    expect(pieces.join('')).toBe('one two ');
    server.release();
    await reading;
    expect(pieces).toEqual(['one ', 'two ', 'three ', 'four ', 'five ', 'six']);
  });

  test('enqueued answers are used once each, in order, before the default', async () => {
    server.reply('default');
    server.enqueue('one', 'two');
    const answers = [];
    for (let i = 0; i < 3; i += 1) answers.push((await ask(`q${i}`)).message.content);
    expect(answers).toEqual(['one', 'two', 'default']);
  });

  test('failNext makes the client throw, then it recovers; failAll until recover()', async () => {
    server.reply('fine');
    server.failNext(1, 503);
    await expect(ask('x')).rejects.toMatchObject({ name: 'ResponseError', status_code: 503 });
    expect((await ask('x')).message.content).toBe('fine');
    server.failAll();
    await expect(ask('x')).rejects.toMatchObject({ status_code: 500 });
    await expect(ask('x')).rejects.toMatchObject({ status_code: 500 });
    server.recover();
    expect((await ask('x')).message.content).toBe('fine');
  });

  test('hold blocks generation calls until release', async () => {
    server.reply('finally');
    server.hold();
    let settled = false;
    const pending = ask('wait').then((answer) => {
      settled = true;
      return answer;
    });
    await server.waitForHeld(1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(settled).toBe(false);
    server.release();
    expect((await pending).message.content).toBe('finally');
  });

  test('a held call whose client went away is dropped cleanly', async () => {
    server.enqueue('for the survivor');
    server.hold();
    const controller = new AbortController();
    const abandoned = fetch(`${server.url}/api/chat`, {
      method: 'POST',
      body: JSON.stringify({ model: 'llama3.2', messages: [], stream: false }),
      signal: controller.signal,
    });
    await server.waitForHeld(1);
    controller.abort();
    await expect(abandoned).rejects.toThrow();
    await waitFor(() => server.heldCount === 0, { what: 'the abandoned call to leave the hold' });
    server.release();
    // The abandoned call did not consume the scripted answer.
    expect((await ask('still there?')).message.content).toBe('for the survivor');
  });

  test('num_predict truncates like a model would; generate, embed, tags and version work', async () => {
    server.reply('one two three four five');
    const cut = await ask('count', { num_predict: 3 });
    expect(cut.message.content).toBe('one two three');
    expect(cut.done_reason).toBe('length');

    const generated = await ollama.generate({ model: 'llama3.2', prompt: 'count', stream: false });
    expect(generated.response).toBe('one two three four five');

    const { embeddings } = await ollama.embed({ model: 'nomic-embed-text', input: ['a', 'b', 'a'] });
    expect(embeddings).toHaveLength(3);
    expect(embeddings[0]).toHaveLength(768);
    expect(embeddings[0]).toEqual(embeddings[2]);
    expect(embeddings[0]).not.toEqual(embeddings[1]);
    const norm = Math.sqrt((embeddings[1] ?? []).reduce((sum, value) => sum + value * value, 0));
    expect(norm).toBeCloseTo(1, 6);

    expect((await ollama.list()).models.map((model) => model.name)).toContain('llama3.2:latest');
    expect((await ollama.version()).version).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
