/**
 * Webhook mode against the fake Discord: characters without a bot of their own speak through the cast
 * bot's channel webhook (made once per channel, re-made when deleted), under their name and avatar, in
 * parts of at most 2000 characters, exactly once when an answer is lost (the delivery activity under
 * @temporalio/testing's MockActivityEnvironment, retried as Temporal would: attempt 2, the first
 * attempt's scheduled time and heartbeat). Characters with their own token post as before. Edits and
 * deletions go through the same webhook (a character with its own bot: through that bot).
 */
import { REST } from '@discordjs/rest';
import { ApplicationFailure } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import { Routes } from 'discord.js';
import { createDeliveryActivities, type DeliveryInput } from '../../src/activities/delivery';
import {
  createDiscordPoster,
  isPermanentDiscordError,
  MissingTokenError,
  type DiscordPoster,
} from '../../src/discord/rest';
import { splitMessage } from '../../src/discord/split';
import {
  CAST_WEBHOOK_NAME,
  MissingWebhookPermissionError,
  WebhookLimitError,
} from '../../src/discord/webhooks';
import type { Store } from '../../src/store/mongo';
import { startFakeDiscord, type BotUser, type FakeDiscord } from '../fakes/fakeDiscord';

jest.setTimeout(30_000);

const AVATARS: Record<string, string> = { Peter: 'https://bots.example.org/avatars/Peter' };
const WEBHOOK_EXECUTION = /^\/webhooks\/\d+\/[^/]+$/;

let fake: FakeDiscord;
let cast: BotUser;
let brian: BotUser;
let discord: DiscordPoster;

beforeAll(async () => {
  fake = await startFakeDiscord();
  cast = fake.addBot({ token: 'cast-token', username: 'Quahog Cast' });
  brian = fake.addBot({ token: 'brian-token', username: 'Brian' });
  discord = createDiscordPoster(
    fake.apiUrl,
    { brian: brian.token },
    { token: cast.token, avatarFor: async (name) => AVATARS[name] ?? null },
  );
});

afterAll(async () => {
  await fake?.close();
});

/** deliverReply with recordOnTurn false never reads or writes the store: any use fails the test. */
const untouchedStore = {
  conversationHistory: new Proxy(
    {},
    {
      get: (_target, name) => {
        throw new Error(`the delivery used the store (${String(name)})`);
      },
    },
  ),
} as unknown as Store;

const delivery = () => createDeliveryActivities({ store: untouchedStore, discord });

/** Runs deliverReply as one attempt; `heartbeats` collects what it heartbeats. */
function attempt(info: { attempt: number; scheduledTimestampMs: number; heartbeatDetails?: unknown }) {
  const env = new MockActivityEnvironment(info);
  const heartbeats: unknown[] = [];
  env.on('heartbeat', (details: unknown) => heartbeats.push(details));
  return {
    heartbeats,
    /** From the next heartbeat on, the next webhook post's answer is lost (the post made). */
    loseAnswerAfterHeartbeat: () => env.once('heartbeat', loseNextWebhookAnswer),
    run: (input: DeliveryInput): Promise<string[]> => env.run(delivery().deliverReply, input),
  };
}

function loseNextWebhookAnswer(): void {
  fake.failNext({ method: 'POST', path: WEBHOOK_EXECUTION, status: 500, afterEffect: true });
}

function reply(
  channelId: string,
  character: string,
  text: string,
  responseId = `r-${Math.random()}`,
): DeliveryInput {
  return { responseId, character, channelId, replyTo: null, text, recordOnTurn: false };
}

/** About 4,500 characters in sentences: three parts. */
const LONG_TEXT = Array.from(
  { length: 60 },
  (_, i) => `Sentence ${i} of a very long story about the Drunken Clam and the chicken.`,
).join(' ');

