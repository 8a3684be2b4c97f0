import { Context, log } from '@temporalio/activity';
import { boundedSummaryTurns, type SummaryTurn } from '../llm/summaryPrompt';
import type { Store } from '../store/mongo';
import { sessionIdFor } from '../store/sessionId';
import {
  SESSION_MEMORY_WORKFLOW_TYPE,
  sessionMemoryWorkflowId,
  turnsStoredSignal,
  type ForgetChannelInput,
  type ForgetChannelResult,
  type SessionMemoryInput,
  type SessionMemoryPolicy,
  type SummaryInput,
} from '../workflows/contracts/memory';

/**
 * Turns read for one summary: far more than MAX_SUMMARY_INPUT_CHARS holds of short messages, so the
 * read is bounded however many turns a from-scratch summary could cover.
 */
const MAX_TURNS_READ_FOR_SUMMARY = 200;

/** What a reply is given besides the window: the session's summary and notes about the user answered. */
export interface SessionMemory {
  summary: string | null;
  userNotes: string[];
}

/** Activities of session memory and /forget (conversation_summaries, user_notes, conversation_forgets). */
export function createMemoryActivities(deps: { store: Store; memory: SessionMemoryPolicy | null }) {
  const { conversationHistory, conversationSummaries, conversationForgets, userNotes } = deps.store;

  /** The session's summary when it is still usable: none of the turns it covers were forgotten since. */
  const usableSummary = async (sessionId: string) => {
    const [summary, cutoff] = await Promise.all([
      conversationSummaries.get(sessionId),
      conversationForgets.cutoff(sessionId),
    ]);
    return { summary: summary && summary.covers_from_turn_id > cutoff ? summary : null, cutoff };
  };

  return {
    /**
     * Tells the session's SessionMemoryWorkflow that a turn was stored, starting it if it is not running
     * (signalWithStart: a workflow cannot do that itself, and a child started per reply would tie the
     * memory's life to one reply). Best effort: when Temporal refuses, the summary waits for the next
     * stored turn, whose signal carries the newer turn id anyway.
     */
    async noteSessionTurn(input: { channelId: string; turnId: number }): Promise<void> {
      if (!deps.memory) return;
      const sessionId = sessionIdFor(input.channelId);
      const signal = { newestTurnId: input.turnId, policy: deps.memory };
      const start: SessionMemoryInput = { sessionId, channelId: input.channelId, ...signal };
      const context = Context.current();
      try {
        await context.client.workflow.signalWithStart(SESSION_MEMORY_WORKFLOW_TYPE, {
          workflowId: sessionMemoryWorkflowId(sessionId),
          taskQueue: context.info.taskQueue,
          args: [start],
          signal: turnsStoredSignal,
          signalArgs: [signal],
        });
      } catch (err) {
        log.warn('session memory not told of a stored turn; the next turn tells it', {
          sessionId,
          error: err instanceof Error ? err.message : String(err),
        });
      }
    },

    /** The summary and (with MEMORY_USER_NOTES) the notes about `userId` a reply in the channel is given. */
    async loadSessionMemory(input: { channelId: string; userId: string }): Promise<SessionMemory> {
      if (!deps.memory) return { summary: null, userNotes: [] };
      const [{ summary }, notes] = await Promise.all([
        usableSummary(sessionIdFor(input.channelId)),
        deps.memory.userNotes ? userNotes.forUser(input.userId) : [],
      ]);
      return { summary: summary?.summary ?? null, userNotes: notes.map((note) => note.note) };
    },

    /** The newest turn id the session's summary covers (or its forget cutoff, or 0). */
    async loadSummaryPosition(sessionId: string): Promise<number> {
      const { summary, cutoff } = await usableSummary(sessionId);
      return Math.max(summary?.through_turn_id ?? 0, cutoff);
    },

    /**
     * What the session's next summary, through `throughTurnId`, is written from: the current summary
     * (unless it covers forgotten turns, or forget-me deleted it: then it is written afresh) and the turns
     * after it and after the forget cutoff, the newest that fit MAX_SUMMARY_INPUT_CHARS.
     */
    async loadTurnsToSummarise(input: { sessionId: string; throughTurnId: number }): Promise<SummaryInput> {
      const { summary, cutoff } = await usableSummary(input.sessionId);
      const after = Math.max(summary?.through_turn_id ?? 0, cutoff);
      const stored =
        input.throughTurnId > after
          ? await conversationHistory.turnsBetween(
              input.sessionId,
              after,
              input.throughTurnId,
              MAX_TURNS_READ_FOR_SUMMARY,
            )
          : [];
      const turns = stored.map((turn): SummaryTurn => ({
        turn_id: turn.turn_id,
        speaker_type: turn.speaker_type,
        bot_name: turn.bot_name,
        user_id: turn.user_id,
        user_name: turn.user_name ?? null,
        message_content: turn.message_content,
      }));
      return {
        previousSummary: summary?.summary ?? null,
        turns: boundedSummaryTurns(turns),
        coversFromTurnId: summary?.covers_from_turn_id ?? after + 1,
        throughTurnId: Math.max(input.throughTurnId, after),
        sourceUserIds: summary?.source_user_ids ?? [],
      };
    },

    /**
     * Stores the notes taken with a summary written from `from`, then the summary (replacing the
     * session's); nothing when a /forget came while it was being written.
     */
    async saveSessionSummary(input: {
      sessionId: string;
      channelId: string;
      from: SummaryInput;
      summary: string;
      notes: Array<{ userId: string; turnId: number; note: string }>;
    }): Promise<void> {
      const { from } = input;
      // Written from turns a /forget has since left out: dropped, notes and all (the next is written afresh).
      if (from.coversFromTurnId <= (await conversationForgets.cutoff(input.sessionId))) return;
      const users = from.turns.flatMap((turn) =>
        turn.speaker_type === 'USER' && turn.user_id ? [turn.user_id] : [],
      );
      // The notes first: once the summary shows, everything taken with it is there.
      await userNotes.add(
        input.notes.map((note) => ({
          user_id: note.userId,
          note: note.note,
          session_id: input.sessionId,
          turn_id: note.turnId,
        })),
      );
      await conversationSummaries.save({
        _id: input.sessionId,
        channel_id: input.channelId,
        summary: input.summary,
        covers_from_turn_id: from.coversFromTurnId,
        through_turn_id: from.throughTurnId,
        source_user_ids: [...new Set([...from.sourceUserIds, ...users])],
        updated_at: new Date(),
      });
    },

    /**
     * /forget: the channel's turns up to its newest stored one leave the history window and the summaries
     * (they stay in conversation_history); the summary and the notes taken from them are deleted.
     */
    async forgetChannelTurns(input: ForgetChannelInput): Promise<ForgetChannelResult> {
      const sessionId = sessionIdFor(input.channelId);
      const newest = await conversationHistory.newestTurnId(sessionId);
      const forgotten = await conversationForgets.forget({
        _id: sessionId,
        channel_id: input.channelId,
        forgotten_through_turn_id: newest,
        forgotten_at: new Date(),
        forgotten_by: input.requestedBy,
      });
      const through = forgotten.forgotten_through_turn_id;
      await Promise.all([
        userNotes.deleteForSession(sessionId, through),
        conversationSummaries.remove(sessionId),
      ]);
      return { sessionId, forgottenThroughTurnId: through };
    },
  };
}
