import type { Collection, Db, Filter } from 'mongodb';
import {
  ConversationSessions,
  recentOf,
  type ConversationSession,
  type RecentTurn,
} from './conversationSessions';
import { isDuplicateKeyError } from './errors';
import { createIndexes } from './indexes';
import { answerCounters, botTurnCounters, type EngagementRow } from './metricCounters';
import type { MetricEvents } from './metricEvents';
import { sessionIdFor } from './sessionId';

export type SpeakerType = 'USER' | 'BOT' | 'SYSTEM';

/** A wiki snippet given to the LLM for a reply. */
export interface RagSnippet {
  text: string;
  /** A wiki page, or for lore `lorebook:<scope>#<entry id>`. */
  source_url: string;
  score: number;
  /** Absent: the wiki (snippets stored before lorebooks). */
  origin?: 'wiki' | 'lorebook';
  /** Lore: which entry of which book, and why it was chosen (`constant` or `key: <key>`). */
  lore?: { scope: string; book: string; entry_id: number; name: string; reason: string };
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
  /** USER turns: the author's display name then (absent in turns stored before it was kept). */
  user_name?: string | null;
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
  /**
   * Bot turns that were regenerated: every candidate, the original first (absent: never regenerated).
   * message_content and llm_response_* are the chosen one's.
   */
  candidates?: ReplyCandidate[];
  /** Index in `candidates` of the one that stands (the one posted now). */
  chosen_candidate?: number;
}

/** One version of a bot reply: the original, or a regeneration the person it answered asked for. */
export interface ReplyCandidate {
  text: string;
  /** What the model returned (null: none, e.g. a turn stored before raw text was kept). */
  raw: string | null;
  created_at: Date;
  source: 'original' | 'regenerate';
  /** Discord id of the user who asked for it (null for the original). */
  requested_by: string | null;
  prompt_version: string;
  /** Its QC score, when QC checked it. */
  qc_score?: number | null;
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

/** How many turn ids to try when concurrent writers in a session collide. */
const MAX_TURN_ID_ATTEMPTS = 100;
/** Every this many collisions, ask conversation_history itself (the session document may lag). */
const CHECK_HISTORY_EVERY = 5;

export class ConversationHistory {
  readonly collection: Collection<ConversationTurn>;
  /** The per-session index of the newest turns (conversation_sessions) that keeps these reads small. */
  readonly sessions: ConversationSessions;

