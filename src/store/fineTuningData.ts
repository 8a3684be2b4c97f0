import type { Collection, Db } from 'mongodb';
import { isDuplicateKeyError } from './errors';
import { createIndexes } from './indexes';
import { addCounters, ratingCounters, type RatingFacts } from './metricCounters';
import type { MetricEvents } from './metricEvents';
import type { RecordLocks } from './recordLocks';

/** llm: the reviewer's JSON; rules: a rule check failed (no LLM call); fallback: unparseable answer. */
export type QcMethod = 'llm' | 'rules' | 'fallback';

/**
 * USER_REGENERATED: a reply candidate the person it answered replaced by regenerating it (dispreferred;
 * `regen:<response id>:<candidate index>`); not a rating, so no metric counts it.
 */
export type RatingType = 'QC_AUTOMATED' | 'USER_SUBMITTED' | 'LLM_SUGGESTED' | 'USER_REGENERATED';

/** One rating of a bot response, as in the design document's `fine_tuning_data`. */
export interface FineTuningEntry {
  /**
   * Idempotency key, so a retried write updates instead of adding a second rating:
   * `qc:<response id>:<attempt>`, `user:<response id>:<user id>`,
   * `optimizer:<character>:<new version>`.
   */
  _id: string;
  response_id: string;
  rating_type: RatingType;
  rating_score: number;
  feedback_text: string;
  rated_by: string;
  timestamp: Date;
  prompt_version_used: string;
  /** Versions are per character ("v1.0" exists for each), so ratings say whose they are. */
  character_name: string;
  /** The text that was rated (a rejected QC candidate is nowhere else). */
  response_text?: string;
  /** QC_AUTOMATED: how the score came about; "fallback" scores are left out of averages. */
  qc_method?: QcMethod;
}

export class FineTuningData {
  readonly collection: Collection<FineTuningEntry>;

  constructor(
    db: Db,
    private readonly events: MetricEvents,
    private readonly locks: RecordLocks,
  ) {
    this.collection = db.collection<FineTuningEntry>('fine_tuning_data');
  }

  async ensureIndexes(): Promise<void> {
    await createIndexes(this.collection, [
      { key: { response_id: 1, rating_type: 1, rated_by: 1 }, name: 'response_rating' },
      {
        key: { character_name: 1, prompt_version_used: 1, rating_type: 1 },
        name: 'character_version_ratings',
      },
    ]);
  }

  /**
   * Writes an entry once under its idempotency key (QC assessments, optimiser suggestions): an insert,
   * which stays flat as the collection grows; a duplicate key is a retry, which replaces the entry and
   * counts nothing more in the metrics.
   */
  async record(entry: FineTuningEntry): Promise<void> {
    try {
      await this.collection.insertOne({ ...entry });
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      await this.collection.replaceOne({ _id: entry._id }, entry);
    }
    await this.events.emit(`ft:${entry._id}`, ratingCounters(entry));
  }

  /** Every QC and user rating, reduced to what performance_metrics are computed from. */
  ratingRows(): Promise<RatingFacts[]> {
    return this.collection
      .find(
        { rating_type: { $in: ['QC_AUTOMATED', 'USER_SUBMITTED'] } },
        {
          projection: {
            _id: 0,
            character_name: 1,
            prompt_version_used: 1,
            rating_type: 1,
            rating_score: 1,
            qc_method: 1,
            timestamp: 1,
          },
        },
      )
      .toArray();
  }

  /** Each rated response's average user rating, by response_id. */
  async userRatingAverages(): Promise<Map<string, number>> {
    const sums = new Map<string, { total: number; count: number }>();
    const rows = this.collection.find(
      { rating_type: 'USER_SUBMITTED' },
      { projection: { _id: 0, response_id: 1, rating_score: 1 } },
    );
    for await (const row of rows) {
      const sum = sums.get(row.response_id) ?? { total: 0, count: 0 };
      sum.total += row.rating_score;
      sum.count++;
      sums.set(row.response_id, sum);
    }
    return new Map([...sums].map(([id, { total, count }]) => [id, total / count]));
  }

