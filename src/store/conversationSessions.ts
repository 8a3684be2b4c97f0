import type { Collection, Db } from 'mongodb';
import type { ConversationTurn } from './conversationHistory';

/**
 * The part of a turn a session document keeps: enough for the history window, the silence check and,
 * for a bot turn, a rating of it (so rating a recent reply reads no collection that grows with history).
 */
export type RecentTurn = Pick<
  ConversationTurn,
  '_id' | 'turn_id' | 'timestamp' | 'speaker_type' | 'bot_name' | 'message_content' | 'is_organic_initiation'
> &
  Partial<
    Pick<
      ConversationTurn,
      'response_id' | 'delivered_message_ids' | 'original_message_id' | 'prompt_version_used'
    >
  > & {
    /** Bot turns: the character's fallback line was posted (llm_response_raw is null). */
    used_fallback?: boolean;
    /** Bot turns: llm_response_final, only when it differs from message_content (it rarely does). */
    rated_text?: string;
  };

/**
 * One small document per conversation session (`_id` = session_id), kept beside
 * conversation_history so the reply path never queries a collection that grows with all history:
 * FerretDB v1 scans a whole collection for nearly every query (even by `_id`), and this one holds
 * one document per channel. conversation_history stays the complete record; this is an index of
 * its newest turns, and every reader checks it before trusting it.
 */
export interface ConversationSession {
  _id: string;
  channel_id: string;
  /** Highest turn_id seen stored: where the next turn_id is looked for first. */
  last_turn_id: number;
  /** The newest turns, by turn_id, at most RECENT_TURNS. */
  recent: RecentTurn[];
  last_turn_at: Date;
  last_organic_start: { at: Date; bot_name: string | null } | null;
}

/**
 * Turns a session document keeps: a HISTORY_WINDOW up to 19 (the default is 10) and ratings of the
 * newest replies are served from it; wider windows and older replies read conversation_history.
 * FerretDB reads and rewrites whole documents, and runs every update as a scan of the collection
 * (all channels' documents), so the size matters: on SQLite, 50 turns took 14-19 ms to read and
 * 57 ms to replace at 100 channels (302 ms at 1,000); 20 turns, 7-8 and 16 ms (120 ms).
 */
export const RECENT_TURNS = 20;

/**
 * conversation_sessions. Updates are read-modify-write: FerretDB v1 applies neither `$inc` nor a
 * version-checked update atomically (concurrent writers lose updates; measured), so a document
 * may miss a turn or lag behind. That only costs speed: turn ids are arbitrated by
 * conversation_history's unique index, and readers fall back to the collection when the recent
 * turns are not contiguous.
 */
export class ConversationSessions {
  readonly collection: Collection<ConversationSession>;

  constructor(db: Db) {
    this.collection = db.collection<ConversationSession>('conversation_sessions');
  }

  get(sessionId: string): Promise<ConversationSession | null> {
    return this.collection.findOne({ _id: sessionId });
  }

  /** The sessions that had a turn most recently, without their recent turns. */
  list(limit: number): Promise<Array<Omit<ConversationSession, 'recent'>>> {
    return this.collection
      .find({}, { projection: { recent: 0 } })
      .sort({ last_turn_at: -1 })
      .limit(limit)
      .toArray();
  }

  /**
   * Takes turns (by `_id`) out of a session's recent turns (forget-me); returns how many it held. The
   * document keeps its last_turn_id, so the gap they leave sends history reads to conversation_history
   * until it scrolls out. Read-modify-write like every update here: a concurrent recordTurn that read the
   * document first would put them back, so it is read again afterwards (REMOVE_CHECKS times) and
   * removed again; a writer racing all of those would still win, which a later forget-me mends.
   */
  async removeTurns(sessionId: string, turnIds: string[]): Promise<number> {
    const removing = new Set(turnIds);
    let removed = 0;
    for (let check = 0; check < REMOVE_CHECKS; check++) {
      const current = await this.get(sessionId);
      const kept = current?.recent.filter((turn) => !removing.has(turn._id));
      if (!current || !kept || kept.length === current.recent.length) break;
      removed = Math.max(removed, current.recent.length - kept.length);
      await this.collection.replaceOne({ _id: sessionId }, { ...current, recent: kept });
    }
    return removed;
  }

  /**
   * Adds a stored turn to its session's document (creating it), keeping the newest RECENT_TURNS.
   * `current`: the document as the caller just read it (saves reading it again); else it is read.
   */
  async recordTurn(turn: ConversationTurn, read?: ConversationSession | null): Promise<void> {
    const current = read === undefined ? await this.get(turn.session_id) : read;
    const recent = [...(current?.recent ?? []).filter((known) => known._id !== turn._id), recentOf(turn)]
      .sort((a, b) => a.turn_id - b.turn_id)
      .slice(-RECENT_TURNS);
    const organic = turn.is_organic_initiation ? { at: turn.timestamp, bot_name: turn.bot_name } : null;
    const session: Omit<ConversationSession, '_id'> = {
      channel_id: turn.channel_id,
      last_turn_id: Math.max(current?.last_turn_id ?? 0, turn.turn_id),
      recent,
      last_turn_at: latest(current?.last_turn_at, turn.timestamp),
      last_organic_start:
        organic && (!current?.last_organic_start || organic.at >= current.last_organic_start.at)
          ? organic
          : (current?.last_organic_start ?? null),
    };
    await this.collection.replaceOne({ _id: turn.session_id }, session, { upsert: true });
  }
}

/**
 * How many times removeTurns re-reads a session after writing it: a recordTurn that read the document
 * before the removal writes the removed turns back with its own (the whole document is replaced).
 */
const REMOVE_CHECKS = 3;

/** What a session document keeps of a turn (also what rating lookups answer with). */
export function recentOf(turn: ConversationTurn): RecentTurn {
  const { _id, turn_id, timestamp, speaker_type, bot_name, message_content, is_organic_initiation } = turn;
  const recent: RecentTurn = {
    _id,
    turn_id,
    timestamp,
    speaker_type,
    bot_name,
    message_content,
    is_organic_initiation,
  };
  if (speaker_type !== 'BOT') return recent;
  const rated = turn.llm_response_final ?? message_content;
  return {
    ...recent,
    ...(turn.response_id !== undefined ? { response_id: turn.response_id } : {}),
    ...(turn.delivered_message_ids !== undefined
      ? { delivered_message_ids: turn.delivered_message_ids }
      : {}),
    original_message_id: turn.original_message_id,
    prompt_version_used: turn.prompt_version_used ?? null,
    used_fallback: turn.llm_response_raw === null,
    ...(rated !== message_content ? { rated_text: rated } : {}),
  };
}

function latest(a: Date | undefined, b: Date): Date {
  return a && a > b ? a : b;
}
