import type { Collection, Db } from 'mongodb';

/** What a forget-me deleted, per collection (document counts; never the content). */
export interface DeletionCounts {
  /** The user's own (USER) turns. */
  conversation_history: number;
  /** Their copies in the sessions' recent turns. */
  conversation_sessions: number;
  /** Dead letters of replies to their messages, blanked (and discarded when pending). */
  dead_letter_queue: number;
  /** Their ratings: USER_SUBMITTED and USER_REGENERATED entries they gave. */
  fine_tuning_data: number;
  user_notes: number;
  /** Summaries written from their turns (rewritten later from the turns left). */
  conversation_summaries: number;
}

/** One forget-me: who, how much, when and at whose request; nothing of what was deleted. */
export interface DataDeletion {
  /** The ForgetUserWorkflow's id: a retried record is the same document. */
  _id: string;
  user_id: string;
  counts: DeletionCounts;
  requested_at: Date;
  completed_at: Date;
  /** `discord:<user id>` (the user's own /forget-me) or `admin`. */
  requested_by: string;
}

/**
 * `data_deletions`: the record that a user's data was deleted at their (or an admin's) request, kept
 * for accountability. Backups carry it like every collection (src/store/dump.ts dumps them all), so a
 * restored backup still shows it; a restore of a backup older than a deletion warns about it (the
 * backup holds the data again). Written once per deletion; read by the admin API and restore.
 */
export class DataDeletions {
  readonly collection: Collection<DataDeletion>;

  constructor(db: Db) {
    this.collection = db.collection<DataDeletion>('data_deletions');
  }

  async record(deletion: DataDeletion): Promise<void> {
    await this.collection.replaceOne({ _id: deletion._id }, deletion, { upsert: true });
  }

  /**
   * The deletions completed after `at`, oldest first: a backup made at `at` still holds those users'
   * data, and restoring it brings that back (restore warns with these).
   */
  completedAfter(at: Date): Promise<DataDeletion[]> {
    return this.collection
      .find({ completed_at: { $gt: at } })
      .sort({ completed_at: 1 })
      .toArray();
  }

  /** The deletions of a user's data, newest first (a rare operation: a scan of a small collection). */
  forUser(userId: string): Promise<DataDeletion[]> {
    return this.collection.find({ user_id: userId }).sort({ completed_at: -1 }).toArray();
  }
}
