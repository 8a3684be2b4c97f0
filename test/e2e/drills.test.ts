/**
 * Failure drills on the real local stack: each dependency fails the way it fails in production
 * (Ollama down, FerretDB restarted, Chroma unreachable, Discord rate-limiting and erroring) while
 * users talk, and each test states what was lost: nothing. The worker killed mid-reply and mid-crawl
 * are drilled in workerKill.test.ts; crawl pages failing with 500s in wikiCrawl.test.ts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import type { WorkflowHandle } from '@temporalio/client';
import { logger } from '../../src/logger';
import { startLocalStack, type LocalStack } from '../../src/stack/localStack';
import { freePorts, isAlive } from '../../src/stack/processes';
import type { ReplyWorkflow } from '../../src/workflows/reply';
import { replyWorkflowId, type ReplyInput, type ReplyResult } from '../../src/workflows/contracts/reply';
import { sessionIdFor } from '../../src/store/sessionId';
import { startScriptedOllama, type ScriptedOllama } from '../fakes/scriptedOllama';
import { waitFor } from '../fakes/waitFor';
import { startHarness, type CharacterName, type Harness } from './harness';
import { captureLogs, type LogCapture } from './logCapture';

// The drills read warnings from the log; a quieter LOG_LEVEL must not hide them.
if (logger.levelVal > logger.levels.values.warn!) logger.level = 'warn';

const MESSAGES_ROUTE = /\/channels\/\d+\/messages$/;
const NAMES: CharacterName[] = ['Peter', 'Brian', 'Stewie'];

function replyHandle(h: Harness, messageId: string, character: CharacterName): WorkflowHandle {
  return h.temporal.workflow.getHandle(replyWorkflowId(messageId, character));
}

function replyResult(h: Harness, messageId: string, character: CharacterName): Promise<ReplyResult> {
  return replyHandle(h, messageId, character).result() as Promise<ReplyResult>;
}

function repliesTo(h: Harness, messageId: string) {
  return h.discord.botMessages().filter((m) => m.message_reference?.message_id === messageId);
}

/** From the workflow's history: the attempt numbers of an activity's started executions, and how many completed. */
async function activityRuns(
  handle: WorkflowHandle,
  activity: string,
): Promise<{ attempts: number[]; completed: number }> {
  const events = (await handle.fetchHistory()).events ?? [];
  const scheduled = new Set(
    events
      .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === activity)
      .map((e) => String(e.eventId)),
  );
  const ours = (id: unknown) => scheduled.has(String(id));
  return {
    attempts: events.flatMap((e) => {
      const started = e.activityTaskStartedEventAttributes;
      return started && ours(started.scheduledEventId) ? [started.attempt ?? 0] : [];
    }),
    completed: events.filter((e) => ours(e.activityTaskCompletedEventAttributes?.scheduledEventId)).length,
  };
}

