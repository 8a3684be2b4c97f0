import {
  ScheduleAlreadyRunning,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleSpec,
} from '@temporalio/client';
import type { PromptReviewWorkflow } from '../workflows/prompts';
import { PROMPT_REVIEW_WORKFLOW_TYPE, promptReviewScheduleId } from '../workflows/contracts/prompts';
import type { PromptReviewPolicy } from './review';

/**
 * The prompt-review schedule: PromptReviewWorkflow every `everyMinutes`. Unlike the
 * organic schedules (steered through the admin API), its settings come only from the
 * environment, so an existing schedule is updated to them at worker start; a pause set
 * in the Temporal UI is kept.
 */
export async function ensurePromptReviewSchedule(
  temporal: Client,
  options: { taskQueue: string; everyMinutes: number; policy: PromptReviewPolicy },
): Promise<'created' | 'updated'> {
  const spec: ScheduleSpec = { intervals: [{ every: Math.round(options.everyMinutes * 60_000) }] };
  const action = {
    type: 'startWorkflow' as const,
    workflowType: PROMPT_REVIEW_WORKFLOW_TYPE,
    taskQueue: options.taskQueue,
    workflowId: promptReviewScheduleId(options.taskQueue),
    args: [options.policy] as Parameters<typeof PromptReviewWorkflow>,
  };
  try {
    await temporal.schedule.create<typeof PromptReviewWorkflow>({
      scheduleId: promptReviewScheduleId(options.taskQueue),
      spec,
      action,
      // A review still waiting for the optimiser makes the next one skip.
      policies: { overlap: ScheduleOverlapPolicy.SKIP },
    });
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  await temporal.schedule
    .getHandle(promptReviewScheduleId(options.taskQueue))
    .update<typeof PromptReviewWorkflow>((previous) => ({ ...previous, spec, action }));
  return 'updated';
}
