import type { Collection, Db } from 'mongodb';
import type { QcMethod } from '../workflows/types';
import { createIndexes } from './indexes';

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
}
