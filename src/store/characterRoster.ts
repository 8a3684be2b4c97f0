import type { Binary, Collection, Db } from 'mongodb';
import { normalisedAliases } from '../characters/names';
import type { Avatar, CharacterProfile, RosterEntry } from '../characters/profile';
import { isDuplicateKeyError } from './errors';

/**
 * A roster entry as stored: `_id` is the lower-cased name (the one lookup; no secondary index needed);
 * `has_avatar` lets the roster be read without the avatars' bytes.
 */
type RosterDocument = CharacterProfile & { _id: string; has_avatar: boolean };

/** What a new roster entry needs; the rest (status, timestamps) is set on insert. */
export type NewCharacter = Omit<CharacterProfile, 'status' | 'created_at' | 'updated_at'>;

/** What an admin (or a card re-import) may change about a character. */
export type CharacterPatch = Partial<
  Pick<
    CharacterProfile,
    | 'aliases'
    | 'fallback_line'
    | 'talkativeness'
    | 'organic_starters'
    | 'avatar'
    | 'avatar_url'
    | 'status'
    | 'source'
    | 'card'
  >
>;

export class CharacterExistsError extends Error {
  constructor(name: string) {
    super(`a character named "${name}" exists already (import with replace to overwrite it)`);
    this.name = 'CharacterExistsError';
  }
}

export class UnknownCharacterError extends Error {
  constructor(name: string) {
    super(`no character named "${name}"`);
    this.name = 'UnknownCharacterError';
  }
}

const idOf = (name: string) => name.toLowerCase();

/**
 * The roster in MongoDB (`characters`): who the system can play, changed at run time by the admin API,
 * CLI and card imports. The environment's roster (built-ins, CHARACTERS_FILE) only seeds it.
 */
export class CharacterRoster {
  readonly collection: Collection<RosterDocument>;

  constructor(db: Db) {
    this.collection = db.collection<RosterDocument>('characters');
  }

  /**
   * Inserts the profiles the roster lacks (the environment's roster: built-ins and CHARACTERS_FILE);
   * existing entries (edited, retired, imported over) are left as they are, so an admin's changes
   * survive restarts. Returns the names inserted.
   */
  async seed(profiles: CharacterProfile[]): Promise<string[]> {
    const inserted: string[] = [];
    for (const profile of profiles) {
      try {
        await this.insert({ ...profile, aliases: normalisedAliases(profile.name, profile.aliases) });
        inserted.push(profile.name);
      } catch (err) {
        if (!(err instanceof CharacterExistsError)) throw err; // seeded before, or by another process
      }
    }
    return inserted;
  }

  /** Every character (retired ones only when asked), in the order they joined. */
  async list(options: { includeRetired?: boolean } = {}): Promise<CharacterProfile[]> {
    const filter = options.includeRetired ? {} : { status: 'active' as const };
    const profiles = await this.collection.find(filter, { projection: { _id: 0 } }).toArray();
    return profiles.sort(joinedOrder).map(profileOf);
  }

  /** The characters that answer, without their avatars' bytes (what the processes re-read every few seconds). */
  async active(): Promise<RosterEntry[]> {
    const documents = await this.collection
      .find({ status: 'active' }, { projection: { avatar: 0 } })
      .toArray();
    return documents.sort(joinedOrder).map(({ _id, ...entry }) => entry);
  }

  /** The character of that name, in any case. */
  async find(name: string): Promise<CharacterProfile | null> {
    const profile = await this.collection.findOne({ _id: idOf(name) }, { projection: { _id: 0 } });
    return profile && profileOf(profile);
  }

  /** Adds an active character; CharacterExistsError when the name (in any case) is taken. */
  async add(character: NewCharacter): Promise<CharacterProfile> {
    const now = new Date();
    const profile: CharacterProfile = {
      ...character,
      aliases: normalisedAliases(character.name, character.aliases),
      status: 'active',
      created_at: now,
      updated_at: now,
    };
    await this.insert(profile);
    return profile;
  }

  private async insert(profile: CharacterProfile): Promise<void> {
    try {
      await this.collection.insertOne({
        _id: idOf(profile.name),
        ...profile,
        has_avatar: profile.avatar !== null,
      });
    } catch (err) {
      if (isDuplicateKeyError(err)) throw new CharacterExistsError(profile.name);
      throw err;
    }
  }

  /** Changes the given fields; UnknownCharacterError when there is no such character. Returns it as now. */
  async update(name: string, patch: CharacterPatch): Promise<CharacterProfile> {
    const current = await this.find(name);
    if (!current) throw new UnknownCharacterError(name);
    const changes: CharacterPatch & { updated_at: Date } = { ...patch, updated_at: new Date() };
    if (patch.aliases) changes.aliases = normalisedAliases(current.name, patch.aliases);
    const stored = patch.avatar === undefined ? changes : { ...changes, has_avatar: patch.avatar !== null };
    await this.collection.updateOne({ _id: idOf(name) }, { $set: stored });
    return { ...current, ...changes };
  }

  /** Retired characters answer nowhere (their history and prompts stay). */
  retire(name: string): Promise<CharacterProfile> {
    return this.setStatus(name, 'retired');
  }

  setStatus(name: string, status: CharacterProfile['status']): Promise<CharacterProfile> {
    return this.update(name, { status });
  }

  /** The character's avatar image, null when it has none (or there is no such character). */
  async avatar(name: string): Promise<Avatar | null> {
    const document = await this.collection.findOne(
      { _id: idOf(name) },
      { projection: { _id: 0, avatar: 1 } },
    );
    return document?.avatar ? avatarOf(document.avatar) : null;
  }

  /** Removes an entry outright: only to undo an insert that failed half-way (see importCharacter). */
  async remove(name: string): Promise<void> {
    await this.collection.deleteOne({ _id: idOf(name) });
  }
}

function profileOf({ has_avatar: _derived, ...profile }: Omit<RosterDocument, '_id'>): CharacterProfile {
  return { ...profile, avatar: profile.avatar && avatarOf(profile.avatar) };
}

/** A stable sort by when characters joined: those seeded together (one timestamp) stay in insertion order. */
function joinedOrder(a: { created_at: Date }, b: { created_at: Date }): number {
  return a.created_at.getTime() - b.created_at.getTime();
}

/** The driver reads BSON binary as its Binary class: the avatar's bytes back as a Buffer. */
function avatarOf(stored: Avatar): Avatar {
  const data = stored.data as unknown as Buffer | Binary;
  return { mime: stored.mime, data: Buffer.isBuffer(data) ? data : Buffer.from(data.read(0, data.length())) };
}
