import { averageOf, computeVersionMetrics, versionKey } from '../prompts/metrics';
import type { Store } from '../store/mongo';
import type { Route } from './http';

/**
 * GET /stats: QC and rating statistics now (from fine_tuning_data and the bot turns),
 * each prompt version's live rating figures next to its last refreshed
 * performance_metrics, and the dead-letter counts.
 */
export function statsRoutes(options: { store: Store }): Route[] {
  const { fineTuningData, conversationHistory, characterPrompts, deadLetterQueue } = options.store;
  return [
    {
      method: 'GET',
      path: /^\/stats$/,
      handle: async () => {
        const [ratings, qcResults, versions, deadLetters] = await Promise.all([
          fineTuningData.ratingRows(),
          conversationHistory.qcResults(),
          characterPrompts.list(),
          deadLetterQueue.counts(),
        ]);
        const live = computeVersionMetrics(ratings, [], Date.now());
        const qcScores = ratings.filter((r) => r.rating_type === 'QC_AUTOMATED');
        const userScores = ratings.filter((r) => r.rating_type === 'USER_SUBMITTED');
        const byMethod: Record<string, number> = {};
        for (const r of qcScores)
          byMethod[r.qc_method ?? 'unknown'] = (byMethod[r.qc_method ?? 'unknown'] ?? 0) + 1;
        return [
          200,
          {
            qc: {
              assessments: qcScores.length,
              average_score: averageOf(
                qcScores.filter((r) => r.qc_method !== 'fallback').map((r) => r.rating_score),
              ),
              by_method: byMethod,
              replies_checked: qcResults.length,
              replies_accepted: qcResults.filter((r) => r.accepted).length,
              average_candidates_per_reply: averageOf(qcResults.map((r) => r.attempts)),
            },
            user_ratings: {
              count: userScores.length,
              average_score: averageOf(userScores.map((r) => r.rating_score)),
            },
            prompt_versions: versions.map((v) => {
              const now = live.get(versionKey(v.character_name, v.prompt_version));
              return {
                character: v.character_name,
                version: v.prompt_version,
                is_default: v.is_default,
                ab_test_percentage: v.ab_test_percentage,
                qc_count: now?.qc_count ?? 0,
                qc_avg: now?.qc_avg ?? 0,
                user_count: now?.user_count ?? 0,
                user_avg: now?.user_avg ?? 0,
                performance_metrics: v.performance_metrics,
              };
            }),
            dead_letters: deadLetters,
          },
        ];
      },
    },
  ];
}