  /**
   * Responses with something to compare (what the preference export reads): a user rating or a
   * regeneration, or two or more QC assessments of texts (fallback scores left out).
   */
  async responsesWithPreferences(): Promise<Set<string>> {
    const qcTexts = new Map<string, number>();
    const found = new Set<string>();
    const rows = this.collection.find(
      { ...PREFERENCE_EVIDENCE, response_text: { $exists: true } },
      { projection: { _id: 0, response_id: 1, rating_type: 1 } },
    );
    for await (const row of rows) {
      if (row.rating_type === 'QC_AUTOMATED') {
        const assessed = (qcTexts.get(row.response_id) ?? 0) + 1;
        qcTexts.set(row.response_id, assessed);
        if (assessed < 2) continue;
      }
      found.add(row.response_id);
    }
    return found;
  }

  /**
   * A response's user ratings, regenerations and QC assessments (not the fallback ones) that carry the
   * text they are about: what preference pairs are made of.
   */
  preferencesOf(responseId: string): Promise<FineTuningEntry[]> {
    return this.collection
      .find({ response_id: responseId, ...PREFERENCE_EVIDENCE, response_text: { $exists: true } })
      .toArray();
  }

  /**
   * A version's rated texts, lowest or highest first (QC fallback scores left out): what
   * the optimiser learns from.
   */
  ratedExamples(
    character: string,
    version: string,
    order: 'lowest' | 'highest',
    limit: number,
  ): Promise<FineTuningEntry[]> {
    return this.collection
      .find({
        character_name: character,
        prompt_version_used: version,
        rating_type: { $in: ['QC_AUTOMATED', 'USER_SUBMITTED'] },
        qc_method: { $ne: 'fallback' },
        response_text: { $exists: true },
      })
      .sort({ rating_score: order === 'lowest' ? 1 : -1, timestamp: -1 })
      .limit(limit)
      .toArray();
  }

  /**
   * Records a user's rating of a response or changes it: one entry per user and response
   * (`_id` from userRatingId). Rating events may be processed out of order, so an entry is
   * only overwritten by an event at least as late (`timestamp` is when the user acted; the
   * same event again, a retry, rewrites it). 'superseded': a later event already wrote.
   *
   * A first rating is an insert (flat however large the collection). Only a duplicate key (a change,
   * or a retry) reads and rewrites the entry, under its record lock, since FerretDB v1 would let two
   * conditional updates both win and the metrics need the score a change replaces.
   */
  async upsertUserRating(entry: UserRating): Promise<'recorded' | 'updated' | 'superseded'> {
    const eventId = userRatingEventId(entry._id, 'set', entry.rating_source, entry.timestamp);
    if (await this.insertRating(entry, eventId)) return 'recorded';
    return this.locks.withLock(entry._id, eventId, async () => {
      for (;;) {
        const before = await this.ratings().findOne({ _id: entry._id });
        if (!before) {
          if (await this.insertRating(entry, eventId)) return 'recorded'; // removed meanwhile
          continue;
        }
        if (before.timestamp > entry.timestamp) return 'superseded';
        if (sameRating(before, entry)) {
          // This write was done already (a retry); its event may not have been, if it was the insert.
          await this.events.emit(eventId, ratingCounters(entry));
          return 'updated';
        }
        // The event first: a retry after a crash between the two then finds it and still writes.
        await this.events.emit(eventId, addCounters(ratingCounters(entry), ratingCounters(before), -1));
        await this.ratings().replaceOne({ _id: entry._id }, entry);
        return 'updated';
      }
    });
  }

