/** Folding metric events into metric_totals (src/store/metricTotals.ts) on a schedule. */
export const METRICS_FOLD_WORKFLOW_TYPE = 'MetricsFoldWorkflow';

/** How often the fold runs: GET /stats and the review add up at most this much of pending events. */
export const METRICS_FOLD_EVERY_MS = 60_000;

/** One fold schedule per deployment; the task queue names the deployment. */
export function metricsFoldScheduleId(taskQueue: string): string {
  return `metrics-fold-${taskQueue}`;
}
