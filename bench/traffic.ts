/**
 * Open-loop chat traffic for the load and soak benchmarks, and the count of what came of it.
 * Users name a character at a steady rate in every channel whether or not their last message
 * was answered; latency counts from when a message was due, so a late send counts against the
 * system.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { replyWorkflowId } from '../src/workflows/contracts/reply';
import { CHARACTERS, type Harness } from '../test/e2e/harness';
import { waitFor } from '../test/fakes/waitFor';
import { quantile } from './stats';

/** A positive number from the environment. */
export const setting = (name: string, fallback: number): number => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
};
/** Every character answers once in every process: workflow bundle, embedder, connections and caches. */
export async function warmUp(h: Harness, channels: string[]): Promise<void> {
  await waitFor(() => h.discord.connectedBots().length === CHARACTERS.length);
  await Promise.all(
    CHARACTERS.map(async (character, i) => {
      const message = await h.discord.userSays({
        channelId: channels[i % channels.length] ?? h.channelId,
        content: `${character}, warm up`,
      });
      await h.discord.replyTo(message.id, 120_000);
    }),
  );
}

/** What the scripted Ollama answers; anything else posted is the fallback line. */
export const REPLY = 'Hehehehe. Freakin sweet.';

export interface Sent {
  id: string;
  character: string;
  /** When the message was due (performance.now()). */
  dueAt: number;
  /** How late the send started. */
  lagMs: number;
  repliedAt?: number;
}

export interface Traffic {
  sent: Sent[];
  /** Settles once every message is answered or `deadline` passed. */
  answered: Promise<void>;
}

/**
 * Sends `rate` messages a second per channel from `start` until `end` (performance.now() times)
 * and resolves when the last is sent. Replies are waited for until `deadline`.
 */
export async function sendSteadily(
  h: Harness,
  channels: string[],
  rate: number,
  { start, end, deadline }: { start: number; end: number; deadline: number },
): Promise<Traffic> {
  const interval = 1000 / rate;
  const sent: Sent[] = [];
  const replies: Array<Promise<void>> = [];
  await Promise.all(
    channels.map(async (channelId, c) => {
      // Channels are spread evenly over the interval, so the load is steady, not in bursts.
      const offset = (c / channels.length) * interval;
      for (let k = 0; start + offset + k * interval < end; k++) {
        const dueAt = start + offset + k * interval;
        const wait = dueAt - performance.now();
        if (wait > 0) await sleep(wait);
        const character = CHARACTERS[(c + k) % CHARACTERS.length] ?? 'Peter';
        const lagMs = performance.now() - dueAt;
        const message = await h.discord.userSays({
          channelId,
          content: `${character}, what do you make of message ${k} in here?`,
        });
        const entry: Sent = { id: message.id, character, dueAt, lagMs };
        sent.push(entry);
        replies.push(
          h.discord.replyTo(message.id, Math.max(1, deadline - performance.now())).then(
            () => {
              entry.repliedAt = performance.now();
            },
            () => undefined, // no reply before the deadline: counted by tally()
          ),
        );
      }
    }),
  );
  return { sent, answered: Promise.all(replies).then(() => undefined) };
}

export interface Tally {
  sent: number;
  /** Messages with at least one reply. */
  delivered: number;
  /** Replies beyond the first to a message. */
  duplicates: number;
  /** Unanswered and its workflow not running: ended without posting, or never started. */
  lost: number;
  unanswered: number;
  /** What became of the unanswered messages' workflows, e.g. ` (workflows: 3 RUNNING)`. */
  unansweredStates: string;
  fallbacks: number;
  wrongCharacter: number;
  /** Message due -> reply posted, of the answered ones. */
  latencies: number[];
}

/** Counts, from the fake Discord's records, what became of `sent` (call it after the replies settled). */
export async function tally(h: Harness, sent: Sent[]): Promise<Tally> {
  const byId = new Map(sent.map((entry) => [entry.id, entry]));
  const posted = h.discord.botMessages().filter((m) => byId.has(m.message_reference?.message_id ?? ''));
  const perMessage = new Map<string, number>();
  for (const message of posted) {
    const key = message.message_reference?.message_id ?? '';
    perMessage.set(key, (perMessage.get(key) ?? 0) + 1);
  }
  const unanswered = sent.filter((entry) => !perMessage.has(entry.id));
  const states = await workflowStates(h, unanswered);
  return {
    sent: sent.length,
    delivered: perMessage.size,
    duplicates: posted.length - perMessage.size,
    lost: unanswered.length - (states.get('RUNNING') ?? 0),
    unanswered: unanswered.length,
    unansweredStates: states.size
      ? ` (workflows: ${[...states].map(([state, count]) => `${count} ${state}`).join(', ')})`
      : '',
    fallbacks: posted.filter((m) => m.content !== REPLY).length,
    wrongCharacter: posted.filter(
      (m) => m.author.username !== byId.get(m.message_reference?.message_id ?? '')?.character,
    ).length,
    latencies: sent.flatMap((entry) =>
      entry.repliedAt === undefined ? [] : [entry.repliedAt - entry.dueAt],
    ),
  };
}

/** How many of `unanswered` have their reply workflow in each state (RUNNING: still on its way). */
async function workflowStates(h: Harness, unanswered: Sent[]): Promise<Map<string, number>> {
  const states = new Map<string, number>();
  for (const entry of unanswered) {
    const state = await h.temporal.workflow
      .getHandle(replyWorkflowId(entry.id, entry.character))
      .describe()
      .then(
        (description) => description.status.name,
        () => 'NOT STARTED',
      );
    states.set(state, (states.get(state) ?? 0) + 1);
  }
  return states;
}

/**
 * Turns stored in conversation_history for `sent` (one user turn and one bot turn each when all
 * is well): a retried write after a crash or a database restart must not store a turn twice.
 */
export async function storedTurns(
  h: Harness,
  sent: Sent[],
): Promise<{ user: number; bot: number; duplicated: number }> {
  const ids = new Set(sent.map((entry) => entry.id));
  const turns = await h.store.conversationHistory.collection
    .find({}, { projection: { _id: 0, speaker_type: 1, original_message_id: 1, reply_to_message_id: 1 } })
    .toArray();
  const per = new Map<string, number>();
  for (const turn of turns) {
    const message = turn.speaker_type === 'USER' ? turn.original_message_id : turn.reply_to_message_id;
    if (!message || !ids.has(message)) continue;
    const key = `${turn.speaker_type}:${message}`;
    per.set(key, (per.get(key) ?? 0) + 1);
  }
  const count = (type: string) => [...per.keys()].filter((key) => key.startsWith(type)).length;
  const duplicated = [...per.values()].reduce((sum, n) => sum + n - 1, 0);
  return { user: count('USER:'), bot: count('BOT:'), duplicated };
}

/** Median latency of the answered messages due in [from, to), e.g. `512 ms`. */
export function medianLatency(sent: Sent[], from: number, to: number): string {
  const window = sent
    .filter((entry) => entry.repliedAt !== undefined && entry.dueAt >= from && entry.dueAt < to)
    .map((entry) => (entry.repliedAt ?? 0) - entry.dueAt);
  return window.length ? `${quantile(window, 0.5).toFixed(0)} ms` : 'n/a';
}
