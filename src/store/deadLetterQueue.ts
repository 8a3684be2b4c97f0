import { randomUUID } from 'node:crypto';
import type { Collection, Db } from 'mongodb';
import { isDuplicateKeyError } from './errors';
import { createIndexes } from './indexes';
import { deadLetterCounters } from './metricCounters';
import type { MetricEvents } from './metricEvents';
import type { RecordLocks } from './recordLocks';

/** A run whose retries were exhausted, as in the design document's `dead_letter_queue`. */
export interface DeadLetter {
  /** `<workflow id>:<failed step>`: a retried write finds the entry instead of adding one. */
  _id: string;
  failed_event_payload: Record<string, unknown>;
  error_details: string;
  timestamp: Date;
  retry_attempts: number;
  /** What to start again to replay it. */
  workflow_type: string;
  workflow_id: string;
  failed_step: string;
  status: 'PENDING' | 'REPLAYED' | 'DISCARDED';
  /** REPLAYED: the workflow the replay started. */
  replay_workflow_id?: string;
  /** When and by whom it was replayed or discarded. */
  resolved_at?: Date;
  resolved_by?: string;
}

/** What a forgotten user's message, name and id read as in a dead letter's payload. */
const FORGOTTEN = '(deleted at the user’s request)';

export const DEAD_LETTER_STATUSES: ReadonlyArray<DeadLetter['status']> = ['PENDING', 'REPLAYED', 'DISCARDED'];

export type NewDeadLetter = Omit<DeadLetter, '_id' | 'timestamp' | 'status'>;

export class DeadLetterQueue {
  readonly collection: Collection<DeadLetter>;

  constructor(
    db: Db,
    private readonly events: MetricEvents,
    private readonly locks: RecordLocks,
  ) {
    this.collection = db.collection<DeadLetter>('dead_letter_queue');
  }

  async ensureIndexes(): Promise<void> {
    await createIndexes(this.collection, [
      { key: { status: 1, timestamp: -1 }, name: 'status_recent' },
      { key: { workflow_id: 1 }, name: 'workflow_id' },
    ]);
  }

  /** Records a dead letter once per workflow and step; returns its id. */
  async record(entry: NewDeadLetter): Promise<string> {
    const id = `${entry.workflow_id}:${entry.failed_step}`;
    try {
      await this.collection.insertOne({ ...entry, _id: id, timestamp: new Date(), status: 'PENDING' });
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
    }
    // After the insert or its duplicate (a retry): keyed by the entry, counted once either way.
    await this.events.emit(`dead_letter:${id}:recorded`, deadLetterCounters({ PENDING: 1 }));
    return id;
  }

  list(status: DeadLetter['status'] = 'PENDING', limit = 50): Promise<DeadLetter[]> {
    return this.collection.find({ status }).sort({ timestamp: -1 }).limit(limit).toArray();
  }

  get(id: string): Promise<DeadLetter | null> {
    return this.collection.findOne({ _id: id });
  }

  /**
   * Moves a PENDING entry to REPLAYED or DISCARDED; false when it is not pending (any
   * more), so two admins cannot both replay it: under the entry's record lock, since FerretDB v1 lets
   * two conditional updates both succeed.
   */
  async resolve(
    id: string,
    change: { status: 'REPLAYED'; replay_workflow_id: string } | { status: 'DISCARDED' },
    by: string,
  ): Promise<boolean> {
    const eventId = `dead_letter:${id}:resolved`;
    return this.locks.withLock(`dead_letter:${id}`, randomUUID(), async () => {
      if ((await this.collection.findOne({ _id: id }, { projection: { status: 1 } }))?.status !== 'PENDING')
        return false;
      // The event first: a retry after a crash between the two finds it and still updates.
      await this.events.emit(eventId, deadLetterCounters({ PENDING: -1, [change.status]: 1 }));
      await this.collection.updateOne(
        { _id: id },
        { $set: { ...change, resolved_at: new Date(), resolved_by: by } },
      );
      return true;
    });
  }

  /**
   * Forget-me: the dead letters of replies to a user's messages (their payload holds the message) keep
   * no trace of it: text, name and id are blanked, and a pending one is discarded (by `forget-me`), since
   * replaying it would answer a message that is gone. Returns how many held one of their messages.
   */
  async forgetUser(userId: string): Promise<number> {
    const theirs = await this.collection
      .find({ 'failed_event_payload.message.authorId': userId }, { projection: { _id: 1, status: 1 } })
      .toArray();
    for (const { _id, status } of theirs) {
      if (status === 'PENDING') await this.resolve(_id, { status: 'DISCARDED' }, 'forget-me');
      await this.collection.updateOne(
        { _id },
        {
          $set: {
            'failed_event_payload.message.content': FORGOTTEN,
            'failed_event_payload.message.authorName': FORGOTTEN,
            'failed_event_payload.message.authorId': FORGOTTEN,
          },
        },
      );
    }
    return theirs.length;
  }

  /** How many entries are in each status: a count of the whole collection (the metric backfill's). */
  async counts(): Promise<Record<DeadLetter['status'], number>> {
    const entries = await Promise.all(
      DEAD_LETTER_STATUSES.map(async (status) => [status, await this.collection.countDocuments({ status })]),
    );
    return Object.fromEntries(entries) as Record<DeadLetter['status'], number>;
  }
}
