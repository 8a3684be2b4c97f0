/**
 * The production layout on one local stack: two worker processes, the bots process and the admin
 * process, each started as production starts it (`src/worker.ts`, `src/bots/main.ts`,
 * `src/admin/main.ts`). Work reaches both workers, a worker SIGKILLed under load loses and
 * duplicates nothing, and the admin process steers the same workers.
 */
import type { ChildProcess } from 'node:child_process';
import { replyWorkflowId, type ReplyResult } from '../../src/workflows/contracts/reply';
import type { ReplyWorkflow } from '../../src/workflows/reply';
import { waitFor } from '../fakes/waitFor';
import { CHARACTERS, startHarness, type Harness } from './harness';
import { kill, startProcess, startWorkerProcess } from './processes';

let h: Harness;
const processes: ChildProcess[] = [];
const ADMIN_TOKEN = 'production-layout-admin-token';
let adminUrl: string;

beforeAll(async () => {
  h = await startHarness({ worker: false, bots: false });
  processes.push(...(await Promise.all([startWorkerProcess(h.workerEnv), startWorkerProcess(h.workerEnv)])));
  processes.push(
    await startProcess('src/bots/main.ts', h.workerEnv, (output) => output.includes('logged in')),
  );
  let adminOutput = '';
  processes.push(
    await startProcess('src/admin/main.ts', { ...h.workerEnv, ADMIN_PORT: '0', ADMIN_TOKEN }, (output) => {
      adminOutput = output;
      return output.includes('admin API listening');
    }),
  );
  adminUrl = /"url":"([^"]+)"/.exec(adminOutput)?.[1] ?? '';
  await h.discord.waitForBotsReady(CHARACTERS.length);
}, 120_000);

/** A request to the admin process, with its token. */
async function admin(
  method: string,
  path: string,
  body?: object,
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${adminUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: body && JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

afterAll(async () => {
  await Promise.all(processes.map(kill));
  await h?.stop();
});

/** `count` messages over `channels` new channels at once, each naming one character. */
async function sendLoad(count: number, channels: number): Promise<Array<{ id: string; character: string }>> {
  const channelIds = Array.from({ length: channels }, (_, i) => h.discord.createTextChannel(`load-${i}`));
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const character = CHARACTERS[i % CHARACTERS.length] as string;
      const message = await h.discord.userSays({
        channelId: channelIds[i % channels] as string,
        content: `${character}, message ${i}`,
      });
      return { id: message.id, character };
    }),
  );
}

/** Every message got exactly one reply from its character, and one bot turn each. */
async function expectAnsweredOnce(
  messages: Array<{ id: string; character: string }>,
): Promise<ReplyResult[]> {
  const repliesTo = (id: string) =>
    h.discord.botMessages().filter((m) => m.message_reference?.message_id === id);
  await waitFor(() => messages.every(({ id }) => repliesTo(id).length > 0), {
    timeoutMs: 90_000,
    what: 'a reply to every message',
  });
  const results = await Promise.all(
    messages.map(({ id, character }) =>
      h.temporal.workflow.getHandle<typeof ReplyWorkflow>(replyWorkflowId(id, character)).result(),
    ),
  );
  for (const { id } of messages) expect(repliesTo(id)).toHaveLength(1);
  const botTurns = await h.store.conversationHistory.collection
    .find({ response_id: { $in: results.map((r) => r.responseId) } })
    .toArray();
  expect(botTurns).toHaveLength(messages.length);
  expect(results.every((r) => r.deliveredMessageIds.length === 1 && !r.usedFallback)).toBe(true);
  return results;
}

/** The identities of the workers that ran a workflow's tasks and activities. */
async function workersOf(workflowId: string): Promise<Set<string>> {
  const { events } = await h.temporal.workflow.getHandle(workflowId).fetchHistory();
  return new Set(
    (events ?? []).flatMap((event) => {
      const identity =
        event.workflowTaskStartedEventAttributes?.identity ??
        event.activityTaskStartedEventAttributes?.identity;
      return identity ? [identity] : [];
    }),
  );
}

it('spreads replies over both worker processes', async () => {
  h.ollama.reply('Freakin sweet.');
  h.ollama.latencyMs = 100; // a little LLM time, so both workers have work in hand at once
  const messages = await sendLoad(24, 4);
  const results = await expectAnsweredOnce(messages);
  const identities = new Set<string>();
  for (const { responseId } of results)
    for (const identity of await workersOf(responseId)) identities.add(identity);
  expect(identities.size).toBe(2);
});

it('loses and duplicates nothing when one worker is SIGKILLed under load', async () => {
  h.ollama.reply('Blast!');
  h.ollama.latencyMs = 300;
  const before = h.ollama.requests.length;
  const messages = await sendLoad(30, 5);
  await waitFor(() => h.ollama.requests.length >= before + 5, { what: 'replies under way' });
  const killed = processes[0] as ChildProcess;
  await kill(killed);
  const results = await expectAnsweredOnce(messages);
  // The killed worker had taken some of these replies: the survivor finished them.
  const takenOver = [];
  for (const { responseId } of results) {
    const identities = [...(await workersOf(responseId))];
    if (identities.some((id) => id.startsWith(`${killed.pid}@`)) && identities.length === 2)
      takenOver.push(responseId);
  }
  expect(takenOver.length).toBeGreaterThan(0);
}, 120_000);

it('answers through the admin process on the same workers, with nothing dead-lettered', async () => {
  h.ollama.reply('Giggity.');
  h.ollama.latencyMs = 0;
  const answer = await admin('POST', '/orchestrate', {
    query: 'Peter, say something',
    user: 'layout-admin',
    channel: 'layout-admin-channel',
  });
  expect(answer).toMatchObject({ status: 200, body: { response: 'Giggity.', character: 'Peter' } });
  // The SIGKILLed worker's replies were finished by the other, not dead-lettered.
  const pending = await admin('GET', '/dead_letters?status=PENDING');
  expect(pending).toMatchObject({ status: 200, body: { dead_letters: [] } });
});
