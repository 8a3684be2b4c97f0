import type { Collection, Db } from 'mongodb';
import { createIndexes } from './indexes';

export type RatingType = 'QC_AUTOMATED' | 'USER_SUBMITTED' | 'LLM_SUGGESTED';

/** One rating of a bot response, as in the design document's `fine_tuning_data`. */
export interface FineTuningEntry {
  response_id: string;
  rating_type: RatingType;
  rating_score: number;
  feedback_text: string;
  rated_by: string;
  timestamp: Date;
  prompt_version_used: string;
}

export class FineTuningData {
  readonly collection: Collection<FineTuningEntry>;

  constructor(db: Db) {
    this.collection = db.collection<FineTuningEntry>('fine_tuning_data');
  }

  async ensureIndexes(): Promise<void> {
    await createIndexes(this.collection, [
      { key: { response_id: 1, rating_type: 1, rated_by: 1 }, name: 'response_rating' },
      { key: { prompt_version_used: 1, rating_type: 1 }, name: 'version_ratings' },
    ]);
  }
}