describe('the poster in webhook mode', () => {
  test("one webhook per channel, made once and reused, each post under the character's name and avatar", async () => {
    const channel = fake.createTextChannel('cast');
    const peter = await discord.postMessage('Peter', channel, { content: 'Hehehe', idempotencyKey: 'a:0' });
    const stewie = await discord.postMessage('Stewie', channel, { content: 'Blast!', idempotencyKey: 'b:0' });
    await discord.postMessage('Peter', channel, { content: 'Roadhouse!', idempotencyKey: 'c:0' });

    const webhooks = fake.webhooks(channel);
    expect(webhooks).toHaveLength(1);
    expect(webhooks[0]).toMatchObject({ name: CAST_WEBHOOK_NAME, application_id: cast.id });
    const posts = fake.webhookMessages(channel);
    expect(posts.map((m) => [m.webhook_id, m.author.username, m.content])).toEqual([
      [webhooks[0]?.id, 'Peter', 'Hehehe'],
      [webhooks[0]?.id, 'Stewie', 'Blast!'],
      [webhooks[0]?.id, 'Peter', 'Roadhouse!'],
    ]);
    expect(fake.webhookAvatarUrl(peter.id)).toBe(AVATARS.Peter);
    expect(fake.webhookAvatarUrl(stewie.id)).toBeNull();
    // Listed once, made once; executions never ping anyone.
    const calls = fake.restCalls.filter((call) => call.path === `/channels/${channel}/webhooks`);
    expect(calls.map((call) => call.method)).toEqual(['GET', 'POST']);
    const executions = fake.restCalls.filter((call) => WEBHOOK_EXECUTION.test(call.path));
    expect(executions.at(-1)?.body).toMatchObject({ allowed_mentions: { parse: [] } });

    const other = fake.createTextChannel('cast-2');
    await discord.postMessage('Peter', other, { content: 'Elsewhere', idempotencyKey: 'd:0' });
    expect(fake.webhooks(other)).toHaveLength(1);
    expect(fake.webhooks(other)[0]?.id).not.toBe(webhooks[0]?.id);
  });

  test('a webhook found in the channel is reused; a human one of the same name is not', async () => {
    const channel = fake.createTextChannel('found');
    const humans = fake.addHumanWebhook(channel, CAST_WEBHOOK_NAME);
    const fresh = createDiscordPoster(fake.apiUrl, {}, { token: cast.token, avatarFor: async () => null });
    await fresh.postMessage('Peter', channel, { content: 'One', idempotencyKey: 'e:0' });
    const ours = fake.webhooks(channel).filter((webhook) => webhook.application_id === cast.id);
    expect(ours).toHaveLength(1);
    // Another worker (another poster, empty cache) finds the same webhook instead of making one.
    const another = createDiscordPoster(fake.apiUrl, {}, { token: cast.token, avatarFor: async () => null });
    await another.postMessage('Stewie', channel, { content: 'Two', idempotencyKey: 'f:0' });
    expect(fake.webhooks(channel).map((webhook) => webhook.id)).toEqual([humans.id, ours[0]?.id]);
    expect(fake.webhookMessages(channel).map((m) => m.webhook_id)).toEqual([ours[0]?.id, ours[0]?.id]);
  });

  test('a deleted webhook is made again and the post goes through', async () => {
    const channel = fake.createTextChannel('deleted');
    await discord.postMessage('Peter', channel, { content: 'Before', idempotencyKey: 'g:0' });
    const [first] = fake.webhooks(channel);
    fake.deleteWebhook(first?.id ?? '');
    await discord.postMessage('Peter', channel, { content: 'After', idempotencyKey: 'h:0' });
    const [second] = fake.webhooks(channel);
    expect(second?.id).not.toBe(first?.id);
    expect(fake.webhookMessages(channel).map((m) => [m.webhook_id, m.content])).toEqual([
      [first?.id, 'Before'],
      [second?.id, 'After'],
    ]);
  });

  test('without Manage Webhooks: a clear, permanent error, and nothing cached once it is granted', async () => {
    const channel = fake.createTextChannel('locked');
    fake.denyManageWebhooks(channel, cast.id);
    const refused = discord.postMessage('Peter', channel, { content: 'Hello?', idempotencyKey: 'i:0' });
    await expect(refused).rejects.toBeInstanceOf(MissingWebhookPermissionError);
    await expect(refused).rejects.toThrow(
      `the cast bot needs the Manage Webhooks permission in channel ${channel} (webhook mode)`,
    );
    const run = attempt({ attempt: 1, scheduledTimestampMs: Date.now() }).run(
      reply(channel, 'Peter', 'Hello?'),
    );
    await expect(run).rejects.toBeInstanceOf(ApplicationFailure);
    await expect(run).rejects.toMatchObject({
      nonRetryable: true,
      type: 'DiscordRejected',
      message: `the cast bot needs the Manage Webhooks permission in channel ${channel} (webhook mode)`,
    });
    fake.allowManageWebhooks(channel, cast.id);
    await discord.postMessage('Peter', channel, { content: 'Now then', idempotencyKey: 'j:0' });
    expect(fake.webhookMessages(channel).map((m) => m.content)).toEqual(['Now then']);
  });

  test('a channel full of other webhooks: a clear, permanent error', async () => {
    const channel = fake.createTextChannel('full');
    for (let made = 0; made < 15; made++) fake.addHumanWebhook(channel);
    const refused = discord.postMessage('Peter', channel, { content: 'Room?', idempotencyKey: 'k:0' });
    await expect(refused).rejects.toBeInstanceOf(WebhookLimitError);
    await expect(refused).rejects.toThrow(`channel ${channel} has 15 webhooks, Discord's maximum`);
  });

  test('a character with neither a token nor a cast bot names both settings', async () => {
    const botsOnly = createDiscordPoster(fake.apiUrl, { brian: brian.token });
    const channel = fake.createTextChannel('no-cast');
    const refused = botsOnly.postMessage('Peter', channel, { content: 'Hi', idempotencyKey: 'l:0' });
    await expect(refused).rejects.toBeInstanceOf(MissingTokenError);
    await expect(refused).rejects.toThrow('set DISCORD_TOKEN_PETER, or DISCORD_CAST_TOKEN for webhook mode');
    await expect(botsOnly.recognisePosted('Peter', channel, new Date(), 'Hi')).rejects.toThrow(
      MissingTokenError,
    );
  });

  test('lastMessageAt works with the cast token alone', async () => {
    const castOnly = createDiscordPoster(fake.apiUrl, {}, { token: cast.token, avatarFor: async () => null });
    const channel = fake.createTextChannel('last');
    expect(await castOnly.lastMessageAt(channel)).toBeNull();
    const said = await fake.userSays({ channelId: channel, content: 'anyone?' });
    expect((await castOnly.lastMessageAt(channel))?.toISOString()).toBe(
      new Date(said.timestamp).toISOString(),
    );
  });

  test("recognisePosted finds only the cast's post of that name and text, after the snowflake", async () => {
    const channel = fake.createTextChannel('recognise');
    const before = new Date(Date.now() - 1000);
    const posted = await discord.postMessage('Peter', channel, {
      content: 'Freakin sweet',
      idempotencyKey: 'm:0',
    });
    await discord.postMessage('Stewie', channel, { content: 'Freakin sweet', idempotencyKey: 'n:0' });
    await fake.userSays({ channelId: channel, content: 'Freakin sweet' });
    await discord.postMessage('Brian', channel, { content: 'Freakin sweet', idempotencyKey: 'o:0' });
    // Someone else's webhook posting as "Peter" is not the cast's.
    const impostor = fake.addHumanWebhook(channel, 'Peter');
    await new REST({ api: fake.apiUrl }).post(Routes.webhook(impostor.id, impostor.token), {
      body: { content: 'Freakin sweet' },
      auth: false,
    });
    expect(await discord.recognisePosted('Peter', channel, before, 'Freakin sweet')).toEqual([posted.id]);
    expect(
      await discord.recognisePosted('Peter', channel, new Date(Date.now() + 5000), 'Freakin sweet'),
    ).toEqual([]);
    expect(await discord.recognisePosted('Peter', channel, before, 'Freakin sweet!')).toEqual([]);
    // Brian has his own bot: his retries rely on nonces, and nothing is read.
    const reads = fake.restCalls.length;
    expect(await discord.recognisePosted('Brian', channel, before, 'Freakin sweet')).toEqual([]);
    expect(fake.restCalls.length).toBe(reads);
  });
});