  constructor(
    db: Db,
    private readonly events: MetricEvents,
  ) {
    this.collection = db.collection<ConversationTurn>('conversation_history');
    this.sessions = new ConversationSessions(db);
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
   * Appends a turn with the next sequential turn_id of its session, idempotently by `_id`. The
   * session document says where the next turn_id is; the unique {session_id, turn_id} index
   * arbitrates between concurrent writers (FerretDB has no atomic counters). A duplicate key means
   * either this turn is stored already (a retried activity, or another character answering the
   * same message) or another writer took the id: the session document, and now and then the
   * collection, tells which. Nothing on the usual path reads conversation_history.
   * Each stored turn's metric event follows (see countTurn), on a retry too (it is keyed by the turn).
   */
  async appendTurn(turn: NewTurn): Promise<TurnRef> {
    let session = await this.sessions.get(turn.session_id);
    // A session without a document is new (or from before conversation_sessions): try 1 first.
    let turnId = (session?.last_turn_id ?? 0) + 1;
    for (let attempt = 1; attempt <= MAX_TURN_ID_ATTEMPTS; attempt++) {
      const stored: ConversationTurn = { ...turn, turn_id: turnId };
      try {
        await this.collection.insertOne({ ...stored });
        // The document read above (or after the last collision) is current enough: a concurrent
        // writer's turn this drops only costs readers a trip to the collection.
        await Promise.all([this.sessions.recordTurn(stored, session), this.countTurn(stored, session)]);
        return { session_id: stored.session_id, turn_id: turnId };
      } catch (err) {
        if (!isDuplicateKeyError(err)) throw err;
      }
      session = await this.sessions.get(turn.session_id);
      const known = session?.recent.find((recent) => recent._id === turn._id);
      if (known) {
        await this.countTurn({ ...turn, turn_id: known.turn_id }, session);
        return { session_id: turn.session_id, turn_id: known.turn_id };
      }
      if (attempt % CHECK_HISTORY_EVERY === 0) {
        const existing = await this.collection.findOne({ _id: turn._id });
        if (existing) {
          await this.sessions.recordTurn(existing);
          await this.countTurn(existing, null);
          return { session_id: existing.session_id, turn_id: existing.turn_id };
        }
        turnId = Math.max(turnId, await this.lastTurnId(turn.session_id));
      }
      turnId++;
      // Let the writer that won this id record it in the session document.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 2 * attempt));
    }
    throw new Error(
      `could not allocate a turn_id in session ${turn.session_id} after ${MAX_TURN_ID_ATTEMPTS} attempts`,
    );
  }

  /**
   * The metric event of a stored turn (src/store/metricTotals.ts): a bot turn counts as a response of
   * its prompt version (and a QC check); a user turn right after a bot turn, as that reply answered.
   * The turn before is looked up in the session document, and in the collection only when the document
   * lacks it (lost update, or a channel from before conversation_sessions).
   */
  private async countTurn(turn: ConversationTurn, session: ConversationSession | null): Promise<void> {
    if (turn.speaker_type === 'BOT') {
      const counters = botTurnCounters(turn);
      if (counters.size > 0) await this.events.emit(`turn:${turn._id}`, counters);
      return;
    }
    if (turn.speaker_type !== 'USER' || turn.turn_id <= 1) return;
    let previous: Pick<RecentTurn, 'speaker_type' | 'bot_name' | 'prompt_version_used'> | null | undefined =
      session?.recent.find((recent) => recent.turn_id === turn.turn_id - 1);
    // Session documents from before bot turns kept their prompt version do not say.
    if (!previous || (previous.speaker_type === 'BOT' && previous.prompt_version_used === undefined)) {
      previous = await this.collection.findOne(
        { session_id: turn.session_id, turn_id: turn.turn_id - 1 },
        { projection: { _id: 0, speaker_type: 1, bot_name: 1, prompt_version_used: 1 } },
      );
    }
    if (previous?.speaker_type === 'BOT' && previous.bot_name && previous.prompt_version_used)
      await this.events.emit(
        `answer:${turn._id}`,
        answerCounters(previous.bot_name, previous.prompt_version_used),
      );
  }

  /** The session's highest stored turn_id, from the collection (0 for none). */
  private async lastTurnId(sessionId: string): Promise<number> {
    const [last] = await this.collection
      .find({ session_id: sessionId }, { projection: { turn_id: 1 } })
      .sort({ turn_id: -1 })
      .limit(1)
      .toArray();
    return last?.turn_id ?? 0;
  }

  /**
   * The `limit` turns before `beforeTurnId` in a session, oldest first: from the session document
   * when it holds all of them (consecutive turn ids up to the one before), else from the collection.
   */
  async historyWindow(sessionId: string, beforeTurnId: number, limit: number): Promise<RecentTurn[]> {
    if (limit <= 0) return [];
    const session = await this.sessions.get(sessionId);
    if (session) {
      // MAX_SAFE_INTEGER asks for the newest turns (an organic start): up to the document's newest.
      // A real turn id beyond it means the document lags, and the check below sends it to the collection.
      const before = beforeTurnId === Number.MAX_SAFE_INTEGER ? session.last_turn_id + 1 : beforeTurnId;
      const wanted = Math.min(limit, before - 1);
      const window = session.recent.filter((turn) => turn.turn_id < before).slice(-wanted);
      const complete =
        window.length === wanted && window.every((turn, i) => turn.turn_id === before - wanted + i);
      if (complete) return window;
    }
    return this.loadHistory(sessionId, beforeTurnId, limit);
  }

  /**
   * The session's newest stored turn id (0 for none): the session document's, or the collection's when
   * that is higher (the document may have lost an update).
   */
  async newestTurnId(sessionId: string): Promise<number> {
    const [session, stored] = await Promise.all([this.sessions.get(sessionId), this.lastTurnId(sessionId)]);
    return Math.max(session?.last_turn_id ?? 0, stored);
  }

  /**
   * A session's turns after `afterTurnId` up to `throughTurnId`, the newest `limit` of them, oldest first,
   * from the collection (what a summary is written from).
   */
  async turnsBetween(
    sessionId: string,
    afterTurnId: number,
    throughTurnId: number,
    limit: number,
  ): Promise<ConversationTurn[]> {
    const turns = await this.collection
      .find({ session_id: sessionId, turn_id: { $gt: afterTurnId, $lte: throughTurnId } })
      .sort({ turn_id: -1 })
      .limit(limit)
      .toArray();
    return turns.reverse();
  }

  /** The `limit` turns before `beforeTurnId` in a session, oldest first, from the collection. */
  async loadHistory(sessionId: string, beforeTurnId: number, limit: number): Promise<ConversationTurn[]> {
    if (limit <= 0) return [];
    const turns = await this.collection
      .find({ session_id: sessionId, turn_id: { $lt: beforeTurnId } })
      .sort({ turn_id: -1 })
      .limit(limit)
      .toArray();
    return turns.reverse();
  }

  /**
   * A page of a session's turns, newest first: the `limit` turns before turn id `before` (null: the
   * newest). One query: the session_turn index on MongoDB; on FerretDB v1 a scan of the collection
   * (reading the turns one by one by `_id` is no quicker there: that lookup scans too, up to the turn,
   * and a session's newest turns are the collection's newest).
   */
  turnsPage(sessionId: string, before: number | null, limit: number): Promise<ConversationTurn[]> {
    return this.collection
      .find({ session_id: sessionId, ...(before !== null && { turn_id: { $lt: before } }) })
      .sort({ turn_id: -1 })
      .limit(limit)
      .toArray();
  }

  /**
   * When the channel last had a turn and an organic start (the silence check's inputs): from its
   * session document, or from the collection for a channel from before conversation_sessions.
   */
  async channelActivity(channelId: string): Promise<{
    lastTurnAt: Date | null;
    lastOrganicStart: { at: Date; bot_name: string | null } | null;
  }> {
    const session = await this.sessions.get(sessionIdFor(channelId));
    if (session) return { lastTurnAt: session.last_turn_at, lastOrganicStart: session.last_organic_start };
    const newest = (filter: Filter<ConversationTurn>) =>
      this.collection.find(filter).sort({ timestamp: -1 }).limit(1).next();
    const [lastTurn, lastOrganicStart] = await Promise.all([
      newest({ channel_id: channelId }),
      newest({ channel_id: channelId, is_organic_initiation: true }),
    ]);
    return {
      lastTurnAt: lastTurn?.timestamp ?? null,
      lastOrganicStart: lastOrganicStart && {
        at: lastOrganicStart.timestamp,
        bot_name: lastOrganicStart.bot_name,
      },
    };
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

  /** What every bot turn counts for besides its version's responses: its QC result, hour and fallback. */
  botTurnRows(): Promise<Array<Pick<ConversationTurn, 'qc_result' | 'timestamp' | 'llm_response_raw'>>> {
    return this.collection
      .find(
        { speaker_type: 'BOT' },
        { projection: { _id: 0, qc_result: 1, timestamp: 1, llm_response_raw: 1 } },
      )
      .toArray();
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

  /**
   * Forget-me: deletes a user's own turns (USER turns with their user_id) and their copies in the
   * sessions' recent turns, and takes their id off the regenerations they asked for. A scan of the collection on FerretDB v1 (user_id has no index there; a rare
   * operation). The characters' replies to them stay (they are the characters' lines, and a reply's
   * ratings, regenerations and metrics hang on it). So do the metric counters their turns added: a
   * reply answered by them still counts as answered, which says nothing about them.
   */
  async deleteUserTurns(userId: string): Promise<{ turns: number; sessionCopies: number }> {
    const filter = { speaker_type: 'USER' as const, user_id: userId };
    const theirs = await this.collection.find(filter, { projection: { _id: 1, session_id: 1 } }).toArray();
    const { deletedCount } = await this.collection.deleteMany(filter);
    const bySession = new Map<string, string[]>();
    for (const turn of theirs)
      bySession.set(turn.session_id, [...(bySession.get(turn.session_id) ?? []), turn._id]);
    let sessionCopies = 0;
    for (const [sessionId, ids] of bySession)
      sessionCopies += await this.sessions.removeTurns(sessionId, ids);
    // The replies they regenerated keep every candidate, no longer saying who asked for the new ones.
    const regenerated = await this.collection
      .find({ 'candidates.requested_by': userId }, { projection: { _id: 1, candidates: 1 } })
      .toArray();
    for (const { _id, candidates = [] } of regenerated) {
      const anonymous = candidates.map((c) => (c.requested_by === userId ? { ...c, requested_by: null } : c));
      await this.collection.updateOne({ _id }, { $set: { candidates: anonymous } });
    }
    return { turns: deletedCount, sessionCopies };
  }

  findByResponseId(responseId: string): Promise<ConversationTurn | null> {
    return this.collection.findOne({ _id: botTurnId(responseId) });
  }

  /**
   * The bot turn of response `responseId` in `channelId`: from the channel's session document when it is
   * one of its newest turns, else from the collection (a scan up to it on FerretDB v1); null when it is
   * not there or is another channel's.
   */
  async findBotTurnByResponseId(channelId: string, responseId: string): Promise<RecentTurn | null> {
    const session = await this.sessions.get(sessionIdFor(channelId));
    const recent = session?.recent.find(
      (turn) => turn.speaker_type === 'BOT' && turn.response_id === responseId,
    );
    if (recent) return recent;
    const turn = await this.findByResponseId(responseId);
    return turn?.channel_id === channelId ? recentOf(turn) : null;
  }

  /**
   * Makes a regenerated reply's candidate `index` the one that stands: appended to the turn's candidates
   * (the original becomes the first when there were none), the turn's text and posted parts set to it,
   * and the session document's copy of the turn rewritten, so the history window and ratings read what
   * Discord shows. Idempotent: a candidate already at `index` (a retried write) is not added again.
   * Callers run one regeneration of a reply at a time (RegenerateWorkflow's id), so nothing else
   * changes the turn in between, and each replaces the newest candidate. Returns the candidate it
   * replaced, or null when the turn is not there.
   */
  async chooseCandidate(
    responseId: string,
    index: number,
    candidate: ReplyCandidate,
    change: { deliveredMessageIds: string[]; qcResult: QcTurnResult | null },
  ): Promise<{ replaced: ReplyCandidate; replacedIndex: number } | null> {
    const turn = await this.findByResponseId(responseId);
    if (!turn) return null;
    const candidates = turn.candidates ?? [originalCandidate(turn)];
    // Each regeneration replaces the newest candidate (the one standing) with a newer one.
    const replacedIndex = index - 1;
    const replaced = candidates[replacedIndex];
    if (!replaced) throw new Error(`reply ${responseId} has no candidate ${replacedIndex} to replace`);
    if (index === candidates.length) candidates.push(candidate);
    const updated: ConversationTurn = {
      ...turn,
      candidates,
      chosen_candidate: index,
      message_content: candidate.text,
      llm_response_final: candidate.text,
      llm_response_raw: candidate.raw,
      qc_result: change.qcResult,
      delivered_message_ids: change.deliveredMessageIds,
      original_message_id: change.deliveredMessageIds[0] ?? null,
    };
    await this.collection.replaceOne({ _id: turn._id }, updated);
    await this.sessions.recordTurn(updated);
    return { replaced, replacedIndex };
  }

  /** The stored turn of a user's Discord message (null: none, e.g. a character's line). */
  findUserTurn(discordMessageId: string): Promise<ConversationTurn | null> {
    return this.collection.findOne({ _id: userTurnId(discordMessageId), speaker_type: 'USER' });
  }

  /**
   * The newest posted reply in `channelId` by one of `characters` to a message of `userId` (among the
   * user's newest ASKED_LOOKBACK turns there), from the collection.
   */
  async findLatestReplyTo(
    channelId: string,
    characters: string[],
    userId: string,
  ): Promise<ConversationTurn | null> {
    const asked = await this.collection
      .find(
        { channel_id: channelId, speaker_type: 'USER', user_id: userId },
        { projection: { original_message_id: 1 } },
      )
      .sort({ turn_id: -1 })
      .limit(ASKED_LOOKBACK)
      .toArray();
    const messageIds = asked.flatMap((turn) => (turn.original_message_id ? [turn.original_message_id] : []));
    if (messageIds.length === 0 || characters.length === 0) return null;
    return this.collection
      .find({
        channel_id: channelId,
        speaker_type: 'BOT',
        bot_name: { $in: characters },
        reply_to_message_id: { $in: messageIds },
        original_message_id: { $ne: null },
      })
      .sort({ turn_id: -1 })
      .limit(1)
      .next();
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

  /**
   * The bot turn in `channelId` one of whose posted parts is Discord message `messageId`: from the
   * channel's session document when it is one of the newest RECENT_TURNS turns; an older one (or one
   * the document lost, or one recorded the old way, its parts added after the insert) from the collection.
   */
  async findBotTurnByMessageId(channelId: string, messageId: string): Promise<RecentTurn | null> {
    const session = await this.sessions.get(sessionIdFor(channelId));
    const recent = session?.recent.find(
      (turn) => turn.speaker_type === 'BOT' && turn.delivered_message_ids?.includes(messageId),
    );
    if (recent) return recent;
    const turn = await this.collection.findOne({
      channel_id: channelId,
      speaker_type: 'BOT',
      delivered_message_ids: messageId,
    });
    return turn && recentOf(turn);
  }

  /**
   * A character's newest bot turn in a channel that was posted (its first part is on Discord): from the
   * session document when it shows every turn after that one, else from the collection.
   */
  async findLatestDeliveredBotTurn(channelId: string, character: string): Promise<RecentTurn | null> {
    const session = await this.sessions.get(sessionIdFor(channelId));
    if (session) {
      const found = newestDelivered(session, character);
      if (found !== undefined) return found;
    }
    const turn = await this.collection
      .find({
        channel_id: channelId,
        speaker_type: 'BOT',
        bot_name: character,
        original_message_id: { $ne: null },
      })
      .sort({ turn_id: -1 })
      .limit(1)
      .next();
    return turn && recentOf(turn);
  }
}

/**
 * The character's newest posted bot turn by the session document; null when the document shows the
 * whole session and it has none; undefined when the document cannot tell (a gap in its turns, or a bot
 * turn of the character whose parts it does not know).
 */
function newestDelivered(session: ConversationSession, character: string): RecentTurn | null | undefined {
  const { recent } = session;
  let expected = session.last_turn_id;
  for (let i = recent.length - 1; i >= 0; i--) {
    const turn = recent[i] as RecentTurn;
    if (turn.turn_id !== expected--) return undefined; // a lost update: a newer reply may be missing
    if (turn.speaker_type !== 'BOT' || turn.bot_name !== character) continue;
    if (turn.delivered_message_ids === undefined) return undefined;
    if (turn.original_message_id) return turn;
  }
  return expected === 0 ? null : undefined;
}

/** How many of a user's newest turns in a channel /regenerate looks for a reply to. */
const ASKED_LOOKBACK = 20;

/** A never-regenerated reply as the first of its candidates. */
function originalCandidate(turn: ConversationTurn): ReplyCandidate {
  return {
    text: turn.message_content,
    raw: turn.llm_response_raw,
    created_at: turn.timestamp,
    source: 'original',
    requested_by: null,
    prompt_version: turn.prompt_version_used ?? 'unknown',
    qc_score: turn.qc_result?.score ?? null,
  };
}

export function userTurnId(discordMessageId: string): string {
  return `user:${discordMessageId}`;
}

export function botTurnId(responseId: string): string {
  return `bot:${responseId}`;
}
