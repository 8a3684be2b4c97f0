import { proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { STORE_OPTIONS } from './retryPolicies';
import type { UserRatingInput, UserRatingOutcome } from './contracts/ratings';

const { findRatedReply, recordUserRating, removeUserRating } =
  proxyLocalActivities<Activities>(STORE_OPTIONS);

/**
 * Records, changes or removes one user's rating of a character's reply: a USER_SUBMITTED
 * entry of fine_tuning_data, one per user and reply. Started by the bots for a rating
 * reaction (added or removed) on a character's message and for /rate, whose answer is
 * this workflow's outcome, and by the admin API for a playground reply (by its response id: it has
 * no Discord message). A message that is no character's reply is not rated.
 */
export async function UserRatingWorkflow(input: UserRatingInput): Promise<UserRatingOutcome> {
  // The same activity call with or without a response id: the history's commands do not change.
  const reply = await findRatedReply({
    channelId: input.channelId,
    messageId: input.messageId,
    ...(input.responseId !== undefined && { responseId: input.responseId }),
    character: input.character,
  });
  if (!reply) {
    const named = input.messageId !== null || input.responseId !== undefined;
    return { status: named ? 'not-a-reply' : 'no-reply', character: input.character };
  }
  // A fallback line says nothing about the prompt: its ratings would skew the prompt's metrics.
  if (reply.usedFallback) {
    return { status: 'fallback', character: reply.character, responseId: reply.responseId };
  }
  const rated = { responseId: reply.responseId, character: reply.character, score: input.score };

  if (input.action === 'remove') {
    const { ratingId, removed } = await removeUserRating({
      responseId: reply.responseId,
      userId: input.userId,
      source: input.source,
      eventAt: input.eventAt,
    });
    return { status: removed ? 'removed' : 'unchanged', ratingId, ...rated };
  }
  const { ratingId, result } = await recordUserRating({
    reply,
    userId: input.userId,
    score: input.score,
    feedbackText: input.feedbackText,
    source: input.source,
    eventAt: input.eventAt,
  });
  return { status: result, ratingId, ...rated };
}