/** The input a workflow was started with, decoded. */
async function workflowInput(handle: WorkflowHandle): Promise<unknown> {
  const events = (await handle.fetchHistory()).events ?? [];
  const payload = events[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  return defaultPayloadConverter.fromPayload(payload as Payload);
}

/** A FerretDB of this suite's own (the shared test stack's is never stopped), on `port` (0: any). */
function startPrivateFerretDb(dataDir: string, port = 0): Promise<LocalStack> {
  const env = { ...process.env };
  delete env.MONGODB_URI; // TEMPORAL_ADDRESS and CHROMA_URL stay set: only FerretDB is started
  return startLocalStack({ dataDir, env, ports: { mongo: port }, log: () => undefined });
}

describe('with a private FerretDB', () => {
  let h: Harness;
  let ferretDir: string;
  let ferret: LocalStack;
  let ferretPort: number;
  /** The scripted Ollama currently serving the worker's OLLAMA_HOST (replaced after each outage). */
  let ollama: ScriptedOllama;
  const ollamas: ScriptedOllama[] = [];

  const ollamaDown = () => ollama.close();
  const ollamaUp = async () => {
    ollama = await startScriptedOllama({ port: h.ollama.port });
    ollamas.push(ollama);
    return ollama;
  };

  beforeAll(async () => {
    ferretDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fgbots-drill-ferretdb-'));
    ferret = await startPrivateFerretDb(ferretDir);
    ferretPort = Number(new URL(ferret.mongodbUri.replace(/^mongodb:/, 'http:')).port);
    h = await startHarness({ env: { MONGODB_URI: ferret.mongodbUri } });
    ollama = h.ollama;
  });

  afterAll(async () => {
    await h?.stop();
    await Promise.all(ollamas.map((server) => server.close()));
    await ferret?.stop();
    if (ferretDir) fs.rmSync(ferretDir, { recursive: true, force: true });
  });

  describe('Ollama down, then back', () => {
    it('an outage shorter than the retry window (2 s + 4 s): every reply is delayed, none lost, none dead-lettered', async () => {
      const channelId = h.discord.createTextChannel('ollama-outage');
      await ollamaDown();
      const messages = await Promise.all(
        NAMES.map((name) => h.discord.userSays({ channelId, content: `${name}, are you awake?` })),
      );
      // Ollama stays down until every reply's first attempt has failed against it.
      await waitFor(
        async () => {
          for (const [i, m] of messages.entries()) {
            const { raw } = await replyHandle(h, m.id, NAMES[i] as CharacterName).describe();
            const generate = raw.pendingActivities?.find((a) => a.activityType?.name === 'generateReply');
            if (!generate?.lastFailure) return false;
          }
          return true;
        },
        { timeoutMs: 30_000, intervalMs: 100, what: 'a failed first attempt of every reply' },
      );
      const back = await ollamaUp();
      back.reply((request) => `Back again: ${String(request.messages?.at(-1)?.content)}`);

      for (const [i, message] of messages.entries()) {
        const name = NAMES[i] as CharacterName;
        const result = await waitFor(() => replyResult(h, message.id, name), { timeoutMs: 30_000 });
        const expected = `Back again: ${message.content}`;
        expect(result).toMatchObject({ usedFallback: false, deadLetterIds: [], text: expected });
        expect(repliesTo(h, message.id).map((m) => [m.author.id, m.content])).toEqual([
          [h.botUsers[name].id, expected],
        ]);
        // Delayed: the answer came from a retry, after the outage.
        const { attempts } = await activityRuns(replyHandle(h, message.id, name), 'generateReply');
        expect(attempts).toHaveLength(1);
        expect(attempts[0]).toBeGreaterThanOrEqual(2);
        const turn = await h.store.conversationHistory.findByResponseId(result.responseId);
        expect(turn).toMatchObject({
          llm_response_raw: expected,
          delivered_message_ids: [repliesTo(h, message.id)[0]?.id],
        });
      }
      const workflowIds = messages.map((m, i) => replyWorkflowId(m.id, NAMES[i] as CharacterName));
      expect(
        await h.store.deadLetterQueue.collection.countDocuments({ workflow_id: { $in: workflowIds } }),
      ).toBe(0);
      expect(
        await h.store.conversationHistory.collection.countDocuments({ session_id: sessionIdFor(channelId) }),
      ).toBe(6);
    });

    it('an outage longer than the retry window: the user still gets the fallback line, and the dead letter replays to a real answer', async () => {
      await ollamaDown();
      const message = await h.discord.userSays({ channelId: h.channelId, content: 'Brian, still thinking?' });
      const handle = replyHandle(h, message.id, 'Brian');
      const result = await waitFor(() => replyResult(h, message.id, 'Brian'), { timeoutMs: 30_000 });

      const prompt = await h.store.characterPrompts.findDefault('Brian');
      expect(result.usedFallback).toBe(true);
      expect(repliesTo(h, message.id).map((m) => m.content)).toEqual([prompt?.fallback_line]);
      const letters = await h.store.deadLetterQueue.collection
        .find({ workflow_id: result.responseId })
        .toArray();
      expect(letters).toHaveLength(1);
      const [letter] = letters;
      expect(letter).toMatchObject({
        failed_step: 'generateReply',
        retry_attempts: 3,
        workflow_type: 'ReplyWorkflow',
        status: 'PENDING',
      });
      expect(letter?.error_details).toMatch(/^generateReply: .*(fetch failed|ECONNREFUSED)/);
      // The payload is exactly what the workflow was started with: all a replay needs.
      expect(letter?.failed_event_payload).toEqual(await workflowInput(handle));
      expect(letter?.failed_event_payload).toMatchObject({
        character: 'Brian',
        message: { messageId: message.id, channelId: h.channelId, content: 'Brian, still thinking?' },
      });

      // Ollama back: replaying the dead letter answers the same message for real.
      const back = await ollamaUp();
      back.reply('Sorry, I was lost in thought. The answer is vodka martinis.');
      const replay = await h.temporal.workflow.execute<typeof ReplyWorkflow>(
        letter?.workflow_type as string,
        {
          taskQueue: h.config.taskQueue,
          workflowId: `${letter?.workflow_id}-replay`,
          args: [letter?.failed_event_payload as unknown as ReplyInput],
        },
      );
      expect(replay).toMatchObject({ usedFallback: false, deadLetterIds: [] });
      expect(repliesTo(h, message.id).map((m) => m.content)).toEqual([
        prompt?.fallback_line,
        'Sorry, I was lost in thought. The answer is vodka martinis.',
      ]);
      // The user's turn is not stored twice by the replay.
      expect(
        await h.store.conversationHistory.collection.countDocuments({ original_message_id: message.id }),
      ).toBe(1);
    });
  });

  it('FerretDB killed and restarted under traffic: every message gets exactly one reply, every turn is stored once', async () => {
    const channelId = h.discord.createTextChannel('db-restart');
    ollama.reply((request) => `Got it: ${String(request.messages?.at(-1)?.content)}`);
    // First wave: stored, then waiting on the LLM when the database goes away.
    ollama.hold();
    const first = await Promise.all(
      NAMES.map((name) => h.discord.userSays({ channelId, content: `${name}, first wave` })),
    );
    await ollama.waitForHeld(3, 30_000);
    const logs = captureLogs();
    try {
      const pid = ferret.services.ferretdb.pid as number;
      process.kill(pid, 'SIGKILL'); // a crash: no goodbye to open connections
      await waitFor(() => !isAlive(pid), { what: 'FerretDB gone' });
      await ferret.stop(); // forgets the dead process (pid file, exit hook)
      // Second wave: arrives while the database is down.
      const second = await Promise.all(
        NAMES.map((name) => h.discord.userSays({ channelId, content: `${name}, second wave` })),
      );
      // The first wave's answers come back while the database is down.
      ollama.release();
      const all = [...first, ...second].map((message, i) => ({
        message,
        name: NAMES[i % NAMES.length] as CharacterName,
        // What each reply has to write next: its bot turn (first wave), its user turn (second).
        step: i < NAMES.length ? 'persistBotTurn' : 'persistUserTurn',
      }));
      // Down until every reply has run into the dead database at least once.
      await waitFor(
        () =>
          all.every(({ message, name, step }) =>
            logs
              .lines()
              .some(
                (line) =>
                  line.msg === 'Activity failed' &&
                  line.activityType === step &&
                  line.workflowId === replyWorkflowId(message.id, name),
              ),
          ),
        { timeoutMs: 30_000, intervalMs: 100, what: 'a failed MongoDB write in every reply' },
      );
      ferret = await startPrivateFerretDb(ferretDir, ferretPort);
      const results = await Promise.all(
        all.map(({ message, name }) =>
          waitFor(() => replyResult(h, message.id, name), { timeoutMs: 60_000 }),
        ),
      );
      for (const [i, { message, name }] of all.entries()) {
        const result = results[i] as ReplyResult;
        const expected = `Got it: ${message.content}`;
        expect(result).toMatchObject({ usedFallback: false, deadLetterIds: [], text: expected });
        expect(repliesTo(h, message.id).map((m) => [m.author.id, m.content])).toEqual([
          [h.botUsers[name].id, expected],
        ]);
      }
      const turns = await h.store.conversationHistory.collection
        .find({ session_id: sessionIdFor(channelId) })
        .toArray();
      expect(turns).toHaveLength(12);
      expect(turns.map((t) => t.turn_id).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 12 }, (_, i) => i + 1),
      );
      for (const [i, { message }] of all.entries()) {
        const result = results[i] as ReplyResult;
        const userTurns = turns.filter(
          (t) => t.speaker_type === 'USER' && t.original_message_id === message.id,
        );
        const botTurns = turns.filter((t) => t.response_id === result.responseId);
        expect(userTurns).toHaveLength(1);
        expect(botTurns).toHaveLength(1);
        expect(botTurns[0]?.delivered_message_ids).toEqual(result.deliveredMessageIds);
      }
      expect(
        await h.store.deadLetterQueue.collection.countDocuments({
          workflow_id: { $in: results.map((r) => r.responseId) },
        }),
      ).toBe(0);
    } finally {
      logs.stop();
    }
  });

  it('Discord answering 429 (global, then per route, with retry_after) and then 503 on delivery: posted exactly once', async () => {
    ollama.reply('Freakin sweet, a rate limit.');
    h.discord.failNext({
      method: 'POST',
      path: MESSAGES_ROUTE,
      status: 429,
      retryAfterSeconds: 0.5,
      global: true,
    });
    h.discord.failNext({ method: 'POST', path: MESSAGES_ROUTE, status: 429, retryAfterSeconds: 0.5 });
    h.discord.failNext({ method: 'POST', path: MESSAGES_ROUTE, status: 503 });
    const callsBefore = h.discord.restCalls.length;
    const message = await h.discord.userSays({ channelId: h.channelId, content: 'Peter, spam the channel' });
    const result = await waitFor(() => replyResult(h, message.id, 'Peter'), { timeoutMs: 30_000 });

    const replies = repliesTo(h, message.id);
    expect(replies.map((m) => m.content)).toEqual(['Freakin sweet, a rate limit.']);
    expect(result).toMatchObject({ usedFallback: false, deliveredMessageIds: [replies[0]?.id] });
    const posts = h.discord.restCalls
      .slice(callsBefore)
      .filter((c) => c.method === 'POST' && MESSAGES_ROUTE.test(c.path));
    expect(posts.map((c) => c.status)).toEqual([429, 429, 503, 200]);
    // Every try was the same message: one nonce, enforced by Discord.
    const nonces = new Set(posts.map((c) => (c.body as { nonce?: string }).nonce));
    expect(nonces.size).toBe(1);
    expect(posts.every((c) => (c.body as { enforce_nonce?: boolean }).enforce_nonce === true)).toBe(true);
    // The client waited out both 429s within one attempt; only the 503 cost a Temporal retry.
    expect((await activityRuns(replyHandle(h, message.id, 'Peter'), 'deliverReply')).attempts).toEqual([2]);
    const turn = await h.store.conversationHistory.findByResponseId(result.responseId);
    expect(turn?.delivered_message_ids).toEqual([replies[0]?.id]);
  });
});

