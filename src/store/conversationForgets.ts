import type { Collection, Db } from 'mongodb';

/**
 * A channel's /forget: its session's turns up to forgotten_through_turn_id stay in conversation_history
 * for the record, but leave the history window, the summaries and the user notes. `_id` is the session
 * id. A collection of its own: conversation_sessions documents are replaced wholesale at every turn
 * (a read-modify-write that could drop a field written meanwhile), and this is written only by /forget.
 */
export interface ConversationForget {
  _id: string;
  channel_id: string;
  forgotten_through_turn_id: number;
  forgotten_at: Date;
  /** Who asked (`discord:<user id>`, or the admin API's `admin`). */
  forgotten_by: string;
}

/** `conversation_forgets`: one small document per channel that was ever told to forget. */
export class ConversationForgets {
  readonly collection: Collection<ConversationForget>;

  constructor(db: Db) {
    this.collection = db.collection<ConversationForget>('conversation_forgets');
  }

  get(sessionId: string): Promise<ConversationForget | null> {
    return this.collection.findOne({ _id: sessionId });
  }

  /** The session's turns up to this turn id: 0 when it never forgot. */
  async cutoff(sessionId: string): Promise<number> {
    return (await this.get(sessionId))?.forgotten_through_turn_id ?? 0;
  }

  /**
   * Records a forget through `throughTurnId` (never moving the cutoff back: a concurrent, slower
   * /forget that saw fewer turns does not bring any back).
   */
  async forget(entry: ConversationForget): Promise<ConversationForget> {
    const current = await this.get(entry._id);
    const stored =
      current && current.forgotten_through_turn_id > entry.forgotten_through_turn_id
        ? { ...entry, forgotten_through_turn_id: current.forgotten_through_turn_id }
        : entry;
    await this.collection.replaceOne({ _id: entry._id }, stored, { upsert: true });
    return stored;
  }
}
