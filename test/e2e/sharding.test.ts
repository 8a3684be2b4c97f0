/**
 * Gateway sharding across machines: two bots processes, each started as production starts it
 * (`src/bots/main.ts`) and each running one shard of two (DISCORD_SHARDS=0 / 1, DISCORD_SHARD_COUNT=2),
 * against one fake Discord with guilds on both shards. Every message gets exactly one reply, and each
 * guild's messages are handled by the process that owns the guild's shard: its own log says so
 * ("reply workflow started" with the shard discord.js received the guild on), and the other's is silent.
 */
import type { ChildProcess } from 'node:child_process';
import { replyWorkflowId } from '../../src/workflows/contracts/reply';
import type { ReplyWorkflow } from '../../src/workflows/reply';
import { shardOf } from '../fakes/fakeDiscord';
import { waitFor } from '../fakes/waitFor';
import { CHARACTERS, startHarness, type CharacterName, type Harness } from './harness';
import { kill, onOutputLines, startProcess } from './processes';

const SHARD_COUNT = 2;

interface BotsProcess {
  shard: number;
  child: ChildProcess;
  /** The JSON log lines it wrote since it was ready. */
  logs: Array<Record<string, unknown>>;
}

interface Sent {
  id: string;
  character: CharacterName;
  /** The guild's id; null for a DM. */
  guildId: string | null;
}

let h: Harness;
const botsProcesses: BotsProcess[] = [];
/** Text channels by guild: the harness's first guild (whichever shard its id falls on) and two per shard. */
const channels = new Map<string, string>();

beforeAll(async () => {
  h = await startHarness({ bots: false });
  channels.set(h.discord.guildId, h.channelId);
  for (const shard of [0, 0, 1, 1]) {
    const guildId = h.discord.addGuild({ shard: [shard, SHARD_COUNT] });
    channels.set(guildId, h.discord.createTextChannel('general', guildId));
  }
  botsProcesses.push(...(await Promise.all([0, 1].map(startBotsProcess))));
  // Every character's bot has a session on each shard, one from each process.
  await waitFor(() => h.discord.connectedShards().length === CHARACTERS.length * SHARD_COUNT, {
    what: 'every bot on both shards',
  });
}, 120_000);

afterAll(async () => {
  await Promise.all(botsProcesses.map(({ child }) => kill(child)));
  await h?.stop();
});

/** A bots process running shard `shard` of SHARD_COUNT, ready once all its characters logged in. */
async function startBotsProcess(shard: number): Promise<BotsProcess> {
  const env = {
    ...h.workerEnv,
    DISCORD_SHARDS: String(shard),
    DISCORD_SHARD_COUNT: String(SHARD_COUNT),
    LOG_FORMAT: 'json',
  };
  const loggedIn = (output: string) =>
    output.split('\n').filter((line) => line.includes('"msg":"bot logged in to Discord"')).length ===
    CHARACTERS.length;
  const child = await startProcess('src/bots/main.ts', env, loggedIn);
  const logs: BotsProcess['logs'] = [];
  onOutputLines(child, (line) => {
    if (line.startsWith('{')) logs.push(JSON.parse(line) as Record<string, unknown>);
  });
  return { shard, child, logs };
}

/** What the bots processes logged about a message: which process, and the shard it says it came on. */
function handledBy(messageId: string, msg: string): Array<{ process: number; shardId: unknown }> {
  return botsProcesses.flatMap(({ shard, logs }) =>
    logs
      .filter((line) => line.msg === msg && line.messageId === messageId)
      .map((line) => ({
        process: shard,
        shardId: line.shardId,
      })),
  );
}

it("handles each guild's messages in the process owning its shard, one reply each", async () => {
  h.ollama.reply('Freakin sweet.');
  const sent: Sent[] = [];
  for (const [guildId, channelId] of channels) {
    for (const character of CHARACTERS) {
      const message = await h.discord.userSays({ channelId, content: `${character}, which shard is this?` });
      sent.push({ id: message.id, character, guildId });
    }
  }
  // DMs come on shard 0 only.
  const dm = h.discord.createDmChannel(h.botUsers.Brian.id, '333333333333333333', 'chris');
  const whispered = await h.discord.userSays({ channelId: dm, content: 'psst, Brian' });
  sent.push({ id: whispered.id, character: 'Brian', guildId: null });
  expect(new Set(sent.map((m) => m.guildId && shardOf(m.guildId, SHARD_COUNT)))).toEqual(
    new Set([0, 1, null]),
  );

  const repliesTo = (id: string) =>
    h.discord.botMessages().filter((m) => m.message_reference?.message_id === id);
  await waitFor(() => sent.every(({ id }) => repliesTo(id).length > 0), {
    timeoutMs: 90_000,
    what: 'a reply to every message',
  });
  await Promise.all(
    sent.map(({ id, character }) =>
      h.temporal.workflow.getHandle<typeof ReplyWorkflow>(replyWorkflowId(id, character)).result(),
    ),
  );
  for (const { id, character, guildId } of sent) {
    const replies = repliesTo(id);
    expect(replies.map((reply) => reply.author.id)).toEqual([h.botUsers[character].id]);
    const owner = guildId === null ? 0 : shardOf(guildId, SHARD_COUNT);
    expect({ id, handledBy: handledBy(id, 'reply workflow started') }).toEqual({
      id,
      handledBy: [{ process: owner, shardId: owner }],
    });
    // The other process never saw it, so nothing was started twice.
    expect(handledBy(id, 'duplicate delivery of a message: already answered')).toEqual([]);
  }
  // Both processes did their share.
  for (const { shard, logs } of botsProcesses) {
    expect(logs.some((line) => line.msg === 'reply workflow started' && line.shardId === shard)).toBe(true);
  }
});
