import type { RecentTurn } from '../store/conversationSessions';
import { userRatingId } from '../store/fineTuningData';
import type { Store } from '../store/mongo';
import type { RatedReply } from '../workflows/contracts/ratings';

/**
 * Where a rating points: a reply by its response id (a playground reply), a Discord message, or
 * (messageId null) a character's newest reply.
 */
export interface RatingTarget {
  channelId: string;
  messageId: string | null;
  responseId?: string;
  character: string;
}

export interface UserRatingWrite {
  reply: RatedReply;
  userId: string;
  score: number;
  feedbackText: string;
  source: string;
  eventAt: number;
}

export interface UserRatingRemoval {
  responseId: string;
  userId: string;
  source: string;
  eventAt: number;
}

/** Users' ratings of replies (USER_SUBMITTED entries of fine_tuning_data). */
export function createRatingActivities(deps: { store: Store }) {
  const { conversationHistory, fineTuningData } = deps.store;
  const findTurn = async (target: RatingTarget): Promise<RecentTurn | null> => {
    if (target.responseId !== undefined)
      return conversationHistory.findBotTurnByResponseId(target.channelId, target.responseId);
    return target.messageId
      ? conversationHistory.findBotTurnByMessageId(target.channelId, target.messageId)
      : conversationHistory.findLatestDeliveredBotTurn(target.channelId, target.character);
  };
  return {
    /** The bot turn a rating is about, or null when the message is not a character's reply. */
    async findRatedReply(target: RatingTarget): Promise<RatedReply | null> {
      const turn = await findTurn(target);
      return turn ? ratedReply(turn) : null;
    },

    async recordUserRating(
      input: UserRatingWrite,
    ): Promise<{ ratingId: string; result: 'recorded' | 'updated' | 'superseded' }> {
      const { reply, userId } = input;
      const ratingId = userRatingId(reply.responseId, userId);
      const result = await fineTuningData.upsertUserRating({
        _id: ratingId,
        response_id: reply.responseId,
        rating_type: 'USER_SUBMITTED',
        rating_score: input.score,
        feedback_text: input.feedbackText,
        rated_by: userId,
        timestamp: new Date(input.eventAt),
        prompt_version_used: reply.promptVersion,
        character_name: reply.character,
        response_text: reply.text,
        rating_source: input.source,
      });
      return { ratingId, result };
    },

    async removeUserRating(input: UserRatingRemoval): Promise<{ ratingId: string; removed: boolean }> {
      const ratingId = userRatingId(input.responseId, input.userId);
      const removed = await fineTuningData.removeUserRating(ratingId, input.source, new Date(input.eventAt));
      return { ratingId, removed };
    },
  };
}

/** The reply a rating is about, from what the session document (or the collection) keeps of its bot turn. */
function ratedReply(turn: RecentTurn): RatedReply | null {
  if (turn.speaker_type !== 'BOT' || !turn.response_id || !turn.bot_name) return null;
  return {
    responseId: turn.response_id,
    character: turn.bot_name,
    promptVersion: turn.prompt_version_used ?? 'unknown',
    text: turn.rated_text ?? turn.message_content,
    usedFallback: turn.used_fallback ?? false,
  };
}
