import { ApplicationFailure } from '@temporalio/activity';
import { nextOptimizedVersion, type OptimizerPrompt, type RatedExample } from '../llm/optimizerPrompt';
import { versionMetricsOf } from '../prompts/metrics';
import type { ReviewedVersion } from '../prompts/review';
import { UnknownPromptVersionError } from '../store/characterPrompts';
import { isDuplicateKeyError } from '../store/errors';
import type { FineTuningEntry } from '../store/fineTuningData';
import type { Store } from '../store/mongo';
import type { PromptChangeRequest, PromptChangeResult } from '../workflows/contracts/prompts';

/** Rated replies of each kind the optimiser is shown. */
const OPTIMIZER_EXAMPLES = 3;

/** Activities over character_prompts for the prompt review, the optimiser and admins. */
export function createPromptActivities(deps: { store: Store }) {
  const { characterPrompts, fineTuningData, metricTotals } = deps.store;
  const toExample = (entry: FineTuningEntry): RatedExample => ({
    text: entry.response_text ?? '',
    score: entry.rating_score,
    feedback: entry.feedback_text,
  });

  return {
    /**
     * Folds the pending metric events into metric_totals (the review's schedule is the folder's:
     * one run at a time), refreshes every version's performance_metrics from the totals and returns
     * what the review judges.
     */
    async refreshPromptMetrics(): Promise<ReviewedVersion[]> {
      await metricTotals.fold();
      const now = Date.now();
      const [counters, versions] = await Promise.all([metricTotals.current(), characterPrompts.list()]);
      const reviewed: ReviewedVersion[] = [];
      for (const version of versions) {
        const own = versionMetricsOf(counters, version.character_name, version.prompt_version, now);
        await characterPrompts.setMetrics(version.character_name, version.prompt_version, { ...own });
        reviewed.push({
          character_name: version.character_name,
          prompt_version: version.prompt_version,
          is_default: version.is_default,
          ab_test_percentage: version.ab_test_percentage,
          rating_count: own.rating_count,
          rating_avg: own.rating_avg,
        });
      }
      return reviewed;
    },

    /** What the optimiser shows the LLM: the prompt and its lowest- and highest-rated replies. */
    async loadOptimizerMaterial(input: { character: string; version: string }): Promise<OptimizerPrompt> {
      const current = await characterPrompts.findVersion(input.character, input.version);
      if (!current) {
        throw ApplicationFailure.nonRetryable(
          new UnknownPromptVersionError(input.character, input.version).message,
          'UnknownPromptVersion',
        );
      }
      const [lowest, highest] = await Promise.all([
        fineTuningData.ratedExamples(input.character, input.version, 'lowest', OPTIMIZER_EXAMPLES),
        fineTuningData.ratedExamples(input.character, input.version, 'highest', OPTIMIZER_EXAMPLES),
      ]);
      return {
        character: input.character,
        currentPrompt: current.prompt_text,
        average: current.performance_metrics.rating_avg ?? 0,
        ratingCount: current.performance_metrics.rating_count ?? 0,
        lowest: lowest.map(toExample),
        // The best replies, unless they are no better than the worst (then they teach nothing).
        highest: highest.filter((e) => e.rating_score > (lowest[0]?.rating_score ?? 0)).map(toExample),
      };
    },

    /**
     * Stores the optimiser's prompt as a challenger with an A/B share, and its
     * LLM_SUGGESTED entry. Idempotent by the optimiser run (`createdBy`).
     */
    async createChallengerPrompt(input: {
      character: string;
      baseVersion: string;
      promptText: string;
      percentage: number;
      createdBy: string;
      average: number;
      ratingCount: number;
    }): Promise<{ version: string }> {
      const existing = await characterPrompts.findCreatedBy(input.character, input.createdBy);
      let version = existing?.prompt_version;
      if (!version) {
        const base = await characterPrompts.findVersion(input.character, input.baseVersion);
        if (!base) {
          throw ApplicationFailure.nonRetryable(
            new UnknownPromptVersionError(input.character, input.baseVersion).message,
            'UnknownPromptVersion',
          );
        }
        const names = (await characterPrompts.list(input.character)).map((v) => v.prompt_version);
        version = nextOptimizedVersion(input.baseVersion, names);
        try {
          await characterPrompts.create({
            character_name: input.character,
            prompt_version: version,
            prompt_text: input.promptText,
            is_default: false,
            ab_test_percentage: input.percentage,
            fallback_line: base.fallback_line,
            based_on: input.baseVersion,
            created_by: input.createdBy,
            reason: `optimiser: ${input.baseVersion} averaged ${input.average} over ${input.ratingCount} ratings`,
          });
        } catch (err) {
          // Someone took the name meanwhile: the retry picks the next one.
          if (isDuplicateKeyError(err)) throw new Error(`prompt version ${version} was created meanwhile`);
          throw err;
        }
      }
      await fineTuningData.record({
        _id: `optimizer:${input.character}:${version}`,
        response_id: `prompt:${input.character}:${version}`,
        rating_type: 'LLM_SUGGESTED',
        rating_score: Math.max(1, Math.min(5, Math.round(input.average))),
        feedback_text: `${version} suggested to replace ${input.baseVersion} (average ${input.average} over ${input.ratingCount} ratings); on A/B test for ${input.percentage}% of sessions`,
        rated_by: 'prompt_optimizer',
        timestamp: new Date(),
        prompt_version_used: input.baseVersion,
        character_name: input.character,
        response_text: input.promptText,
      });
      return { version };
    },

    /** Promotes a version, or rolls back to the default the current one replaced. */
    async changePromptDefault(request: PromptChangeRequest): Promise<PromptChangeResult> {
      const { character, by, reason } = request;
      const version =
        request.action === 'promote' ? request.version : await characterPrompts.rollbackTarget(character);
      if (!version) {
        throw ApplicationFailure.nonRetryable(
          `${character}'s default has no earlier default to roll back to`,
          'NothingToRollBack',
        );
      }
      try {
        const replaced = await characterPrompts.promote(
          character,
          version,
          by,
          request.action === 'rollback' ? `rollback: ${reason}` : reason,
        );
        return { character, action: request.action, defaultVersion: version, replaced };
      } catch (err) {
        if (err instanceof UnknownPromptVersionError)
          throw ApplicationFailure.nonRetryable(err.message, 'UnknownPromptVersion');
        throw err;
      }
    },

    /** Ends (0) or changes a challenger's A/B share. */
    async setPromptTraffic(input: {
      character: string;
      version: string;
      percentage: number;
      by: string;
      reason: string;
    }): Promise<void> {
      await characterPrompts.setTraffic(
        input.character,
        input.version,
        input.percentage,
        input.by,
        input.reason,
      );
    },
  };
}
