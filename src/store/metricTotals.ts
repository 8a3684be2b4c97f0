import { randomUUID } from 'node:crypto';
import type { Collection, Db } from 'mongodb';
import { isDuplicateKeyError } from './errors';
import {
  addCounters,
  fromEntries,
  splitSeries,
  toEntries,
  type CounterEntry,
  type Counters,
} from './metricCounters';
import type { MetricEvent, MetricEvents } from './metricEvents';
import type { MetricSeries } from './metricSeries';
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
  /**
   * The series counters (keys `series:<day>:...`) this commit adds to metric_series. They are added
   * right after the commit, each day once per commit (metricSeries.ts); a fold that dies before adding
   * them all is finished by the next one. Absent in documents from before the series.
   */
  series_delta?: CounterEntry[];
  /** Commits so far: a reader that sees it change while reading starts again. */
  folds: number;
  folded_at: Date;
  /** When the one-time scan of the existing data ran (the first fold). */
  backfilled_at: Date;
  /** When metric_series was computed from a scan of the existing data (absent: not yet). */
  series_backfilled_at?: Date;
}

/** The one-time scans of the existing data: everything, or the series counters alone. */
export interface MetricBackfill {
  all(): Promise<Counters>;
  series(): Promise<Counters>;
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
 * The events' series counters (per day and hour, for the dashboard's charts) go to metric_series
 * instead (metricSeries.ts): the commit carries them (`series_delta`), and they are added to their days
 * after it, each day stamped with the commit's number so that finishing a died fold adds nothing twice.
 * Readers of the series see the folded events only (at most a fold interval behind).
 *
 * The first fold (or the first read) scans the collections once (`backfill`, given by the store), so
 * data from before this scheme keeps its numbers. Events that exist before it starts are dropped (their
 * writes are in the scan); writes while it scans (seconds, once) may be counted twice or not at all.
 * Totals from before the series get the series the same way, once (`series_backfilled_at`).
 */
export class MetricTotals {
  readonly collection: Collection<MetricTotalsDoc>;

  constructor(
    db: Db,
    private readonly events: MetricEvents,
    private readonly series: MetricSeries,
    private readonly locks: RecordLocks,
    private readonly backfill: MetricBackfill,
  ) {
    this.collection = db.collection<MetricTotalsDoc>('metric_totals');
  }

  get(): Promise<MetricTotalsDoc | null> {
    return this.collection.findOne({ _id: TOTALS_ID });
  }

  /** The document without its series delta (a backfill's is the whole history's), for readers. */
  private getTotals(): Promise<MetricTotalsDoc | null> {
    return this.collection.findOne({ _id: TOTALS_ID }, { projection: { series_delta: 0 } });
  }

  /** The counters now: the folded totals plus the pending events. Reads no collection that grows with history. */
  async current(): Promise<Counters> {
    for (let attempt = 1; ; attempt++) {
      const totals = (await this.getTotals()) ?? (await this.waitForBackfill());
      const pending = await this.events.pending();
      const again = await this.getTotals();
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
      // A fold that died after its commit left events pending or days without its series: finish it.
      await this.finishCommit(totals);
      if (!totals.series_backfilled_at) totals = await this.backfillSeries(totals);
      let added = 0;
      for (const started = Date.now(); Date.now() - started < FOLD_TIME_MS;) {
        const folded = new Set(totals.folded_event_ids);
        const pending = (await this.events.pending(FOLD_BATCH + folded.size))
          .filter((event) => !folded.has(event._id))
          .slice(0, FOLD_BATCH);
        if (pending.length === 0) break;
        totals = await this.commit({
          ...totals,
          counters: toEntries(sumOf({ ...totals, folded_event_ids: [] }, pending)),
          folded_event_ids: pending.map((event) => event._id),
          series_delta: toEntries(seriesOf(pending)),
        });
        added += pending.length;
      }
      await this.events.prune(Date.now());
      return added;
    } finally {
      await this.locks.release(FOLD_LOCK, owner);
    }
  }

  /**
   * Writes the next document (one replace: the commit), then adds its events' series and marks them
   * folded. This process holds the fold lock: what it wrote is the document now.
   */
  private async commit(
    next: Omit<MetricTotalsDoc, 'folds' | 'folded_at'> & Pick<MetricTotalsDoc, 'folds'>,
  ): Promise<MetricTotalsDoc> {
    const doc: MetricTotalsDoc = { ...next, _id: TOTALS_ID, folds: next.folds + 1, folded_at: new Date() };
    await this.collection.replaceOne({ _id: TOTALS_ID }, doc);
    await this.finishCommit(doc);
    return doc;
  }

  /** What follows a commit: its series added to their days, its events marked folded (both idempotent). */
  private async finishCommit(totals: MetricTotalsDoc): Promise<void> {
    await this.series.apply(fromEntries(totals.series_delta ?? []), totals.folds);
    await this.events.markFolded(totals.folded_event_ids, totals.folded_at);
  }

  /**
   * The one-time series scan of totals from before the series, under the fold lock. The pending events'
   * own series are taken out of the scan's (which holds their writes): the fold adds them next.
   */
  private async backfillSeries(totals: MetricTotalsDoc): Promise<MetricTotalsDoc> {
    const scanned = await this.backfill.series();
    const inTotals = new Set(totals.folded_event_ids);
    const pending = (await this.events.pending()).filter((event) => !inTotals.has(event._id));
    // Days left by an earlier attempt that died before its commit: the scan has them all.
    await this.series.clear();
    return this.commit({
      ...totals,
      folded_event_ids: [],
      series_delta: toEntries(addCounters(scanned, seriesOf(pending), -1)),
      series_backfilled_at: new Date(),
    });
  }

  /** The one-time scan, under the fold lock; its insert makes it count once even if the lock expired. */
  private async runBackfill(): Promise<MetricTotalsDoc> {
    const before = (await this.events.pending()).map((event) => event._id);
    const { totals, series } = splitSeries(await this.backfill.all());
    const now = new Date();
    const doc: MetricTotalsDoc = {
      _id: TOTALS_ID,
      counters: toEntries(totals),
      folded_event_ids: before,
      series_delta: toEntries(series),
      folds: 1,
      folded_at: now,
      backfilled_at: now,
      series_backfilled_at: now,
    };
    try {
      await this.collection.insertOne(doc);
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      return (await this.get()) ?? doc;
    }
    // Days of totals deleted to be scanned again (after a restore): the fold adds the scan's next.
    await this.series.clear();
    return doc;
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

/** The totals plus the events they do not hold yet (their totals' counters: series are kept apart). */
function sumOf(
  totals: Pick<MetricTotalsDoc, 'counters' | 'folded_event_ids'>,
  events: MetricEvent[],
): Counters {
  const inTotals = new Set(totals.folded_event_ids);
  return events
    .filter((event) => !inTotals.has(event._id))
    .reduce(
      (sum, event) => addCounters(sum, splitSeries(fromEntries(event.counters)).totals),
      fromEntries(totals.counters),
    );
}

/** The series counters of some events, summed. */
function seriesOf(events: MetricEvent[]): Counters {
  return events.reduce(
    (sum, event) => addCounters(sum, splitSeries(fromEntries(event.counters)).series),
    new Map<string, number>(),
  );
}
