import { randomUUID } from 'node:crypto';
import { ensureOrganicSchedules, type OrganicScheduleSettings } from '../../src/organic/schedules';
import { organicScheduleId, type SilenceCheckOutcome } from '../../src/workflows/contracts/organic';
import { replyWorkflowId } from '../../src/workflows/contracts/reply';
import { waitFor } from '../fakes/waitFor';
import { startHarness, type CharacterName, type Harness } from './harness';

const TOKEN = `admin-${randomUUID()}`;
let h: Harness;
let admin: Awaited<ReturnType<Harness['startAdmin']>>;
const scheduledChannels: string[] = [];

beforeAll(async () => {
  h = await startHarness();
  admin = await h.startAdmin(TOKEN);
});

afterAll(async () => {
  for (const channelId of scheduledChannels) {
    await h.temporal.schedule
      .getHandle(organicScheduleId(channelId))
      .delete()
      .catch(() => undefined);
  }
  await admin?.close();
  await h?.stop();
});

afterEach(() => {
  h.ollama.reply('Hehehehe.');
});

/** Seconds-scale thresholds, and a check interval long enough that only triggers run checks. */
function ensure(channelId: string, settings: Partial<OrganicScheduleSettings> = {}) {
  if (!scheduledChannels.includes(channelId)) scheduledChannels.push(channelId);
  return ensureOrganicSchedules(h.temporal, {
    taskQueue: h.config.taskQueue,
    channelIds: [channelId],
    settings: {
      silenceSeconds: 1,
      cooldownSeconds: 600,
      quietHoursUtc: null,
      checkSeconds: 3600,
      ...settings,
    },
  });
}

