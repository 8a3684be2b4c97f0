import {
  ActivityFailure,
  ChildWorkflowFailure,
  log,
  proxyLocalActivities,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { STORE_OPTIONS } from './retryPolicies';

const { recordDeadLetter } = proxyLocalActivities<Activities>(STORE_OPTIONS);

/**
 * Writes the dead_letter_queue entry of a step whose retries are exhausted (once per
 * workflow and step) and returns its id, so an admin can see and replay the run.
 * Anything but an activity failure (directly or in a child workflow such as QC) is a
 * bug and is rethrown.
 */
export async function deadLetterStep(options: {
  step: string;
  error: unknown;
  /** The step's retry policy maximum, reported as retry_attempts. */
  maxAttempts: number;
  /** The workflow's input: what a replay starts again with. */
  payload: Record<string, unknown>;
}): Promise<string> {
  const error =
    options.error instanceof ChildWorkflowFailure && options.error.cause instanceof ActivityFailure
      ? options.error.cause
      : options.error;
  if (!(error instanceof ActivityFailure)) throw options.error;
  const { workflowId, workflowType } = workflowInfo();
  const details = describeFailure(error);
  log.warn('dead-lettering a failed step', { step: options.step, error: details });
  return recordDeadLetter({
    failed_event_payload: options.payload,
    error_details: details,
    retry_attempts: error.retryState === 'NON_RETRYABLE_FAILURE' ? 1 : options.maxAttempts,
    workflow_type: workflowType,
    workflow_id: workflowId,
    failed_step: options.step,
  });
}

/** "generateReply: Activity task failed <- llama runner process has terminated". */
function describeFailure(err: ActivityFailure): string {
  const parts: string[] = [];
  for (let current: unknown = err; current instanceof Error && parts.length < 5; current = current.cause) {
    parts.push(current.message);
  }
  return `${err.activityType}: ${parts.join(' <- ')}`;
}

/**
 * What went wrong, from the innermost cause ("llama runner process has terminated"),
 * not its wrappers ("Activity task failed"): for logs and admins.
 */
export function rootCause(err: unknown): string {
  let current = err;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  return current instanceof Error ? current.message : String(current);
}
