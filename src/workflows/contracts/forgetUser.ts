/**
 * The forget-me contract: a user's own data deleted at their request (`/forget-me`) or an admin's
 * (POST /users/:id/forget). Plain data: loaded inside the workflow sandbox as well as by clients.
 */
import type { DeletionCounts } from '../../store/dataDeletions';

export const FORGET_USER_WORKFLOW_TYPE = 'ForgetUserWorkflow';

/** One run per request (`requestId`: the interaction id, or the admin request's); a second run finds nothing left. */
export function forgetUserWorkflowId(userId: string, requestId: string): string {
  return `forget-user-${userId}-${requestId}`;
}

export interface ForgetUserInput {
  /** The Discord user id whose data goes. */
  userId: string;
  /** `discord:<user id>` for the user's own /forget-me, `admin` for the admin API. */
  requestedBy: string;
  /** ISO time of the request. */
  requestedAt: string;
}

export interface ForgetUserResult {
  /** The data_deletions record (the workflow id). */
  deletionId: string;
  counts: DeletionCounts;
}
