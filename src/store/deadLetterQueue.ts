import type { Collection, Db } from 'mongodb';
import { isDuplicateKeyError } from './errors';
import { createIndexes } from './indexes';

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
}

export type NewDeadLetter = Omit<DeadLetter, '_id' | 'timestamp' | 'status'>;

export class DeadLetterQueue {
  readonly collection: Collection<DeadLetter>;

  constructor(db: Db) {
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
    return id;
  }

  list(status: DeadLetter['status'] = 'PENDING', limit = 50): Promise<DeadLetter[]> {
    return this.collection.find({ status }).sort({ timestamp: -1 }).limit(limit).toArray();
  }
}
