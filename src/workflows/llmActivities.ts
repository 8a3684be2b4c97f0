import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { LlmActivities } from '../activities';
import { LLM_OPTIONS } from './retryPolicies';
import { llmTaskQueueFor } from './contracts/taskQueues';

/**
 * The LLM activities, on the LLM task queue of the worker running this workflow (where
 * LLM_CONCURRENCY bounds how many calls run at once). Call it inside a workflow function:
 * the queue depends on the workflow's own task queue.
 */
export function llmActivities() {
  return proxyActivities<LlmActivities>({
    ...LLM_OPTIONS,
    taskQueue: llmTaskQueueFor(workflowInfo().taskQueue),
  });
}
