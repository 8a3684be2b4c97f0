import type { Collection, Db, Filter } from 'mongodb';
import type { EngagementRow } from '../prompts/metrics';
import { isDuplicateKeyError } from './errors';
import { createIndexes } from './indexes';

export type SpeakerType = 'USER' | 'BOT' | 'SYSTEM';

/** A wiki snippet given to the LLM for a reply. */
export interface RagSnippet {
  text: string;
  source_url: string;
  score: number;
}

/** One turn of `conversation_history`, with the design document's fields after its key. */
export interface ConversationTurn {
  /**
   * Idempotency key (`user:<Discord message id>` or `bot:<response id>`): a retried
   * persist finds the turn instead of writing a second one. Being the `_id`, it needs no
   * index of its own on MongoDB. (FerretDB v1 on SQLite, the local stack, scans even
   * for `_id`: lookups slow down as the collection grows; see the README.)
   */
  _id: string;
  session_id: string;
  turn_id: number;
  timestamp: Date;
  channel_id: string;
  user_id: string | null;
  speaker_type: SpeakerType;
  bot_name: string | null;
  message_content: string;
  original_message_id: string | null;
  is_organic_initiation: boolean;
  rag_context_used: RagSnippet[];
  llm_response_raw: string | null;
  llm_response_final: string | null;
  /** Bot turns: the id fine_tuning_data.response_id links to. */
  response_id?: string;
  /** Bot turns: the Discord message this one answers. */
  reply_to_message_id?: string | null;
  /** Bot turns: the Discord ids of every part posted so far (a long reply is split). */
  delivered_message_ids?: string[];
  prompt_version_used?: string | null;
  /** Bot turns: the QC pass of the reply that was sent (null when QC is off). */
  qc_result?: QcTurnResult | null;
}

/** What QC decided about the reply that was sent; every assessment is in fine_tuning_data. */
export interface QcTurnResult {
  score: number;
  feedback: string;
  method: 'llm' | 'rules' | 'fallback';
  /** Candidates generated, the first included. */
  attempts: number;
  /** False when no candidate reached the minimum score and the best one was sent. */
  accepted: boolean;
}

export type NewTurn = Omit<ConversationTurn, 'turn_id'>;

/** Where a turn landed: its key in conversation_history (workflows hand it on, e.g. to a follow-up). */
export type TurnRef = Pick<ConversationTurn, 'session_id' | 'turn_id'>;

/** How many times to take the next turn_id when concurrent replies in a session collide. */
const MAX_TURN_ID_ATTEMPTS = 100;

export class ConversationHistory {
  readonly collection: Collection<ConversationTurn>;

  constructor(db: Db) {
    this.collection = db.collection<ConversationTurn>('conversation_history');
  }

  async ensureIndexes(): Promise<void> {
    await createIndexes(this.collection, [
      { key: { session_id: 1, turn_id: 1 }, name: 'session_turn', unique: true },
      { key: { channel_id: 1, timestamp: -1 }, name: 'channel_recent' },
      { key: { response_id: 1 }, name: 'response_id' },
      // Ratings find the reply a reaction is on by any of its posted parts.
      { key: { delivered_message_ids: 1 }, name: 'delivered_message_ids' },
    ]);
  }

  /**
   * Appends a turn with the next sequential turn_id of its session, idempotently by
   * `_id`. FerretDB has no atomic counters, so the unique {session_id, turn_id}
   * index arbitrates: a writer that loses the race reads the new maximum and tries again.
   */
  async appendTurn(turn: NewTurn): Promise<ConversationTurn> {
    for (let attempt = 0; attempt < MAX_TURN_ID_ATTEMPTS; attempt++) {
      const existing = await this.collection.findOne({ _id: turn._id });
      if (existing) return existing;
      const [last] = await this.collection
        .find({ session_id: turn.session_id }, { projection: { turn_id: 1 } })
        .sort({ turn_id: -1 })
        .limit(1)
        .toArray();
      const stored: ConversationTurn = { ...turn, turn_id: (last?.turn_id ?? 0) + 1 };
      try {
        await this.collection.insertOne({ ...stored });
        return stored;
      } catch (err) {
        if (!isDuplicateKeyError(err)) throw err;
        // Lost the race for this turn_id (or a retry inserted this turn meanwhile): jitter, re-read.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * (attempt + 1)));
      }
    }
    throw new Error(
      `could not allocate a turn_id in session ${turn.session_id} after ${MAX_TURN_ID_ATTEMPTS} attempts`,
    );
  }

