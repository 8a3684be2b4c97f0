import type { Client } from '@temporalio/client';
import {
  METRICS_FOLD_EVERY_MS,
  METRICS_FOLD_WORKFLOW_TYPE,
  metricsFoldScheduleId,
} from '../workflows/contracts/metrics';
import type { MetricsFoldWorkflow } from '../workflows/metrics';
import { ensureSchedule } from './ensureSchedule';

/** The metric-fold schedule: MetricsFoldWorkflow every minute. */
export function ensureMetricsFoldSchedule(
  temporal: Client,
  options: { taskQueue: string },
): Promise<'created' | 'updated'> {
  const scheduleId = metricsFoldScheduleId(options.taskQueue);
  return ensureSchedule<typeof MetricsFoldWorkflow>(temporal, {
    scheduleId,
    spec: { intervals: [{ every: METRICS_FOLD_EVERY_MS }] },
    action: {
      type: 'startWorkflow',
      workflowType: METRICS_FOLD_WORKFLOW_TYPE,
      taskQueue: options.taskQueue,
      workflowId: scheduleId,
    },
  });
}
