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

export interface RatingRow {
  character_name: string;
  prompt_version_used: string;
  rating_type: string;
  rating_score: number;
  qc_method?: string;
}

export interface EngagementRow {
  character_name: string;
  prompt_version_used: string;
  responses: number;
  answered: number;
}

export function versionKey(character: string, version: string): string {
  return `${character}\u0000${version}`;
}

/** Metrics per versionKey; versions without ratings or turns are absent (all zeros). */
export function computeVersionMetrics(
  ratings: RatingRow[],
  engagement: EngagementRow[],
  now: number,
): Map<string, VersionMetrics> {
  const sums = new Map<string, { qc: number[]; user: number[]; responses: number; answered: number }>();
  const entry = (character: string, version: string) => {
    const key = versionKey(character, version);
    let sum = sums.get(key);
    if (!sum) sums.set(key, (sum = { qc: [], user: [], responses: 0, answered: 0 }));
    return sum;
  };
  for (const rating of ratings) {
    const sum = entry(rating.character_name, rating.prompt_version_used);
    if (rating.rating_type === 'USER_SUBMITTED') sum.user.push(rating.rating_score);
    else if (rating.rating_type === 'QC_AUTOMATED' && rating.qc_method !== 'fallback')
      sum.qc.push(rating.rating_score);
  }
  for (const row of engagement) {
    const sum = entry(row.character_name, row.prompt_version_used);
    sum.responses += row.responses;
    sum.answered += row.answered;
  }
  const metrics = new Map<string, VersionMetrics>();
  for (const [key, sum] of sums) {
    const all = [...sum.qc, ...sum.user];
    metrics.set(key, {
      responses: sum.responses,
      qc_count: sum.qc.length,
      qc_avg: averageOf(sum.qc) ?? 0,
      user_count: sum.user.length,
      user_avg: averageOf(sum.user) ?? 0,
      rating_count: all.length,
      rating_avg: averageOf(all) ?? 0,
      engagement_rate: sum.responses === 0 ? 0 : round(sum.answered / sum.responses),
      refreshed_at: now,
    });
  }
  return metrics;
}

/**
 * A version's metrics from the incremental counters (src/store/metricTotals.ts): the same figures
 * computeVersionMetrics gives from the rows, without reading them.
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

/** A sum over a count as averageOf rounds it; null for none. */
export function meanOf(sum: number, count: number): number | null {
  return count === 0 ? null : round(sum / count);
}

export function emptyMetrics(now: number): VersionMetrics {
  return {
    responses: 0,
    qc_count: 0,
    qc_avg: 0,
    user_count: 0,
    user_avg: 0,
    rating_count: 0,
    rating_avg: 0,
    engagement_rate: 0,
    refreshed_at: now,
  };
}

/** The mean to three decimals; null for no values. */
export function averageOf(values: number[]): number | null {
  return values.length === 0 ? null : round(values.reduce((a, b) => a + b, 0) / values.length);
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
