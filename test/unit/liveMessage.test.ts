/**
 * LiveMessage over a recording DiscordPoster, with a fake clock: the first text is posted at once, later
 * text at most once per interval (the newest waiting for the next chance), an earlier attempt's parts are
 * kept while the text is short and deleted only at the end, and a refused revision does not stop the
 * final text from being shown.
 */
import type { DiscordPoster } from '../../src/discord/rest';
import { LiveMessage } from '../../src/discord/liveMessage';
import { splitMessage } from '../../src/discord/split';

const INTERVAL_MS = 1000;
const TARGET = { character: 'Stewie', channelId: 'c1', replyTo: 'asked', idempotencyPrefix: 'reply-1' };

/** What Discord was asked, in order, and what each message shows. */
function recordingDiscord() {
  const calls: string[] = [];
  const shows = new Map<string, string>();
  let ids = 0;
  let refuseEdits = 0;
  const discord: DiscordPoster = {
    postMessage: async (_character, _channel, { content, idempotencyKey }) => {
      const id = `m${++ids}`;
      calls.push(`post ${idempotencyKey}`);
      shows.set(id, content);
      return { id, content };
    },
    editMessage: async (_character, _channel, id, content) => {
      if (refuseEdits > 0) {
        refuseEdits--;
        throw new Error('503 from Discord');
      }
      calls.push(`edit ${id}`);
      shows.set(id, content);
    },
    deleteMessage: async (_character, _channel, id) => {
      calls.push(`delete ${id}`);
      shows.delete(id);
    },
    recognisePosted: async () => [],
    lastMessageAt: async () => null,
  };
  return { discord, calls, shows, refuseNextEdit: () => (refuseEdits = 1) };
}

/** Lets the revision started by an update finish (its awaits are promise callbacks, no timers). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

beforeEach(() => {
  jest.useFakeTimers({ doNotFake: ['setImmediate'] });
  jest.setSystemTime(new Date('2026-12-06T20:00:00Z'));
});

afterEach(() => {
  jest.useRealTimers();
});

it('posts the first text at once, then edits at most once per interval, showing the newest text', async () => {
  const { discord, calls, shows } = recordingDiscord();
  const heartbeats: string[][] = [];
  const live = new LiveMessage(discord, TARGET, INTERVAL_MS, [], (ids) => heartbeats.push(ids));

  live.update('Blast!');
  await settle();
  expect(calls).toEqual(['post reply-1:0']);
  expect(heartbeats).toEqual([['m1']]);

  live.update('Blast! You');
  live.update('Blast! You again');
  jest.advanceTimersByTime(INTERVAL_MS - 1);
  live.update('Blast! You again.');
  await settle();
  expect(calls).toEqual(['post reply-1:0']); // within the interval: nothing

  jest.advanceTimersByTime(1);
  live.update('Blast! You again. What');
  await settle();
  expect(calls).toEqual(['post reply-1:0', 'edit m1']);
  expect(shows.get('m1')).toBe('Blast! You again. What');

  expect(await live.finish('Blast! You again. What now?')).toEqual(['m1']);
  expect(shows.get('m1')).toBe('Blast! You again. What now?');
});

it("keeps an earlier attempt's parts while the text is short, and deletes the surplus only at the end", async () => {
  const { discord, calls } = recordingDiscord();
  const live = new LiveMessage(discord, TARGET, INTERVAL_MS, ['a', 'b', 'c'], () => undefined);

  live.update('Starting over');
  await settle();
  // Part 0 edited (what it shows is not known after a crash); b and c left for the text to reach.
  expect(calls).toEqual(['edit a']);

  const long = Array.from({ length: 30 }, (_, i) => `Sentence ${i} of the plan to rule the world.`).join(' ');
  expect(splitMessage(long)).toHaveLength(1);
  expect(await live.finish(`${long} ${long}`)).toEqual(['a', 'b']);
  expect(calls).toEqual(['edit a', 'edit a', 'edit b', 'delete c']);
});

it('shows the final text even when Discord refused a revision on the way', async () => {
  const { discord, shows, refuseNextEdit } = recordingDiscord();
  const live = new LiveMessage(discord, TARGET, INTERVAL_MS, [], () => undefined);
  live.update('one');
  await settle();
  refuseNextEdit();
  jest.advanceTimersByTime(INTERVAL_MS);
  live.update('one two');
  await settle();
  expect(shows.get('m1')).toBe('one');

  expect(await live.finish('one two three')).toEqual(['m1']);
  expect(shows.get('m1')).toBe('one two three');
});
