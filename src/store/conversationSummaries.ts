import type { Collection, Db } from 'mongodb';
import { createIndexes } from './indexes';

/**
 * The rolling summary of a conversation session's turns older than the history window, written by
 * SessionMemoryWorkflow (src/workflows/memory.ts) and given to the LLM with the window. `_id` is the
 * session id. The summary covers turns covers_from_turn_id..through_turn_id; one that starts at or
 * before the session's forget cutoff (conversation_forgets) is never shown and is rewritten without
 * the forgotten turns.
 */
export interface ConversationSummary {
  _id: string;
  channel_id: string;
  summary: string;
  /** The first turn the summary covers (after the forget cutoff when there is one). */
  covers_from_turn_id: number;
  /** The newest turn it covers. */
  through_turn_id: number;
  /** Whose USER turns it was written from (those of the summaries it builds on included). */
  source_user_ids: string[];
  updated_at: Date;
}

/**
 * `conversation_summaries`. Written only by the session's one SessionMemoryWorkflow (one writer per
 * document, so a replace never loses a concurrent update), deleted by /forget and forget-me.
 */
export class ConversationSummaries {
  readonly collection: Collection<ConversationSummary>;

  constructor(db: Db) {
    this.collection = db.collection<ConversationSummary>('conversation_summaries');
  }

  async ensureIndexes(): Promise<void> {
    await createIndexes(this.collection, [{ key: { source_user_ids: 1 }, name: 'source_user_ids' }]);
  }

  get(sessionId: string): Promise<ConversationSummary | null> {
    return this.collection.findOne({ _id: sessionId });
  }

  async save(summary: ConversationSummary): Promise<void> {
    await this.collection.replaceOne({ _id: summary._id }, summary, { upsert: true });
  }

  /** Whether the session had a summary. */
  async remove(sessionId: string): Promise<boolean> {
    return (await this.collection.deleteOne({ _id: sessionId })).deletedCount > 0;
  }

  /**
   * Deletes every summary written from a user's turns (forget-me). Their sessions' next summaries are
   * written again from the turns left, without the summaries built on the deleted ones.
   */
  async dropForUser(userId: string): Promise<number> {
    return (await this.collection.deleteMany({ source_user_ids: userId })).deletedCount;
  }
}
