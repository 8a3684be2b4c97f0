import type { Store } from '../store/mongo';

/** Housekeeping of the incremental metric counters. */
export function createMetricsActivities(deps: { store: Store }) {
  return {
    /** Folds pending metric events into metric_totals (one process at a time; others return 0). */
    async foldMetricEvents(): Promise<number> {
      return deps.store.metricTotals.fold();
    },
  };
}