  /** The `limit` turns before `beforeTurnId` in a session, oldest first. */
  async loadHistory(sessionId: string, beforeTurnId: number, limit: number): Promise<ConversationTurn[]> {
    if (limit <= 0) return [];
    const turns = await this.collection
      .find({ session_id: sessionId, turn_id: { $lt: beforeTurnId } })
      .sort({ turn_id: -1 })
      .limit(limit)
      .toArray();
    return turns.reverse();
  }

  /** The channel's newest turn and newest organic start (the silence check's inputs). */
  async channelActivity(channelId: string): Promise<{
    lastTurn: ConversationTurn | null;
    lastOrganicStart: ConversationTurn | null;
  }> {
    const newest = (filter: Filter<ConversationTurn>) =>
      this.collection.find(filter).sort({ timestamp: -1 }).limit(1).next();
    const [lastTurn, lastOrganicStart] = await Promise.all([
      newest({ channel_id: channelId }),
      newest({ channel_id: channelId, is_organic_initiation: true }),
    ]);
    return { lastTurn, lastOrganicStart };
  }

  /**
   * Per character and prompt version: bot replies, and how many of them a human answered
   * (the session's next turn is a user's). Scans every turn; run by the prompt review.
   */
  async engagementRows(): Promise<EngagementRow[]> {
    type Seen = Pick<ConversationTurn, 'session_id' | 'speaker_type' | 'bot_name' | 'prompt_version_used'>;
    const rows = new Map<string, EngagementRow>();
    const count = (reply: Seen | null, next: Seen | null) => {
      if (reply?.speaker_type !== 'BOT' || !reply.bot_name || !reply.prompt_version_used) return;
      const key = `${reply.bot_name}\u0000${reply.prompt_version_used}`;
      const row = rows.get(key) ?? {
        character_name: reply.bot_name,
        prompt_version_used: reply.prompt_version_used,
        responses: 0,
        answered: 0,
      };
      row.responses++;
      if (next?.session_id === reply.session_id && next.speaker_type === 'USER') row.answered++;
      rows.set(key, row);
    };
    let previous: Seen | null = null;
    const turns = this.collection
      .find(
        {},
        { projection: { _id: 0, session_id: 1, speaker_type: 1, bot_name: 1, prompt_version_used: 1 } },
      )
      .sort({ session_id: 1, turn_id: 1 });
    for await (const turn of turns) {
      count(previous, turn);
      previous = turn;
    }
    count(previous, null); // the very last reply: nobody has answered it yet
    return [...rows.values()];
  }

  /** The QC results of every bot turn that went through QC. */
  async qcResults(): Promise<QcTurnResult[]> {
    const turns = await this.collection
      .find({ speaker_type: 'BOT' }, { projection: { _id: 0, qc_result: 1 } })
      .toArray();
    return turns.flatMap((turn) => (turn.qc_result ? [turn.qc_result] : []));
  }

  /** Bot replies to messages (organic starters answer nothing), oldest first, as a cursor. */
  botReplies(character?: string): AsyncIterable<ConversationTurn> {
    return this.collection
      .find({
        speaker_type: 'BOT',
        is_organic_initiation: false,
        ...(character ? { bot_name: character } : {}),
      })
      .sort({ timestamp: 1 });
  }

  findByResponseId(responseId: string): Promise<ConversationTurn | null> {
    return this.collection.findOne({ _id: botTurnId(responseId) });
  }

  /** Records the Discord ids posted so far for a bot turn; the first part is its original_message_id. */
  async recordDelivery(responseId: string, deliveredMessageIds: string[]): Promise<void> {
    await this.collection.updateOne(
      { _id: botTurnId(responseId) },
      {
        $set: {
          delivered_message_ids: deliveredMessageIds,
          original_message_id: deliveredMessageIds[0] ?? null,
        },
      },
    );
  }

  /** The bot turn in `channelId` one of whose posted parts is Discord message `messageId`. */
  findBotTurnByMessageId(channelId: string, messageId: string): Promise<ConversationTurn | null> {
    return this.collection.findOne({
      channel_id: channelId,
      speaker_type: 'BOT',
      delivered_message_ids: messageId,
    });
  }

  /** A character's newest bot turn in a channel that was posted (its first part is on Discord). */
  findLatestDeliveredBotTurn(channelId: string, character: string): Promise<ConversationTurn | null> {
    return this.collection
      .find({
        channel_id: channelId,
        speaker_type: 'BOT',
        bot_name: character,
        original_message_id: { $ne: null },
      })
      .sort({ turn_id: -1 })
      .limit(1)
      .next();
  }
}

export function userTurnId(discordMessageId: string): string {
  return `user:${discordMessageId}`;
}

export function botTurnId(responseId: string): string {
  return `bot:${responseId}`;
}