describe('Chroma unreachable', () => {
  let h: Harness;
  let logs: LogCapture;

  beforeAll(async () => {
    const [closedPort] = await freePorts(1); // nothing listens there
    logs = captureLogs();
    h = await startHarness({ env: { CHROMA_URL: `http://127.0.0.1:${closedPort}` } });
  });

  afterAll(async () => {
    logs?.stop();
    await h?.stop();
  });

  it('replies still go out, without wiki context: the turn has empty rag_context_used and the log says why', async () => {
    h.ollama.reply('Blast! My encyclopaedia is out of reach.');
    const message = await h.discord.userSays({ channelId: h.channelId, content: 'Stewie, who is Rupert?' });
    const result = await waitFor(() => replyResult(h, message.id, 'Stewie'), { timeoutMs: 30_000 });

    expect(result).toMatchObject({ usedFallback: false, deadLetterIds: [] });
    expect(repliesTo(h, message.id).map((m) => m.content)).toEqual([
      'Blast! My encyclopaedia is out of reach.',
    ]);
    const request = h.ollama.requests.find((r) => r.body.messages?.at(-1)?.content === message.content);
    expect(request?.body.messages?.[0]?.content).not.toContain('FACTS FROM THE FAMILY GUY WIKI');
    const turn = await h.store.conversationHistory.findByResponseId(result.responseId);
    expect(turn).toMatchObject({ rag_context_used: [], llm_response_final: result.text });

    // The log says so: the worker names the failed retrieval and its cause, the workflow what it means.
    const workflowId = replyWorkflowId(message.id, 'Stewie');
    const lines = logs.lines().filter((line) => line.workflowId === workflowId);
    const failures = lines.filter(
      (line) => line.msg === 'Activity failed' && line.activityType === 'retrieveContext',
    );
    expect(failures.length).toBeGreaterThan(0);
    for (const failure of failures) {
      expect(failure.error).toMatchObject({
        type: 'ChromaConnectionError',
        message: expect.stringMatching(/chroma/i),
      });
    }
    expect(lines.map((line) => line.msg)).toContain('no wiki context for this reply: retrieval failed');
    // Retrieval is not dead-lettered: a reply without context is a normal outcome.
    expect(await h.store.deadLetterQueue.collection.countDocuments({})).toBe(0);
  });
});
