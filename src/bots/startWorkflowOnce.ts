import {
  InternalConnectionLikeSymbol,
  WorkflowExecutionAlreadyStartedError,
  type InternalConnectionLike,
  type Client,
  type WorkflowHandle,
  type WorkflowStartOptions,
} from '@temporalio/client';
import type { Workflow } from '@temporalio/common';
import type { Logger } from '../logger';

/** Attempts to hand an event to Temporal before giving up on it (Temporal unreachable). */
const START_ATTEMPTS = 5;

/**
 * Starts `workflowType` under the event's own workflow id (REJECT_DUPLICATE unless `options` say
 * otherwise), retrying while Temporal does not answer (5 attempts, 1 s doubling). `duplicate`: that id
 * ran already (or, with ALLOW_DUPLICATE, is running), i.e. Discord delivered the same event again; the
 * handle is then the earlier run's.
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
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        ...options,
        requestEagerStart: sharesWorkerConnection(temporal),
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

/**
 * A client on a worker's NativeConnection (the bots and a worker in one process) can have the
 * server hand the first workflow task straight back in the start response (eager start), which
 * skips a task-queue round trip. The SDK only takes it when a worker on that connection polls
 * the task queue and has a free slot; otherwise the start is an ordinary one.
 */
function sharesWorkerConnection(temporal: Client): boolean {
  const connection = temporal.connection as InternalConnectionLike;
  return connection[InternalConnectionLikeSymbol]?.supportsEagerStart === true;
}
