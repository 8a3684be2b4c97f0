import type { Collection, Db } from 'mongodb';
import { isDuplicateKeyError } from './errors';
import { createIndexes } from './indexes';
import { toEntries, type CounterEntry, type Counters } from './metricCounters';

/**
 * One write's change to the metric counters (src/store/metricCounters.ts), immutable once inserted.
 * `_id` is the write's idempotency key, so a retried write adds nothing: `turn:<turn _id>`,
 * `answer:<user turn _id>`, `ft:<fine_tuning_data _id>`, `rating:<rating id>:<action>:<source>:<event ms>`,
 * `dead_letter:<id>:recorded|resolved`.
 */
export interface MetricEvent {
  _id: string;
  at: Date;
  counters: CounterEntry[];
  /** When a fold added it to metric_totals; null while pending. Kept for RETENTION_MS, then deleted. */
  folded_at: Date | null;
}

/**
 * How long a folded event is kept. Only its `_id` matters then: a retry of its write within this time
 * hits the unique key and counts nothing. Store writes are retried for minutes at most (STORE_RETRY),
 * so a write retried later than this (a workflow stuck without a worker for an hour) would count twice.
 */
export const RETENTION_MS = 60 * 60_000;

/**
 * metric_events: the pending changes to the metric totals. Writers only insert (flat and atomic on
 * FerretDB v1, whose updates are neither); the fold (metricTotals.ts) is the only other writer. It holds
 * the events of the last fold interval plus RETENTION_MS, whatever the size of the history.
 */
export class MetricEvents {
  readonly collection: Collection<MetricEvent>;

  constructor(db: Db) {
    this.collection = db.collection<MetricEvent>('metric_events');
  }

  async ensureIndexes(): Promise<void> {
    await createIndexes(this.collection, [{ key: { folded_at: 1 }, name: 'folded_at' }]);
  }

  /** Records a write's counters once under its key; a second emit with the key is a no-op. */
  async emit(id: string, counters: Counters): Promise<void> {
    try {
      await this.collection.insertOne({
        _id: id,
        at: new Date(),
        counters: toEntries(counters),
        folded_at: null,
      });
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
    }
  }

  /** Events not folded yet, oldest first. */
  pending(limit = 0): Promise<MetricEvent[]> {
    return this.collection.find({ folded_at: null }).sort({ at: 1, _id: 1 }).limit(limit).toArray();
  }

  async markFolded(ids: string[], at: Date): Promise<void> {
    if (ids.length > 0)
      await this.collection.updateMany({ _id: { $in: ids }, folded_at: null }, { $set: { folded_at: at } });
  }

  async prune(now: number): Promise<void> {
    await this.collection.deleteMany({ folded_at: { $ne: null, $lt: new Date(now - RETENTION_MS) } });
  }
}
