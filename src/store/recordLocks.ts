import type { Collection, Db } from 'mongodb';
import { isDuplicateKeyError } from './errors';

/** A held lock: `_id` is what is locked, `owner` the write holding it. */
export interface RecordLock {
  _id: string;
  owner: string;
  until: Date;
}

/** How long a lock holds before another writer may take it: far longer than the writes it guards. */
const LOCK_MS = 15_000;
/** How long a writer waits for a lock before failing (its activity is retried). */
const WAIT_MS = 20_000;

/**
 * record_locks: short exclusive locks on single records, for the read-modify-write sequences that must
 * not interleave (changing or removing a user rating, resolving a dead letter). FerretDB v1 applies no
 * conditional update atomically (two writers both "win"), but a unique index does arbitrate concurrent
 * inserts, and on MongoDB too: a lock is an insert of its `_id`. The collection holds one document per
 * write in progress.
 *
 * A lock is re-entrant by owner, so the retry of a write that crashed while holding it (same owner:
 * the write's idempotency key) carries on instead of waiting; one never retried expires after LOCK_MS.
 */
export class RecordLocks {
  readonly collection: Collection<RecordLock>;

  constructor(db: Db) {
    this.collection = db.collection<RecordLock>('record_locks');
  }

  /** Runs `work` holding the lock on `key`; waits while another owner holds it. */
  async withLock<T>(key: string, owner: string, work: () => Promise<T>): Promise<T> {
    await this.acquire(key, owner, Date.now() + WAIT_MS);
    try {
      return await work();
    } finally {
      await this.release(key, owner);
    }
  }

  /** Takes the lock on `key` once, without waiting: false when someone else holds it. */
  async tryAcquire(key: string, owner: string): Promise<boolean> {
    try {
      await this.collection.insertOne({ _id: key, owner, until: new Date(Date.now() + LOCK_MS) });
      return true;
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
    }
    const held = await this.collection.findOne({ _id: key });
    if (!held) return this.tryAcquire(key, owner);
    if (held.owner === owner) return true;
    if (held.until.getTime() < Date.now()) {
      // Expired (its writer crashed for good): free it; the insert arbitrates between the takers.
      await this.collection.deleteOne({ _id: key, owner: held.owner, until: held.until });
      return this.tryAcquire(key, owner);
    }
    return false;
  }

  /** Gives up `owner`'s lock on `key` (nothing when it expired and someone else took it). */
  release(key: string, owner: string): Promise<unknown> {
    return this.collection.deleteOne({ _id: key, owner });
  }

  private async acquire(key: string, owner: string, deadline: number): Promise<void> {
    for (let attempt = 1; !(await this.tryAcquire(key, owner)); attempt++) {
      if (Date.now() > deadline) throw new Error(`record ${key} stayed locked for ${WAIT_MS} ms`);
      await new Promise((resolve) => setTimeout(resolve, Math.min(200, 5 * attempt) * (0.5 + Math.random())));
    }
  }
}
