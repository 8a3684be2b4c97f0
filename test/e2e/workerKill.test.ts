import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { ReplyResult } from '../../src/workflows/types';
import { replyWorkflowId } from '../../src/workflows/types';
import { startHarness, type Harness } from './harness';

const repo = join(__dirname, '..', '..');
let h: Harness;
const workers: ChildProcess[] = [];

/** A real worker process (src/worker.ts, as production runs it), ready once it polls. */
async function startWorkerProcess(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/worker.ts'], {
    cwd: repo,
    env: { ...process.env, ...h.workerEnv, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  workers.push(child);
  let output = '';
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('"msg":"worker running"')) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) =>
      reject(new Error(`worker exited with ${code} before it was ready:\n${output}`)),
    );
  });
  await ready;
  return child;
}

beforeAll(async () => {
  h = await startHarness({ worker: false });
});

afterAll(async () => {
  for (const child of workers) if (child.exitCode === null) child.kill('SIGKILL');
  await h?.stop();
});

it('delivers a reply exactly once when the worker is killed while waiting on the LLM', async () => {
  h.ollama.hold();
  h.ollama.reply('Blast! I was rudely interrupted.');
  const first = await startWorkerProcess();

  const message = await h.discord.userSays({
    channelId: h.channelId,
    content: 'Stewie, what are you plotting?',
  });
  await h.ollama.waitForHeld(1, 30_000);
  first.kill('SIGKILL');
  await new Promise((resolve) => first.once('exit', resolve));
  h.ollama.release(); // later calls answer at once; the held one's client is gone

  await startWorkerProcess();
  const result: ReplyResult = await h.temporal.workflow
    .getHandle(replyWorkflowId(message.id, 'Stewie'))
    .result();

  const replies = h.discord.botMessages().filter((m) => m.message_reference?.message_id === message.id);
  expect(replies.map((m) => [m.author.id, m.content])).toEqual([
    [h.botUsers.Stewie.id, 'Blast! I was rudely interrupted.'],
  ]);
  expect(result).toMatchObject({
    usedFallback: false,
    deliveredMessageIds: [replies[0]?.id],
    deadLetterIds: [],
  });
  // The LLM was asked twice: once by the killed worker, once by its successor.
  expect(h.ollama.requests.filter((r) => r.body.messages?.at(-1)?.content === message.content)).toHaveLength(
    2,
  );
  const turns = await h.store.conversationHistory.collection.find({ channel_id: h.channelId }).toArray();
  expect(turns.map((t) => t.speaker_type).sort()).toEqual(['BOT', 'USER']);
});
