/**
 * The roster as the running processes see it: the `characters` collection re-read every
 * ROSTER_REFRESH_MS, and each channel's cast read when a message needs it (kept as long), so a
 * character imported or retired through the admin API, or a cast set for a channel, takes effect
 * within seconds without a restart. When MongoDB cannot be read, the last roster read stays in use
 * (at first: the environment's roster), so Discord keeps being answered.
 */
import type { Config } from '../config';
import { logger, type Logger } from '../logger';
import type { UnnamedMessages } from '../store/channelSettings';
import type { CharacterProfile, RosterEntry } from './profile';
import { BUILTIN_CHARACTERS } from './builtin';
import { DEFAULT_TALKATIVENESS, loadRoster, type CharacterDefinition } from './roster';

/** What a channel's settings say about who is present and how they talk there. */
export interface ChannelCast {
  /** Roster names present in the channel; null: every active character. */
  cast: string[] | null;
  /** Added to every prompt in the channel; null: none. */
  scenario: string | null;
  /** Bot lines after a human message in this channel; null: FOLLOW_UP_MAX_CHAIN. */
  follow_up_max_chain: number | null;
  /** Who answers a message naming no character; null or absent: UNNAMED_MESSAGES. */
  unnamed_messages?: UnnamedMessages | null;
  /** The coordinator's chance of joining outside a conversation; null or absent: UNNAMED_JOIN_CHANCE. */
  join_chance?: number | null;
}

/** Where the roster and the channels' settings are read: the store's two modules (or a test's stand-ins). */
export interface RosterSources {
  characterRoster: { active(): Promise<RosterEntry[]> };
  channelSettings: { get(channelId: string): Promise<ChannelCast | null> };
}

/** What the bots, activities and admin API ask of the roster. */
export interface RosterView {
  /** The active characters, as last read. */
  active(): RosterEntry[];
  /** An active character by name (any case). */
  find(name: string): RosterEntry | undefined;
  /** A channel's settings (null: none set). */
  channel(channelId: string): Promise<ChannelCast | null>;
  /** The active characters present in a channel: its cast, or everyone when it has none. */
  presentIn(channelId: string): Promise<RosterEntry[]>;
}

export class LiveRoster implements RosterView {
  private characters: RosterEntry[];
  private readonly channels = new Map<string, { readAt: number; value: ChannelCast | null }>();
  private timer: NodeJS.Timeout | undefined;
  private failing = false;

  constructor(
    private readonly sources: RosterSources,
    private readonly options: { refreshMs: number; initial: RosterEntry[]; log: Logger },
  ) {
    this.characters = options.initial;
  }

  /** Reads the roster once, then keeps re-reading it in the background. */
  async start(): Promise<this> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.options.refreshMs);
    this.timer.unref();
    return this;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  async refresh(): Promise<void> {
    try {
      this.characters = await this.sources.characterRoster.active();
      if (this.failing) this.options.log.info('roster readable again');
      this.failing = false;
    } catch (err) {
      // Once per outage, not every refresh.
      if (!this.failing) this.options.log.warn({ err }, 'cannot read the roster: keeping the last one read');
      this.failing = true;
    }
  }

  active(): RosterEntry[] {
    return this.characters;
  }

  find(name: string): RosterEntry | undefined {
    const wanted = name.toLowerCase();
    return this.characters.find((character) => character.name.toLowerCase() === wanted);
  }

  async channel(channelId: string): Promise<ChannelCast | null> {
    const cached = this.channels.get(channelId);
    if (cached && Date.now() - cached.readAt < this.options.refreshMs) return cached.value;
    try {
      const value = await this.sources.channelSettings.get(channelId);
      this.channels.set(channelId, { readAt: Date.now(), value });
      return value;
    } catch (err) {
      this.options.log.warn({ err, channelId }, "cannot read the channel's cast: using the last one read");
      return cached?.value ?? null;
    }
  }

  async presentIn(channelId: string): Promise<RosterEntry[]> {
    const cast = (await this.channel(channelId))?.cast;
    if (!cast) return this.characters;
    const present = new Set(cast.map((name) => name.toLowerCase()));
    return this.characters.filter((character) => present.has(character.name.toLowerCase()));
  }
}

/** The environment's roster as profiles: what is used before MongoDB has been read, and what seeds it. */
export function profilesOf(definitions: CharacterDefinition[], now = new Date()): CharacterProfile[] {
  return definitions.map((definition) => ({
    name: definition.name,
    aliases: definition.aliases,
    fallback_line: definition.fallbackLine,
    talkativeness: definition.talkativeness ?? DEFAULT_TALKATIVENESS,
    organic_starters: [],
    avatar: null,
    avatar_url: null,
    status: 'active',
    // A CHARACTERS_FILE entry may override a built-in: it is then the file's.
    source: BUILTIN_CHARACTERS.includes(definition) ? 'builtin' : 'file',
    card: null,
    created_at: now,
    updated_at: now,
  }));
}

/**
 * The roster of a process: the environment's characters are seeded into MongoDB (missing ones only: an
 * admin's edits and retirements stand), then read back and kept fresh. When MongoDB cannot be reached
 * the environment's roster is used until it can.
 */
export async function openLiveRoster(options: {
  sources: RosterSources & {
    characterRoster: { seed(profiles: CharacterProfile[]): Promise<unknown> };
  };
  definitions: CharacterDefinition[];
  refreshMs: number;
  log: Logger;
}): Promise<LiveRoster> {
  const profiles = profilesOf(options.definitions);
  const initial = profiles.map(({ avatar: _none, ...entry }) => ({ ...entry, has_avatar: false }));
  await options.sources.characterRoster
    .seed(profiles)
    .catch((err: unknown) =>
      options.log.warn({ err }, 'cannot seed the roster in MongoDB yet: using the environment roster'),
    );
  return new LiveRoster(options.sources, { refreshMs: options.refreshMs, initial, log: options.log }).start();
}

/** The roster in `store` (its roster and channel settings), seeded from the configured characters. */
export function openStoreRoster(
  config: Pick<Config, 'characters' | 'charactersFile' | 'rosterRefreshMs'>,
  store: Parameters<typeof openLiveRoster>[0]['sources'],
  log: Logger = logger,
): Promise<LiveRoster> {
  return openLiveRoster({
    sources: store,
    definitions: loadRoster(config.characters, config.charactersFile),
    refreshMs: config.rosterRefreshMs,
    log,
  });
}
