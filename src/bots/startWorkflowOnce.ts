import {
  WorkflowExecutionAlreadyStartedError,
  type Client,
  type WorkflowHandle,
  type WorkflowStartOptions,
} from '@temporalio/client';
import type { Workflow } from '@temporalio/common';
import type { Logger } from '../logger';

/** Attempts to hand an event to Temporal before giving up on it (Temporal unreachable). */
const START_ATTEMPTS = 5;

/**
 * Starts `workflowType` under the event's own workflow id (REJECT_DUPLICATE), retrying while
 * Temporal does not answer (5 attempts, 1 s doubling). `duplicate`: that id ran already, i.e.
 * Discord delivered the same event again; the handle is then the earlier run's.
 */
export async function startWorkflowOnce<T extends Workflow>(
  temporal: Client,
  workflowType: string,
  options: WorkflowStartOptions<T>,
  log: Logger,
): Promise<{ handle: WorkflowHandle<T>; duplicate: boolean }> {
  for (let attempt = 1; ; attempt++) {
    try {
      const handle = await temporal.workflow.start<T>(workflowType, {
        ...options,
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
      });
      return { handle, duplicate: false };
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) {
        return { handle: temporal.workflow.getHandle<T>(options.workflowId), duplicate: true };
      }
      if (attempt >= START_ATTEMPTS) throw err;
      log.warn(
        { err, workflowType, workflowId: options.workflowId, attempt },
        'could not start the workflow; retrying',
      );
      await new Promise((resolve) => setTimeout(resolve, 500 * 2 ** attempt));
    }
  }
}