test("a failed webhook post's error carries no webhook token (it ends up in logs and the workflow history)", async () => {
  const channel = fake.createTextChannel('leak');
  await discord.postMessage('Peter', channel, { content: 'first', idempotencyKey: 'leak:0' });
  fake.failNext({ method: 'POST', path: WEBHOOK_EXECUTION, status: 400 });
  const failed: unknown = await discord
    .postMessage('Peter', channel, { content: 'second', idempotencyKey: 'leak:1' })
    .then(
      () => null,
      (err: unknown) => err,
    );
  const [webhook] = fake.webhooks(channel);
  expect(webhook?.token).toBeTruthy();
  expect(failed).toBeInstanceOf(Error);
  const everything = JSON.stringify({ ...(failed as object), message: (failed as Error).message });
  expect(everything).toContain(`/webhooks/${webhook?.id}/[webhook token]`);
  expect(everything).not.toContain(webhook?.token as string);
});

describe('edits and deletions in webhook mode', () => {
  const WEBHOOK_MESSAGE = /^\/webhooks\/\d+\/[^/]+\/messages\/\d+$/;

  test("an edit goes through the channel's cast webhook, stays under the name and pings no one", async () => {
    const channel = fake.createTextChannel('edit-webhook');
    const { id } = await discord.postMessage('Peter', channel, { content: 'Hehehe', idempotencyKey: 'e:0' });
    const calls = fake.restCalls.length;
    await discord.editMessage('Peter', channel, id, 'Hehehe, <@111111111111111111> @everyone, hehe');
    const [edited] = fake.webhookMessages(channel);
    expect(edited).toMatchObject({
      id,
      content: 'Hehehe, <@111111111111111111> @everyone, hehe',
      author: { username: 'Peter' },
      mentions: [],
      mention_everyone: false,
    });
    expect(edited?.edited_timestamp).toEqual(expect.any(String));
    const made = fake.restCalls.slice(calls);
    // The cached webhook is used: one PATCH, without a bot token.
    expect(made.map((call) => [call.method, WEBHOOK_MESSAGE.test(call.path), call.botId])).toEqual([
      ['PATCH', true, undefined],
    ]);
    expect(fake.editsOf(id)).toEqual(['Hehehe, <@111111111111111111> @everyone, hehe']);
  });

  test('a deletion goes through the webhook; one already gone counts as deleted', async () => {
    const channel = fake.createTextChannel('delete-webhook');
    const { id } = await discord.postMessage('Stewie', channel, { content: 'Blast!', idempotencyKey: 'd:0' });
    await discord.deleteMessage('Stewie', channel, id);
    expect(fake.webhookMessages(channel)).toEqual([]);
    expect(fake.deletedMessages(channel).map((message) => message.id)).toEqual([id]);
    await expect(discord.deleteMessage('Stewie', channel, id)).resolves.toBeUndefined();
  });

  test("a post of a webhook deleted since cannot be edited: Discord's 10008, no token of either webhook in the error", async () => {
    const channel = fake.createTextChannel('edit-old-webhook');
    const { id } = await discord.postMessage('Peter', channel, { content: 'Old', idempotencyKey: 'o:0' });
    const [old] = fake.webhooks(channel);
    fake.deleteWebhook(old?.id as string);
    const failed: unknown = await discord.editMessage('Peter', channel, id, 'New').then(
      () => null,
      (err: unknown) => err,
    );
    const [current] = fake.webhooks(channel);
    expect(current?.id).not.toBe(old?.id);
    expect(failed).toMatchObject({ status: 404, code: 10008 });
    expect(isPermanentDiscordError(failed)).toBe(true);
    const everything = JSON.stringify({ ...(failed as object), message: (failed as Error).message });
    expect(everything).toContain(`/webhooks/${current?.id}/[webhook token]`);
    expect(everything).not.toContain(old?.token as string);
    expect(everything).not.toContain(current?.token as string);
    expect(fake.webhookMessages(channel).map((message) => message.content)).toEqual(['Old']);
  });

  test('a character with its own bot edits and deletes its message as that bot', async () => {
    const channel = fake.createTextChannel('edit-bot');
    const asked = await fake.userSays({ channelId: channel, content: 'Brian?' });
    const { id } = await discord.postMessage('Brian', channel, {
      content: 'Yes?',
      replyTo: asked.id,
      idempotencyKey: 'b:0',
    });
    await discord.editMessage('Brian', channel, id, 'Yes, <@111111111111111111>?');
    const [edited] = fake.botMessages(channel);
    expect(edited).toMatchObject({ id, content: 'Yes, <@111111111111111111>?', author: { id: brian.id } });
    // Still a reply that pings the asker, and no one named in the text.
    expect(edited?.message_reference?.message_id).toBe(asked.id);
    expect(edited?.mentions.map((user) => user.id)).toEqual([asked.author.id]);
    expect(fake.restCalls.at(-1)).toMatchObject({ method: 'PATCH', botId: brian.id, status: 200 });
    await discord.deleteMessage('Brian', channel, id);
    await discord.deleteMessage('Brian', channel, id);
    expect(fake.botMessages(channel)).toEqual([]);
    expect(fake.restCalls.at(-1)).toMatchObject({ method: 'DELETE', status: 404 });
  });
});

