import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { FORGET_USER_OPTIONS } from './retryPolicies';
import type { ForgetUserInput, ForgetUserResult } from './contracts/forgetUser';

const { forgetUserTurns, forgetUserRatings, forgetUserMemory, recordDataDeletion } =
  proxyActivities<Activities>(FORGET_USER_OPTIONS);

/**
 * Forget me: deletes a user's own turns (and their copies in the session documents), the ratings they
 * gave, the notes about them and the summaries written from their turns, then records that it happened
 * (data_deletions: counts, never content). Each step is idempotent, and its count is kept in this
 * history, so a retried step or a replay does not lose what an earlier attempt deleted. The memory goes
 * after the turns: a summary rewritten in between then has none of theirs to use.
 */
export async function ForgetUserWorkflow(input: ForgetUserInput): Promise<ForgetUserResult> {
  const { workflowId } = workflowInfo();
  const turns = await forgetUserTurns(input.userId);
  const ratings = await forgetUserRatings(input.userId);
  const memory = await forgetUserMemory(input.userId);
  const counts = { ...turns, ...ratings, ...memory };
  await recordDataDeletion({
    deletionId: workflowId,
    userId: input.userId,
    requestedBy: input.requestedBy,
    requestedAt: input.requestedAt,
    counts,
  });
  return { deletionId: workflowId, counts };
}
