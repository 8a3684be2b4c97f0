import type { ChannelCast } from '../../src/characters/liveRoster';
import { LiveRoster, profilesOf } from '../../src/characters/liveRoster';
import { BUILTIN_CHARACTERS } from '../../src/characters/builtin';
import type { RosterEntry } from '../../src/characters/profile';
import { logger } from '../../src/logger';

const entries = (...names: string[]): RosterEntry[] =>
  profilesOf(BUILTIN_CHARACTERS)
    .filter((profile) => names.includes(profile.name))
    .map(({ avatar: _none, ...entry }) => ({ ...entry, has_avatar: false }));

/** A roster and channel settings that a test changes, or makes fail, between reads. */
function sources() {
  const state = {
    roster: entries('Peter', 'Brian', 'Stewie'),
    channels: new Map<string, ChannelCast>(),
    down: false,
    channelReads: 0,
  };
  return {
    state,
    characterRoster: {
      active: async () => {
        if (state.down) throw new Error('MongoDB unreachable');
        return state.roster;
      },
    },
    channelSettings: {
      get: async (channelId: string) => {
        state.channelReads += 1;
        if (state.down) throw new Error('MongoDB unreachable');
        return state.channels.get(channelId) ?? null;
      },
    },
  };
}

const names = (list: RosterEntry[]) => list.map((entry) => entry.name);
const quiet = logger.child({});
quiet.level = 'silent';

describe('LiveRoster', () => {
  it('takes up a retirement at its next read, and keeps the last roster read while MongoDB is down', async () => {
    const s = sources();
    const roster = new LiveRoster(s, { refreshMs: 60_000, initial: [], log: quiet });
    await roster.refresh();
    expect(names(roster.active())).toEqual(['Peter', 'Brian', 'Stewie']);
    s.state.roster = entries('Peter', 'Brian');
    await roster.refresh();
    expect(names(roster.active())).toEqual(['Peter', 'Brian']);
    expect(roster.find('stewie')).toBeUndefined();
    s.state.down = true;
    await roster.refresh();
    expect(names(roster.active())).toEqual(['Peter', 'Brian']);
    expect(roster.find('PETER')?.name).toBe('Peter');
  });

  it("puts only a channel's cast in it (any case), everyone where none is set, and no retired character", async () => {
    const s = sources();
    s.state.channels.set('1', { cast: ['peter', 'STEWIE'], scenario: null, follow_up_max_chain: null });
    const roster = new LiveRoster(s, { refreshMs: 60_000, initial: [], log: quiet });
    await roster.refresh();
    expect(names(await roster.presentIn('1'))).toEqual(['Peter', 'Stewie']);
    expect(names(await roster.presentIn('2'))).toEqual(['Peter', 'Brian', 'Stewie']);
    s.state.roster = entries('Peter', 'Brian');
    await roster.refresh();
    expect(names(await roster.presentIn('1'))).toEqual(['Peter']);
  });

  it("reads a channel's settings at most once per refresh interval, and keeps them while MongoDB is down", async () => {
    const s = sources();
    s.state.channels.set('1', { cast: ['Brian'], scenario: 'rain', follow_up_max_chain: 0 });
    const roster = new LiveRoster(s, { refreshMs: 50, initial: [], log: quiet });
    await roster.channel('1');
    await roster.channel('1');
    expect(s.state.channelReads).toBe(1);
    s.state.channels.set('1', { cast: null, scenario: null, follow_up_max_chain: null });
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect((await roster.channel('1'))?.cast).toBeNull();
    s.state.down = true;
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(await roster.channel('1')).toEqual({ cast: null, scenario: null, follow_up_max_chain: null });
  });
});