describe('deliverReply in webhook mode', () => {
  test('a long reply goes out in parts of at most 2000 characters, in order, under the name', async () => {
    const channel = fake.createTextChannel('long');
    const { run, heartbeats } = attempt({ attempt: 1, scheduledTimestampMs: Date.now() });
    const ids = await run(reply(channel, 'Stewie', LONG_TEXT));
    const posts = fake.webhookMessages(channel);
    expect(posts.map((m) => m.id)).toEqual(ids);
    expect(posts.map((m) => m.content)).toEqual(splitMessage(LONG_TEXT));
    expect(posts.length).toBe(3);
    expect(posts.every((m) => m.content.length <= 2000 && m.author.username === 'Stewie')).toBe(true);
    expect(heartbeats.at(-1)).toEqual(ids);
  });

  test('the first answer lost, then a retry without heartbeat: every part exactly once', async () => {
    const channel = fake.createTextChannel('lost-first');
    const scheduledTimestampMs = Date.now();
    const input = reply(channel, 'Peter', LONG_TEXT);
    loseNextWebhookAnswer();
    const first = attempt({ attempt: 1, scheduledTimestampMs });
    await expect(first.run(input)).rejects.toMatchObject({ status: 500 });
    expect(first.heartbeats).toEqual([]);
    expect(fake.webhookMessages(channel)).toHaveLength(1);

    const ids = await attempt({ attempt: 2, scheduledTimestampMs }).run(input);
    const posts = fake.webhookMessages(channel);
    expect(posts.map((m) => m.content)).toEqual(splitMessage(LONG_TEXT));
    expect(ids).toEqual(posts.map((m) => m.id));
  });

  test('a later answer lost after a heartbeat: the retry resumes from it and finds the lost part', async () => {
    const channel = fake.createTextChannel('lost-second');
    const scheduledTimestampMs = Date.now();
    const input = reply(channel, 'Peter', LONG_TEXT);
    const first = attempt({ attempt: 1, scheduledTimestampMs });
    first.loseAnswerAfterHeartbeat();
    await expect(first.run(input)).rejects.toMatchObject({ status: 500 });
    expect(first.heartbeats).toHaveLength(1);
    expect(fake.webhookMessages(channel)).toHaveLength(2);

    const retry = attempt({ attempt: 2, scheduledTimestampMs, heartbeatDetails: first.heartbeats.at(-1) });
    const ids = await retry.run(input);
    const posts = fake.webhookMessages(channel);
    expect(posts.map((m) => m.content)).toEqual(splitMessage(LONG_TEXT));
    expect(ids).toEqual(posts.map((m) => m.id));
  });

  test('a retry after everything was posted (its heartbeat lagging) posts nothing more', async () => {
    const channel = fake.createTextChannel('all-posted');
    const scheduledTimestampMs = Date.now();
    const input = reply(channel, 'Stewie', LONG_TEXT);
    const ids = await attempt({ attempt: 1, scheduledTimestampMs }).run(input);
    const retried = await attempt({
      attempt: 3,
      scheduledTimestampMs,
      heartbeatDetails: ids.slice(0, 1),
    }).run(input);
    expect(retried).toEqual(ids);
    expect(fake.webhookMessages(channel).map((m) => m.id)).toEqual(ids);
  });

  test('two identical parts, the second answer lost: each counted once', async () => {
    const channel = fake.createTextChannel('twins');
    const scheduledTimestampMs = Date.now();
    const text = `${'ha'.repeat(1000)} ${'ha'.repeat(1000)}`;
    expect(splitMessage(text)).toEqual(['ha'.repeat(1000), 'ha'.repeat(1000)]);
    const input = reply(channel, 'Stewie', text);
    const first = attempt({ attempt: 1, scheduledTimestampMs });
    first.loseAnswerAfterHeartbeat();
    await expect(first.run(input)).rejects.toMatchObject({ status: 500 });
    // A retry that lost the heartbeat too must still tell the twins apart.
    const ids = await attempt({ attempt: 2, scheduledTimestampMs }).run(input);
    const posts = fake.webhookMessages(channel);
    expect(posts).toHaveLength(2);
    expect(ids).toEqual(posts.map((m) => m.id));
  });

  test('a character with its own bot still posts with nonces, and its retries read nothing', async () => {
    const channel = fake.createTextChannel('brian');
    const scheduledTimestampMs = Date.now();
    const input = { ...reply(channel, 'Brian', 'A martini, dry.'), replyTo: null };
    fake.failNext({ method: 'POST', path: /\/channels\/\d+\/messages$/, status: 500, afterEffect: true });
    await expect(attempt({ attempt: 1, scheduledTimestampMs }).run(input)).rejects.toMatchObject({
      status: 500,
    });
    const callsBefore = fake.restCalls.length;
    const ids = await attempt({ attempt: 2, scheduledTimestampMs }).run(input);
    const newCalls = fake.restCalls.slice(callsBefore);
    expect(newCalls.map((call) => [call.method, call.path])).toEqual([
      ['POST', `/channels/${channel}/messages`],
    ]);
    expect(newCalls[0]?.body).toMatchObject({ enforce_nonce: true, nonce: expect.any(String) });
    expect(fake.botMessages(channel).map((m) => m.id)).toEqual(ids);
    expect(fake.webhookMessages(channel)).toEqual([]);
  });
});
