import { createHash, randomBytes } from 'node:crypto';
import type { Collection, Db } from 'mongodb';
import { createIndexes } from './indexes';

/** A signed-in dashboard browser. */
export interface AdminSession {
  /** SHA-256 of the session id (the cookie's value): a copy of the collection signs no one in. */
  _id: string;
  /** What the browser sends back in x-csrf-token on state-changing requests. */
  csrf_token: string;
  created_at: Date;
  /** Idle expiry: pushed forward while the session is used, never past created_at + MAX_AGE_MS. */
  expires_at: Date;
}

/** A session unused for this long is over. */
const IDLE_MS = 12 * 3600_000;
/** However busy, a session ends this long after sign-in. */
const MAX_AGE_MS = 7 * 24 * 3600_000;
/** Expiry is pushed forward at most this often, so a polling dashboard does not write on every request. */
const TOUCH_EVERY_MS = 60_000;

const hashOf = (sessionId: string) => createHash('sha256').update(sessionId).digest('hex');
const randomToken = () => randomBytes(32).toString('base64url');

/**
 * admin_sessions: the dashboard's sign-in sessions. FerretDB v1 has no TTL indexes, so expired
 * sessions are ignored by `live` and deleted at the next sign-in.
 */
export class AdminSessions {
  readonly collection: Collection<AdminSession>;

  constructor(db: Db) {
    this.collection = db.collection<AdminSession>('admin_sessions');
  }

  async ensureIndexes(): Promise<void> {
    await createIndexes(this.collection, [{ key: { expires_at: 1 }, name: 'expiry' }]);
  }

  /** A new session: its id (for the cookie, stored only hashed) and CSRF token. */
  async create(now = new Date()): Promise<{ id: string; csrfToken: string }> {
    await this.collection.deleteMany({ expires_at: { $lte: now } });
    const id = randomToken();
    const csrfToken = randomToken();
    await this.collection.insertOne({
      _id: hashOf(id),
      csrf_token: csrfToken,
      created_at: now,
      expires_at: new Date(now.getTime() + IDLE_MS),
    });
    return { id, csrfToken };
  }

  /** The session with this id if it has not expired, its idle expiry pushed forward; else null. */
  async live(id: string, now = new Date()): Promise<AdminSession | null> {
    const session = await this.collection.findOne({ _id: hashOf(id), expires_at: { $gt: now } });
    if (!session) return null;
    const expiresAt = Math.min(now.getTime() + IDLE_MS, session.created_at.getTime() + MAX_AGE_MS);
    if (expiresAt - session.expires_at.getTime() >= TOUCH_EVERY_MS) {
      session.expires_at = new Date(expiresAt);
      await this.collection.updateOne({ _id: session._id }, { $set: { expires_at: session.expires_at } });
    }
    return session;
  }

  /** Signs the session out (nothing when it is already gone). */
  async end(id: string): Promise<void> {
    await this.collection.deleteOne({ _id: hashOf(id) });
  }
}
