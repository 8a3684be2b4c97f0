import type { Collection, Db } from 'mongodb';
import { createIndexes } from './indexes';

/**
 * A short note about a Discord user (what they like to be called, a running joke), taken from one of
 * their turns when a session is summarised (MEMORY_USER_NOTES). Carried across channels, and given to
 * the LLM only when a character answers that same user.
 */
export interface UserNote {
  /** `<user id>:<session id>:<turn id>:<n>`: a retried save writes the same notes again, not twice. */
  _id: string;
  user_id: string;
  note: string;
  /** Where it came from: the session and the turn. */
  session_id: string;
  turn_id: number;
  created_at: Date;
}

export type NewUserNote = Omit<UserNote, '_id' | 'created_at'>;

/** Most notes kept per user: the newest; older ones are deleted as new ones arrive. */
export const MAX_NOTES_PER_USER = 12;

/** `user_notes`. */
export class UserNotes {
  readonly collection: Collection<UserNote>;

  constructor(db: Db) {
    this.collection = db.collection<UserNote>('user_notes');
  }

  async ensureIndexes(): Promise<void> {
    await createIndexes(this.collection, [
      { key: { user_id: 1, created_at: -1 }, name: 'user_recent' },
      { key: { session_id: 1, turn_id: 1 }, name: 'session_turn' },
    ]);
  }

  /**
   * Stores the notes taken from one stretch of a session (a note the user already has, in any case, is
   * not stored again), then keeps each user's newest MAX_NOTES_PER_USER.
   */
  async add(notes: NewUserNote[], at: Date = new Date()): Promise<void> {
    const byUser = new Map<string, NewUserNote[]>();
    for (const note of notes) byUser.set(note.user_id, [...(byUser.get(note.user_id) ?? []), note]);
    for (const [userId, theirs] of byUser) {
      const known = new Set((await this.forUser(userId)).map((note) => note.note.toLowerCase()));
      const fresh = theirs.filter((note) => {
        const key = note.note.toLowerCase();
        if (known.has(key)) return false;
        known.add(key);
        return true;
      });
      for (const [n, note] of fresh.entries()) {
        const _id = `${note.user_id}:${note.session_id}:${note.turn_id}:${n}`;
        // Later notes are newer: the cap keeps the last ones of a batch.
        const created_at = new Date(at.getTime() + n);
        await this.collection.replaceOne({ _id }, { ...note, created_at }, { upsert: true });
      }
      const surplus = await this.collection
        .find({ user_id: userId }, { projection: { _id: 1 } })
        .sort({ created_at: -1 })
        .skip(MAX_NOTES_PER_USER)
        .toArray();
      if (surplus.length > 0) await this.collection.deleteMany({ _id: { $in: surplus.map((s) => s._id) } });
    }
  }

  /** A user's notes, newest first. */
  forUser(userId: string): Promise<UserNote[]> {
    return this.collection
      .find({ user_id: userId })
      .sort({ created_at: -1 })
      .limit(MAX_NOTES_PER_USER)
      .toArray();
  }

  /** Forget-me: every note about the user. */
  async deleteForUser(userId: string): Promise<number> {
    return (await this.collection.deleteMany({ user_id: userId })).deletedCount;
  }

  /** /forget: the notes taken from a session's turns up to `throughTurnId`. */
  async deleteForSession(sessionId: string, throughTurnId: number): Promise<number> {
    return (await this.collection.deleteMany({ session_id: sessionId, turn_id: { $lte: throughTurnId } }))
      .deletedCount;
  }
}
