import { versionSums, type Counters } from '../store/metricCounters';

/**
 * performance_metrics of a prompt version, from its ratings in fine_tuning_data and its
 * bot turns in conversation_history. All averages are on the 1-5 rating scale.
 */
export interface VersionMetrics {
  /** Bot turns that used the version. */
  responses: number;
  /** QC_AUTOMATED scores from the reviewer or the rule checks (fallback scores left out). */
  qc_count: number;
  qc_avg: number;
  user_count: number;
  user_avg: number;
  /** QC and user ratings together: what the optimiser and promotions judge by. */
  rating_count: number;
  rating_avg: number;
  /** Share of the version's replies that a human answered (the next turn was a user's). */
  engagement_rate: number;
  refreshed_at: number;
}

/**
 * A version's metrics from the metric counters (src/store/metricTotals.ts, or a scan's:
 * scanCounters), without reading its ratings or turns.
 */
export function versionMetricsOf(
  counters: Counters,
  character: string,
  version: string,
  now: number,
): VersionMetrics {
  const sums = versionSums(counters, character, version);
  const ratingCount = sums.qc_count + sums.user_count;
  return {
    responses: sums.responses,
    qc_count: sums.qc_count,
    qc_avg: meanOf(sums.qc_sum, sums.qc_count) ?? 0,
    user_count: sums.user_count,
    user_avg: meanOf(sums.user_sum, sums.user_count) ?? 0,
    rating_count: ratingCount,
    rating_avg: meanOf(sums.qc_sum + sums.user_sum, ratingCount) ?? 0,
    engagement_rate: sums.responses === 0 ? 0 : round(sums.answered / sums.responses),
    refreshed_at: now,
  };
}

/** A sum over a count, to three decimals; null for none. */
export function meanOf(sum: number, count: number): number | null {
  return count === 0 ? null : round(sum / count);
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
