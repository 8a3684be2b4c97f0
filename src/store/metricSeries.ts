import type { Collection, Db } from 'mongodb';
import {
  addCounters,
  fromEntries,
  KEY,
  parseVersionKey,
  SERIES_VERSION_FIELDS,
  seriesByDay,
  toEntries,
  utcDay,
  type CounterEntry,
  type Counters,
  type HourField,
  type SeriesVersionField,
} from './metricCounters';

/**
 * One UTC day of the dashboard's chart figures: per hour the bot lines stored and how many were the
 * fallback line (`hour:HH:replies|fallbacks`), and per prompt version the QC and user-rating sums
 * (`version:[character, version]:qc_count|qc_sum|user_count|user_sum`), as counters.
 */
export interface MetricSeriesDoc {
  /** The UTC day, YYYY-MM-DD. */
  _id: string;
  counters: CounterEntry[];
  /** metric_totals' `folds` of the last fold that added to it: that fold, run again, skips this day. */
  fold: number;
}

export interface HourPoint {
  hour: Date;
  replies: number;
  fallbacks: number;
}

export type VersionDayPoint = { day: string } & Record<SeriesVersionField, number>;

const HOUR_MS = 3600_000;

/**
 * metric_series: the chart figures, precomputed by the metric fold (src/store/metricTotals.ts is its
 * only writer, under the fold lock), so a chart reads a few small documents, never a scan of
 * conversation_history or fine_tuning_data. One document a day: a year is 365 documents, and a fold
 * rewrites the day or two its events fall in (FerretDB v1 runs each rewrite as a scan of these).
 */
export class MetricSeries {
  readonly collection: Collection<MetricSeriesDoc>;

  constructor(db: Db) {
    this.collection = db.collection<MetricSeriesDoc>('metric_series');
  }

  /**
   * Adds fold number `fold`'s series counters (keys `series:<day>:...`) to their days, once: a day
   * this fold already added to is skipped, so a fold that died halfway is finished by running it again.
   */
  async apply(series: Counters, fold: number): Promise<void> {
    for (const [day, counters] of seriesByDay(series)) {
      const doc = await this.collection.findOne({ _id: day });
      if (doc && doc.fold >= fold) continue;
      const sum = addCounters(fromEntries(doc?.counters ?? []), counters);
      await this.collection.replaceOne({ _id: day }, { counters: toEntries(sum), fold }, { upsert: true });
    }
  }

  /** Removes every day (before a backfill writes them all again). */
  async clear(): Promise<void> {
    await this.collection.deleteMany({});
  }

  /** The `hours` whole UTC hours up to the one `now` is in, oldest first, zeros where nothing was stored. */
  async hourly(now: Date, hours: number): Promise<HourPoint[]> {
    const last = Math.floor(now.getTime() / HOUR_MS) * HOUR_MS;
    const starts = Array.from({ length: hours }, (_, i) => new Date(last - (hours - 1 - i) * HOUR_MS));
    const days = [...new Set(starts.map(utcDay))];
    const docs = await this.collection.find({ _id: { $in: days } }).toArray();
    const byDay = new Map(docs.map((doc) => [doc._id, fromEntries(doc.counters)]));
    return starts.map((hour) => {
      const counters = byDay.get(utcDay(hour));
      const count = (field: HourField) => counters?.get(KEY.hour(hour.getUTCHours(), field)) ?? 0;
      return { hour, replies: count('replies'), fallbacks: count('fallbacks') };
    });
  }

  /**
   * A character's QC and user-rating sums per prompt version and UTC day from `fromDay` (YYYY-MM-DD)
   * on, oldest first; only days on which the version was rated.
   */
  async versionDays(character: string, fromDay: string): Promise<Map<string, VersionDayPoint[]>> {
    const docs = await this.collection
      .find({ _id: { $gte: fromDay } })
      .sort({ _id: 1 })
      .toArray();
    const versions = new Map<string, VersionDayPoint[]>();
    for (const doc of docs) {
      const points = new Map<string, VersionDayPoint>();
      for (const { k, n } of doc.counters) {
        const parsed = parseVersionKey(k);
        if (parsed?.character !== character || !CHARTED.has(parsed.field)) continue;
        const point = points.get(parsed.version) ?? { day: doc._id, ...EMPTY_POINT };
        point[parsed.field as SeriesVersionField] = n;
        points.set(parsed.version, point);
      }
      for (const [version, point] of points) versions.set(version, [...(versions.get(version) ?? []), point]);
    }
    return versions;
  }
}

const CHARTED = new Set<string>(SERIES_VERSION_FIELDS);
const EMPTY_POINT = Object.fromEntries(SERIES_VERSION_FIELDS.map((field) => [field, 0])) as Record<
  SeriesVersionField,
  number
>;
