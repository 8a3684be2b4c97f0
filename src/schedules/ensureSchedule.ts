import {
  ScheduleAlreadyRunning,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleOptionsStartWorkflowAction,
  type ScheduleSpec,
} from '@temporalio/client';
import type { Workflow } from '@temporalio/common';

/**
 * Creates a schedule whose settings come only from the code and the environment, or updates an
 * existing one to them at worker start (a pause set in the Temporal UI is kept). A run still going
 * when the next is due makes that one skip.
 */
export async function ensureSchedule<W extends Workflow>(
  temporal: Client,
  options: { scheduleId: string; spec: ScheduleSpec; action: ScheduleOptionsStartWorkflowAction<W> },
): Promise<'created' | 'updated'> {
  const { scheduleId, spec, action } = options;
  try {
    await temporal.schedule.create<W>({
      scheduleId,
      spec,
      action,
      policies: { overlap: ScheduleOverlapPolicy.SKIP },
    });
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  await temporal.schedule.getHandle(scheduleId).update<W>((previous) => ({ ...previous, spec, action }));
  return 'updated';
}
