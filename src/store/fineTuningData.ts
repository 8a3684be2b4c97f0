import type { Collection, Db } from 'mongodb';
import type { RatingRow } from '../prompts/metrics';
import { isDuplicateKeyError } from './errors';
import { createIndexes } from './indexes';

/** llm: the reviewer's JSON; rules: a rule check failed (no LLM call); fallback: unparseable answer. */
export type QcMethod = 'llm' | 'rules' | 'fallback';

export type RatingType = 'QC_AUTOMATED' | 'USER_SUBMITTED' | 'LLM_SUGGESTED';

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

  constructor(db: Db) {
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

  /** Writes an entry under its idempotency key: a retried write replaces, never duplicates. */
  async record(entry: FineTuningEntry): Promise<void> {
    await this.collection.replaceOne({ _id: entry._id }, entry, { upsert: true });
  }

  /** Every QC and user rating, reduced to what performance_metrics are computed from. */
  ratingRows(): Promise<RatingRow[]> {
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
   */
  async upsertUserRating(entry: UserRating): Promise<'recorded' | 'updated' | 'superseded'> {
    const ratings = this.collection as unknown as Collection<UserRating>;
    const { _id, ...fields } = entry;
    // Two rounds: an insert that loses to a concurrent older event's insert retries the update.
    for (let round = 0; round < 2; round++) {
      const { matchedCount } = await ratings.updateOne(
        { _id, timestamp: { $lte: entry.timestamp } },
        { $set: fields },
      );
      if (matchedCount > 0) return 'updated';
      try {
        await ratings.insertOne({ ...entry });
        return 'recorded';
      } catch (err) {
        if (!isDuplicateKeyError(err)) throw err;
      }
    }
    return 'superseded';
  }

  /**
   * Removes a user's rating if `source` gave it (taking back 5️⃣ does not undo a later 3️⃣)
   * and nothing changed it after `removedAt`. True when an entry was removed.
   */
  async removeUserRating(id: string, source: string, removedAt: Date): Promise<boolean> {
    const ratings = this.collection as unknown as Collection<UserRating>;
    const { deletedCount } = await ratings.deleteOne({
      _id: id,
      rating_source: source,
      timestamp: { $lt: removedAt },
    });
    return deletedCount > 0;
  }
}

/** A USER_SUBMITTED entry: a reaction on a reply or the /rate command. */
export interface UserRating extends FineTuningEntry {
  rating_type: 'USER_SUBMITTED';
  /** What gave it: `reaction:<emoji>` or `command`; removing a reaction removes only its own rating. */
  rating_source: string;
}

/** One rating per user and response: a changed rating replaces the earlier one. */
export function userRatingId(responseId: string, userId: string): string {
  return `user:${responseId}:${userId}`;
}
