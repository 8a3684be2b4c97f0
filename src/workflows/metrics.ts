import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { METRICS_FOLD_OPTIONS } from './retryPolicies';

const { foldMetricEvents } = proxyActivities<Activities>(METRICS_FOLD_OPTIONS);

/**
 * Adds the metric events written since the last fold to metric_totals, so that GET /stats and the
 * prompt review read the totals plus a minute's events rather than an hour's. Run every minute by
 * its schedule; returns how many events it folded.
 */
export async function MetricsFoldWorkflow(): Promise<number> {
  return foldMetricEvents();
}