  /**
   * Removes a user's rating if `source` gave it (taking back 5️⃣ does not undo a later 3️⃣)
   * and nothing changed it after `removedAt`. True when an entry was removed. A read and a delete by
   * `_id` under the record lock: still a scan of the collection each on FerretDB v1 (a removal has
   * nothing to insert), as the conditional delete was.
   */
  async removeUserRating(id: string, source: string, removedAt: Date): Promise<boolean> {
    const eventId = userRatingEventId(id, 'remove', source, removedAt);
    return this.locks.withLock(id, eventId, async () => {
      const before = await this.ratings().findOne({ _id: id });
      if (!before || before.rating_source !== source || before.timestamp >= removedAt) return false;
      await this.events.emit(eventId, ratingCounters(before, -1));
      const { deletedCount } = await this.ratings().deleteOne({ _id: id });
      return deletedCount > 0;
    });
  }

  /**
   * Forget-me: deletes every rating the user gave (USER_SUBMITTED, and the USER_REGENERATED entries of
   * the candidates they replaced). Each goes as a removed rating does: under its record lock, its
   * counters taken back out of the metric totals and the day's series first (an event keyed by the
   * rating and its time, so a retry takes nothing out twice), so the averages and charts no longer count
   * it; USER_REGENERATED entries count for nothing there. Finding them scans the collection on FerretDB
   * v1 (rated_by has no index; a rare operation), each deletion by `_id` scans again.
   */
  async deleteUserRatings(userId: string): Promise<number> {
    const theirs = await this.collection
      .find(
        { rated_by: userId, rating_type: { $in: ['USER_SUBMITTED', 'USER_REGENERATED'] } },
        { projection: { _id: 1 } },
      )
      .toArray();
    let deleted = 0;
    for (const { _id } of theirs) {
      const eventId = `forget:${_id}`;
      deleted += await this.locks.withLock(_id, eventId, async () => {
        const before = await this.collection.findOne({ _id });
        if (!before) return 0;
        await this.events.emit(`${eventId}:${before.timestamp.getTime()}`, ratingCounters(before, -1));
        return (await this.collection.deleteOne({ _id })).deletedCount;
      });
    }
    return deleted;
  }

  private ratings(): Collection<UserRating> {
    return this.collection as unknown as Collection<UserRating>;
  }

  /** Inserts a first rating and its event; false when the user has one already. */
  private async insertRating(entry: UserRating, eventId: string): Promise<boolean> {
    try {
      await this.ratings().insertOne({ ...entry });
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      return false;
    }
    await this.events.emit(eventId, ratingCounters(entry));
    return true;
  }
}

/** The entries that say one text of a response is better or worse than another. */
const PREFERENCE_EVIDENCE = {
  rating_type: { $in: ['QC_AUTOMATED', 'USER_SUBMITTED', 'USER_REGENERATED'] as RatingType[] },
  qc_method: { $ne: 'fallback' as const },
};

/** A USER_SUBMITTED entry: a reaction on a reply or the /rate command. */
export interface UserRating extends FineTuningEntry {
  rating_type: 'USER_SUBMITTED';
  /** What gave it: `reaction:<emoji>` or `command`; removing a reaction removes only its own rating. */
  rating_source: string;
}

/** The metric event of one user action on a rating (a retry of the action has the same one). */
function userRatingEventId(ratingId: string, action: 'set' | 'remove', source: string, at: Date): string {
  return `rating:${ratingId}:${action}:${source}:${at.getTime()}`;
}

/** The stored rating is this one (what a retry of the write finds). */
function sameRating(stored: UserRating, entry: UserRating): boolean {
  return (
    stored.timestamp.getTime() === entry.timestamp.getTime() &&
    stored.rating_source === entry.rating_source &&
    stored.rating_score === entry.rating_score &&
    stored.feedback_text === entry.feedback_text
  );
}

/** One rating per user and response: a changed rating replaces the earlier one. */
export function userRatingId(responseId: string, userId: string): string {
  return `user:${responseId}:${userId}`;
}