function adminPost(path: string, body: unknown = {}) {
  return fetch(`${admin.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

/** Runs the channel's silence check now through the admin API and returns its outcome. */
async function checkNow(channelId: string): Promise<SilenceCheckOutcome> {
  const schedule = h.temporal.schedule.getHandle(organicScheduleId(channelId));
  const before = (await schedule.describe()).info.recentActions.length;
  expect((await adminPost(`/organic/${channelId}/trigger`)).status).toBe(202);
  const action = await waitFor(async () => (await schedule.describe()).info.recentActions[before], {
    what: 'the triggered silence check',
  });
  const handle = h.temporal.workflow.getHandle<() => Promise<SilenceCheckOutcome>>(
    action.action.workflow.workflowId,
  );
  return handle.result();
}

/** A human addresses a character and the reply is stored: the channel is no longer silent. */
async function humanTalksIn(channelId: string, character: CharacterName): Promise<void> {
  const message = await h.discord.userSays({ channelId, content: `${character}, you there?` });
  await waitFor(() => h.temporal.workflow.getHandle(replyWorkflowId(message.id, character)).result(), {
    timeoutMs: 30_000,
  });
}

function organicTurns(channelId: string) {
  return h.store.conversationHistory.collection
    .find({ channel_id: channelId, is_organic_initiation: true })
    .toArray();
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const isInitiatorChoice = (body: { messages?: { content: string }[] }) =>
  body.messages?.[0]?.content.startsWith('You pick which Family Guy character') ?? false;

describe('organic conversations', () => {
  it('creates the silence-check schedule of a channel once, however often it is ensured', async () => {
    const channelId = h.discord.createTextChannel('ensured');
    expect(await ensure(channelId)).toEqual({ [channelId]: 'created' });
    expect(await ensure(channelId, { silenceSeconds: 99 })).toEqual({ [channelId]: 'existing' });

    const description = await h.temporal.schedule.getHandle(organicScheduleId(channelId)).describe();
    expect(description.policies.overlap).toBe('SKIP');
    expect(description.spec.intervals?.map((interval) => interval.every)).toEqual([3_600_000]);
    // The second ensure left the first one's settings alone.
    expect(description.action.args).toEqual([
      { channelId, silenceSeconds: 1, cooldownSeconds: 600, quietHoursUtc: null },
    ]);
    await waitFor(
      async () => {
        const ids: string[] = [];
        for await (const schedule of h.temporal.schedule.list()) ids.push(schedule.scheduleId);
        return ids.filter((id) => id === organicScheduleId(channelId)).length === 1;
      },
      { what: 'the schedule to be listed once' },
    );
  });

  it('has a bot start one conversation in a channel silent beyond the threshold, without mentions', async () => {
    const channelId = h.discord.createTextChannel('silent');
    await humanTalksIn(channelId, 'Peter');
    await ensure(channelId);
    await pause(1100);
    h.ollama.enqueue(
      '{"character": "Brian"}',
      'Brian: @everyone does <@123456789012345678> think the Drunken Clam needs a jukebox?',
    );

    const outcome = await checkNow(channelId);
    expect(outcome).toMatchObject({
      started: true,
      result: { initiator: 'Brian', initiatorChosenByLlm: true },
    });
    const starters = h.discord.botMessages(channelId).filter((m) => m.author.id === h.botUsers.Brian.id);
    expect(starters).toHaveLength(1);
    const [starter] = starters;
    expect(starter?.content).toBe('does think the Drunken Clam needs a jukebox?');
    expect(starter?.message_reference).toBeUndefined();

    const turns = await organicTurns(channelId);
    expect(turns).toHaveLength(1);
    expect(turns[0]).toMatchObject({
      speaker_type: 'BOT',
      bot_name: 'Brian',
      is_organic_initiation: true,
      reply_to_message_id: null,
      original_message_id: starter?.id,
      message_content: starter?.content,
      prompt_version_used: 'v1.0',
    });
    const choice = h.ollama.requests.find((r) => isInitiatorChoice(r.body));
    expect(choice?.body.messages?.[0]?.content).toContain('Peter, Brian, Stewie');
  });

  it('starts nothing while the channel has recent messages or within the cooldown', async () => {
    const busy = h.discord.createTextChannel('busy');
    await humanTalksIn(busy, 'Stewie');
    await ensure(busy);
    const settings = await adminPost(`/organic/${busy}/settings`, { silence_seconds: 3600 });
    expect(settings.status).toBe(200);
    expect(await settings.json()).toMatchObject({
      settings: { silence_seconds: 3600, cooldown_seconds: 600 },
    });
    expect(await checkNow(busy)).toEqual({ started: false, reason: 'recent-activity' });

    // Humans talking among themselves (no character addressed, nothing in conversation_history)
    // keep the channel from counting as silent too.
    const chatty = h.discord.createTextChannel('chatty');
    await h.discord.userSays({ channelId: chatty, content: 'anyone watching the game tonight?' });
    await ensure(chatty);
    await adminPost(`/organic/${chatty}/settings`, { silence_seconds: 3600 });
    expect(await checkNow(chatty)).toEqual({ started: false, reason: 'recent-activity' });
    expect(await organicTurns(chatty)).toHaveLength(0);

    const cooling = h.discord.createTextChannel('cooling');
    await ensure(cooling);
    h.ollama.enqueue('{"character": "Peter"}', 'Lois! Where is the remote?');
    expect(await checkNow(cooling)).toMatchObject({ started: true });
    await pause(1100); // silent again, but the last organic start is within the 600 s cooldown
    expect(await checkNow(cooling)).toEqual({ started: false, reason: 'cooldown' });

    expect(await organicTurns(busy)).toHaveLength(0);
    expect(await organicTurns(cooling)).toHaveLength(1);
    expect(h.discord.botMessages(cooling)).toHaveLength(1);
  });

  it('starts nothing while paused and starts again once resumed', async () => {
    const channelId = h.discord.createTextChannel('paused');
    h.ollama.reply((body) =>
      isInitiatorChoice(body) ? '{"character": "Stewie"}' : 'What the deuce is everyone doing?',
    );
    await humanTalksIn(channelId, 'Stewie');
    // Checks every second; the channel becomes silent enough two seconds after that reply.
    await ensure(channelId, { silenceSeconds: 2, checkSeconds: 1 });
    const paused = await adminPost(`/organic/${channelId}/pause`);
    expect(await paused.json()).toMatchObject({ paused: true });

    await pause(3500);
    expect(await organicTurns(channelId)).toHaveLength(0);
    expect(h.discord.botMessages(channelId)).toHaveLength(1); // only the reply

    const resumed = await adminPost(`/organic/${channelId}/resume`);
    expect(await resumed.json()).toMatchObject({ paused: false });
    await waitFor(async () => (await organicTurns(channelId)).length === 1, {
      timeoutMs: 15_000,
      what: 'an organic starter after resuming',
    });
    await adminPost(`/organic/${channelId}/pause`); // no more ticking for the rest of the run
    expect(h.discord.botMessages(channelId).map((m) => m.content)).toContain(
      'What the deuce is everyone doing?',
    );
  });

  it('falls back to a character other than the last initiator when the choice is not a name', async () => {
    const channelId = h.discord.createTextChannel('fallback');
    await ensure(channelId);
    h.ollama.enqueue('{"character": "Stewie"}', 'Victory is mine!');
    expect(await checkNow(channelId)).toMatchObject({ started: true, result: { initiator: 'Stewie' } });

    expect((await adminPost(`/organic/${channelId}/settings`, { cooldown_seconds: 1 })).status).toBe(200);
    await pause(1100);
    h.ollama.enqueue('Well, it depends on who is awake, I suppose.', 'Hey, who wants to go to the Clam?');
    const outcome = await checkNow(channelId);
    expect(outcome).toMatchObject({
      started: true,
      result: { initiatorChosenByLlm: false, text: 'Hey, who wants to go to the Clam?' },
    });
    const initiator = outcome.started ? outcome.result.initiator : null;
    expect(['Peter', 'Brian']).toContain(initiator);
    expect((await organicTurns(channelId)).map((t) => t.bot_name).sort()).toEqual(
      ['Stewie', initiator].sort(),
    );
  });

  it('refuses bad settings and unknown channels', async () => {
    const channelId = h.discord.createTextChannel('validated');
    await ensure(channelId);
    const bad = await adminPost(`/organic/${channelId}/settings`, { silence_seconds: -5, loud: true });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({
      error: 'unknown field "loud"; silence_seconds must be an integer in 1..604800',
    });
    const unknown = await adminPost('/organic/123456789012345678/pause');
    expect(unknown.status).toBe(404);
    const anonymous = await fetch(`${admin.url}/organic/${channelId}`);
    expect(anonymous.status).toBe(401);
  });
});
