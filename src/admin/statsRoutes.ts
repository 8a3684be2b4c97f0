import { meanOf, versionMetricsOf } from '../prompts/metrics';
import { DEAD_LETTER_STATUSES, type DeadLetter } from '../store/deadLetterQueue';
import { KEY, qcByMethod, type Counters } from '../store/metricCounters';
import type { Store } from '../store/mongo';
import type { FastifyInstance } from 'fastify';
import { responses } from './schemas';

/**
 * GET /stats: QC and rating statistics now, each prompt version's live rating figures next to its
 * last refreshed performance_metrics, and the dead-letter counts. All from the incremental metric
 * counters (src/store/metricTotals.ts), not from scans of fine_tuning_data, the bot turns or the
 * dead letters: the answer takes as long at a million turns as at a thousand.
 */
export function statsRoutes(app: FastifyInstance, options: { store: Store }): void {
  const { metricTotals, characterPrompts } = options.store;
  app.get(
    '/stats',
    { schema: { summary: 'QC and rating statistics', response: responses({ 200: 'statistics' }) } },
    async () => {
      const [counters, versions] = await Promise.all([metricTotals.current(), characterPrompts.list()]);
      const count = (key: string) => counters.get(key) ?? 0;
      const now = Date.now();
      return {
        qc: {
          assessments: Object.values(qcByMethod(counters)).reduce((a, b) => a + b, 0),
          average_score: qcAverage(counters),
          by_method: qcByMethod(counters),
          replies_checked: count(KEY.qcChecked),
          replies_accepted: count(KEY.qcAccepted),
          average_candidates_per_reply: meanOf(count(KEY.qcAttempts), count(KEY.qcChecked)),
        },
        user_ratings: {
          count: count(KEY.userCount),
          average_score: meanOf(count(KEY.userSum), count(KEY.userCount)),
        },
        prompt_versions: versions.map((v) => {
          const live = versionMetricsOf(counters, v.character_name, v.prompt_version, now);
          return {
            character: v.character_name,
            version: v.prompt_version,
            is_default: v.is_default,
            ab_test_percentage: v.ab_test_percentage,
            qc_count: live.qc_count,
            qc_avg: live.qc_avg,
            user_count: live.user_count,
            user_avg: live.user_avg,
            performance_metrics: v.performance_metrics,
          };
        }),
        dead_letters: deadLetterCounts(counters),
      };
    },
  );
}

/** The average QC score over every scored assessment (null before the first): GET /stats and the overview. */
export function qcAverage(counters: Counters): number | null {
  return meanOf(counters.get(KEY.qcScoredSum) ?? 0, counters.get(KEY.qcScored) ?? 0);
}

/** Dead letters per status: GET /stats and the overview. */
export function deadLetterCounts(counters: Counters): Record<DeadLetter['status'], number> {
  const counts = DEAD_LETTER_STATUSES.map((status) => [status, counters.get(KEY.deadLetters(status)) ?? 0]);
  return Object.fromEntries(counts) as Record<DeadLetter['status'], number>;
}
