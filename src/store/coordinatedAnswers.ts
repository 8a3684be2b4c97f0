import type { Collection, Db } from 'mongodb';

/** One unnamed message the coordinator had a character answer. */
export interface CoordinatedAnswer {
  /** The Discord message answered (its user turn is `user:<message_id>` in conversation_history). */
  message_id: string;
  character: string;
  /** When the message was written. */
  at: Date;
}

/** As stored: one small document per channel (`_id` = the channel id). */
interface CoordinatedAnswersDocument {
  _id: string;
  /** The newest answers, oldest first: the last hour's, and never fewer than KEEP_AT_LEAST. */
  answers: CoordinatedAnswer[];
}

/** Enough to count any UNNAMED_MAX_IN_A_ROW (at most 100) whatever the hour held. */
const KEEP_AT_LEAST = 100;
/** The hourly cap's window (UNNAMED_MAX_PER_HOUR): answers older than this count only in a row. */
export const HOURLY_CAP_WINDOW_MS = 60 * 60_000;

/**
 * coordinated_answers: the unnamed messages the coordinator answered per channel, for its caps (so many
 * an hour, so many in a row). One document per channel, read and replaced by `_id` (FerretDB v1 scans a
 * collection per query; this one holds a document per coordinator channel). The write is
 * read-modify-write, as everywhere on FerretDB v1: two coordinated answers in one channel at the same
 * moment may record one of them, which lets the caps run one answer late, never answers twice.
 */
export class CoordinatedAnswers {
  readonly collection: Collection<CoordinatedAnswersDocument>;

  constructor(db: Db) {
    this.collection = db.collection<CoordinatedAnswersDocument>('coordinated_answers');
  }

  /** The channel's recorded answers, oldest first. */
  async recent(channelId: string): Promise<CoordinatedAnswer[]> {
    return (await this.collection.findOne({ _id: channelId }))?.answers ?? [];
  }

  /** Records an answer (again: no change), dropping those older than an hour beyond the newest KEEP_AT_LEAST. */
  async record(channelId: string, answer: CoordinatedAnswer): Promise<void> {
    const known = await this.recent(channelId);
    if (known.some((a) => a.message_id === answer.message_id)) return;
    const all = [...known, answer].sort((a, b) => a.at.getTime() - b.at.getTime());
    const since = answer.at.getTime() - HOURLY_CAP_WINDOW_MS;
    const answers = all.filter((a, i) => a.at.getTime() >= since || i >= all.length - KEEP_AT_LEAST);
    await this.collection.replaceOne({ _id: channelId }, { answers }, { upsert: true });
  }
}
