import type { DeletionCounts } from '../store/dataDeletions';
import type { Store } from '../store/mongo';

/** Forget-me's steps: each deletes one kind of the user's data and says how much it deleted. */
export function createForgetUserActivities(deps: { store: Store }) {
  const {
    conversationHistory,
    deadLetterQueue,
    fineTuningData,
    userNotes,
    conversationSummaries,
    dataDeletions,
  } = deps.store;
  return {
    /** Their own turns, their copies in the sessions' recent turns, and the dead letters holding their messages. */
    async forgetUserTurns(
      userId: string,
    ): Promise<Pick<DeletionCounts, 'conversation_history' | 'conversation_sessions' | 'dead_letter_queue'>> {
      const { turns, sessionCopies } = await conversationHistory.deleteUserTurns(userId);
      const deadLetters = await deadLetterQueue.forgetUser(userId);
      return {
        conversation_history: turns,
        conversation_sessions: sessionCopies,
        dead_letter_queue: deadLetters,
      };
    },

    /** The ratings they gave (their counters leave the metrics: see deleteUserRatings). */
    async forgetUserRatings(userId: string): Promise<Pick<DeletionCounts, 'fine_tuning_data'>> {
      return { fine_tuning_data: await fineTuningData.deleteUserRatings(userId) };
    },

    /** The notes about them and the summaries written from their turns. */
    async forgetUserMemory(
      userId: string,
    ): Promise<Pick<DeletionCounts, 'user_notes' | 'conversation_summaries'>> {
      const [notes, summaries] = await Promise.all([
        userNotes.deleteForUser(userId),
        conversationSummaries.dropForUser(userId),
      ]);
      return { user_notes: notes, conversation_summaries: summaries };
    },

    /** That it happened: who, the counts, when and at whose request (never the content). */
    async recordDataDeletion(input: {
      deletionId: string;
      userId: string;
      requestedBy: string;
      requestedAt: string;
      counts: DeletionCounts;
    }): Promise<void> {
      await dataDeletions.record({
        _id: input.deletionId,
        user_id: input.userId,
        counts: input.counts,
        requested_at: new Date(input.requestedAt),
        completed_at: new Date(),
        requested_by: input.requestedBy,
      });
    },
  };
}
