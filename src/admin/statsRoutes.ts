import { meanOf, versionMetricsOf } from '../prompts/metrics';
import { KEY, qcByMethod } from '../store/metricCounters';
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
          average_score: meanOf(count(KEY.qcScoredSum), count(KEY.qcScored)),
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
        dead_letters: {
          PENDING: count(KEY.deadLetters('PENDING')),
          REPLAYED: count(KEY.deadLetters('REPLAYED')),
          DISCARDED: count(KEY.deadLetters('DISCARDED')),
        },
      };
    },
  );
}
