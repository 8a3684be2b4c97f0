import type { Client } from '@temporalio/client';
import { ensureSchedule } from '../schedules/ensureSchedule';
import type { PromptReviewWorkflow } from '../workflows/prompts';
import { PROMPT_REVIEW_WORKFLOW_TYPE, promptReviewScheduleId } from '../workflows/contracts/prompts';
import type { PromptReviewPolicy } from './review';

/**
 * The prompt-review schedule: PromptReviewWorkflow every `everyMinutes`. Unlike the
 * organic schedules (steered through the admin API), its settings come only from the
 * environment, so an existing schedule is updated to them at worker start. A review still
 * waiting for the optimiser makes the next one skip.
 */
export function ensurePromptReviewSchedule(
  temporal: Client,
  options: { taskQueue: string; everyMinutes: number; policy: PromptReviewPolicy },
): Promise<'created' | 'updated'> {
  const scheduleId = promptReviewScheduleId(options.taskQueue);
  return ensureSchedule<typeof PromptReviewWorkflow>(temporal, {
    scheduleId,
    spec: { intervals: [{ every: Math.round(options.everyMinutes * 60_000) }] },
    action: {
      type: 'startWorkflow',
      workflowType: PROMPT_REVIEW_WORKFLOW_TYPE,
      taskQueue: options.taskQueue,
      workflowId: scheduleId,
      args: [options.policy],
    },
  });
}
