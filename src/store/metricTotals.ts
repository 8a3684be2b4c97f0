import { randomUUID } from 'node:crypto';
import type { Collection, Db } from 'mongodb';
import { isDuplicateKeyError } from './errors';
import { addCounters, fromEntries, toEntries, type CounterEntry, type Counters } from './metricCounters';
import type { MetricEvent, MetricEvents } from './metricEvents';
import type { RecordLocks } from './recordLocks';

/** The folded metric counters: one document, so that each fold commits with one write. */
export interface MetricTotalsDoc {
  _id: 'totals';
  counters: CounterEntry[];
  /**
   * The events the last fold added. They are marked folded right after the commit; until they all are,
   * readers and the next fold skip them here (the next fold first finishes marking them).
   */
  folded_event_ids: string[];
  /** Commits so far: a reader that sees it change while reading starts again. */
  folds: number;
  folded_at: Date;
  /** When the one-time scan of the existing data ran (the first fold). */
  backfilled_at: Date;
}

const TOTALS_ID = 'totals';
const FOLD_LOCK = 'metric-fold';
/** Events per commit: bounds folded_event_ids, which every reader reads. */
const FOLD_BATCH = 1000;
/** A fold call stops starting batches after this long, well within the fold lock's lifetime. */
const FOLD_TIME_MS = 5_000;
/** How long a reader waits for another process's backfill. */
const BACKFILL_WAIT_MS = 10 * 60_000;

/**
 * metric_totals: GET /stats' figures and the prompt versions' performance_metrics as counters kept
 * incrementally, so that no request scans conversation_history, fine_tuning_data or dead_letter_queue.
 *
 * Writers insert small immutable events (metricEvents.ts, keyed for idempotency). `fold` adds the
 * pending ones to this document, one process at a time (a record lock), and exactly once: the commit is
 * a single replace that lists the events it added, which are then marked folded; a fold that dies
 * between the two is finished by the next one. Readers add the pending events to the totals.
 *
 * The first fold (or the first read) scans the collections once (`backfill`, given by the store), so
 * data from before this scheme keeps its numbers. Events that exist before it starts are dropped (their
 * writes are in the scan); writes while it scans (seconds, once) may be counted twice or not at all.
 */
export class MetricTotals {
  readonly collection: Collection<MetricTotalsDoc>;

  constructor(
    db: Db,
    private readonly events: MetricEvents,
    private readonly locks: RecordLocks,
    private readonly backfill: () => Promise<Counters>,
  ) {
    this.collection = db.collection<MetricTotalsDoc>('metric_totals');
  }

  get(): Promise<MetricTotalsDoc | null> {
    return this.collection.findOne({ _id: TOTALS_ID });
  }

  /** The counters now: the folded totals plus the pending events. Reads no collection that grows with history. */
  async current(): Promise<Counters> {
    for (let attempt = 1; ; attempt++) {
      const totals = (await this.get()) ?? (await this.waitForBackfill());
      const pending = await this.events.pending();
      const again = await this.get();
      // A fold committed meanwhile: its events may be both in it and in `pending`.
      if (again?.folds !== totals.folds && attempt < 5) continue;
      return sumOf(totals, pending);
    }
  }

  /**
   * Adds the pending events to the totals (backfilling first when there are none); returns how many
   * it added. Does nothing when another process is folding.
   */
  async fold(): Promise<number> {
    const owner = randomUUID();
    if (!(await this.locks.tryAcquire(FOLD_LOCK, owner))) return 0;
    try {
      let totals = (await this.get()) ?? (await this.runBackfill());
      // A fold that died between its commit and the marking left these pending: finish it first.
      await this.events.markFolded(totals.folded_event_ids, totals.folded_at);
      let added = 0;
      for (const started = Date.now(); Date.now() - started < FOLD_TIME_MS;) {
        const folded = new Set(totals.folded_event_ids);
        const pending = (await this.events.pending(FOLD_BATCH + folded.size))
          .filter((event) => !folded.has(event._id))
          .slice(0, FOLD_BATCH);
        if (pending.length === 0) break;
        const next: Omit<MetricTotalsDoc, '_id'> = {
          counters: toEntries(sumOf({ ...totals, folded_event_ids: [] }, pending)),
          folded_event_ids: pending.map((event) => event._id),
          folds: totals.folds + 1,
          folded_at: new Date(),
          backfilled_at: totals.backfilled_at,
        };
        await this.collection.replaceOne({ _id: TOTALS_ID }, next);
        await this.events.markFolded(next.folded_event_ids, next.folded_at);
        // This process holds the fold lock: what it wrote is the document now.
        totals = { _id: TOTALS_ID, ...next };
        added += pending.length;
      }
      await this.events.prune(Date.now());
      return added;
    } finally {
      await this.locks.release(FOLD_LOCK, owner);
    }
  }

  /** The one-time scan, under the fold lock; its insert makes it count once even if the lock expired. */
  private async runBackfill(): Promise<MetricTotalsDoc> {
    const before = (await this.events.pending()).map((event) => event._id);
    const counters = await this.backfill();
    const now = new Date();
    const doc: MetricTotalsDoc = {
      _id: TOTALS_ID,
      counters: toEntries(counters),
      folded_event_ids: before,
      folds: 1,
      folded_at: now,
      backfilled_at: now,
    };
    try {
      await this.collection.insertOne(doc);
      return doc;
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      return (await this.get()) ?? doc;
    }
  }

  /** A reader before the first fold: backfills, or waits for the process that does. */
  private async waitForBackfill(): Promise<MetricTotalsDoc> {
    const deadline = Date.now() + BACKFILL_WAIT_MS;
    for (;;) {
      await this.fold();
      const totals = await this.get();
      if (totals) return totals;
      if (Date.now() > deadline) throw new Error('metric totals: the backfill did not finish');
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

/** The totals plus the events they do not hold yet. */
function sumOf(
  totals: Pick<MetricTotalsDoc, 'counters' | 'folded_event_ids'>,
  events: MetricEvent[],
): Counters {
  const inTotals = new Set(totals.folded_event_ids);
  return events
    .filter((event) => !inTotals.has(event._id))
    .reduce((sum, event) => addCounters(sum, fromEntries(event.counters)), fromEntries(totals.counters));
}
