import { nextOptimizedVersion, tidySuggestedPrompt } from '../../src/llm/optimizerPrompt';
import { versionMetricsOf } from '../../src/prompts/metrics';
import { scanCounters } from '../../src/store/metricCounters';
import { reviewPrompts, type PromptReviewPolicy, type ReviewedVersion } from '../../src/prompts/review';

const POLICY: PromptReviewPolicy = {
  optimizeMinRatings: 10,
  optimizeBelow: 3,
  challengerPercentage: 20,
  promoteMinRatings: 20,
  promoteMargin: 0.25,
};

function version(fields: Partial<ReviewedVersion> & { prompt_version: string }): ReviewedVersion {
  return {
    character_name: 'Peter',
    is_default: false,
    ab_test_percentage: 0,
    rating_count: 0,
    rating_avg: 0,
    ...fields,
  };
}

describe('prompt review decisions', () => {
  it('asks the optimiser only for a default with enough ratings under the threshold (the 1-5 scale, not 0.7)', () => {
    const kinds = (count: number, avg: number) =>
      reviewPrompts(
        [version({ prompt_version: 'v1.0', is_default: true, rating_count: count, rating_avg: avg })],
        POLICY,
      ).map((a) => a.kind);
    expect(kinds(10, 2.9)).toEqual(['optimize']);
    expect(kinds(9, 1)).toEqual([]);
    expect(kinds(50, 3)).toEqual([]);
    expect(kinds(50, 4.5)).toEqual([]);
  });

  it('waits while a challenger is still collecting ratings', () => {
    const actions = reviewPrompts(
      [
        version({ prompt_version: 'v1.0', is_default: true, rating_count: 40, rating_avg: 2 }),
        version({
          prompt_version: 'v1.1_optimized',
          ab_test_percentage: 20,
          rating_count: 19,
          rating_avg: 5,
        }),
      ],
      POLICY,
    );
    expect(actions).toEqual([]);
  });

  it('promotes the best challenger that beats the default by the margin and retires the losers', () => {
    const actions = reviewPrompts(
      [
        version({ prompt_version: 'v1.0', is_default: true, rating_count: 40, rating_avg: 3 }),
        version({ prompt_version: 'a', ab_test_percentage: 10, rating_count: 20, rating_avg: 3.2 }),
        version({ prompt_version: 'b', ab_test_percentage: 10, rating_count: 25, rating_avg: 3.9 }),
        version({ prompt_version: 'c', ab_test_percentage: 10, rating_count: 30, rating_avg: 3.5 }),
      ],
      POLICY,
    );
    expect(actions.map((a) => [a.kind, a.version])).toEqual([
      ['promote', 'b'],
      ['retire', 'a'],
    ]);
  });

  it('never promotes over an unrated default, and judges characters separately', () => {
    const actions = reviewPrompts(
      [
        version({ prompt_version: 'v1.0', is_default: true }),
        version({ prompt_version: 'v2', ab_test_percentage: 50, rating_count: 30, rating_avg: 5 }),
        version({
          character_name: 'Brian',
          prompt_version: 'v1.0',
          is_default: true,
          rating_count: 12,
          rating_avg: 1,
        }),
      ],
      POLICY,
    );
    expect(actions.map((a) => [a.character, a.kind])).toEqual([['Brian', 'optimize']]);
  });
});

describe('performance metrics', () => {
  it('averages QC and user ratings per character and version, leaving out QC fallbacks', () => {
    const counters = scanCounters({
      ratings: [
        {
          character_name: 'Peter',
          prompt_version_used: 'v1.0',
          rating_type: 'QC_AUTOMATED',
          rating_score: 2,
          qc_method: 'llm',
        },
        {
          character_name: 'Peter',
          prompt_version_used: 'v1.0',
          rating_type: 'QC_AUTOMATED',
          rating_score: 3,
          qc_method: 'fallback',
        },
        {
          character_name: 'Peter',
          prompt_version_used: 'v1.0',
          rating_type: 'USER_SUBMITTED',
          rating_score: 5,
        },
        {
          character_name: 'Brian',
          prompt_version_used: 'v1.0',
          rating_type: 'USER_SUBMITTED',
          rating_score: 1,
        },
      ],
      engagement: [{ character_name: 'Peter', prompt_version_used: 'v1.0', responses: 4, answered: 1 }],
      botTurns: [],
      deadLetters: {},
    });
    expect(versionMetricsOf(counters, 'Peter', 'v1.0', 1000)).toEqual({
      responses: 4,
      qc_count: 1,
      qc_avg: 2,
      user_count: 1,
      user_avg: 5,
      rating_count: 2,
      rating_avg: 3.5,
      engagement_rate: 0.25,
      refreshed_at: 1000,
    });
    expect(versionMetricsOf(counters, 'Brian', 'v1.0', 1000).rating_avg).toBe(1);
  });
});

describe('the optimiser output', () => {
  it('names challengers after their base version', () => {
    expect(nextOptimizedVersion('v1.0', ['v1.0'])).toBe('v1.1_optimized');
    expect(nextOptimizedVersion('v1.0', ['v1.0', 'v1.1_optimized', 'v2.0'])).toBe('v1.2_optimized');
    expect(nextOptimizedVersion('custom', ['custom', 'custom_optimized_1'])).toBe('custom_optimized_2');
  });

  it('keeps a full rewrite and refuses a fragment', () => {
    const current = 'You are Peter Griffin. '.repeat(20);
    expect(tidySuggestedPrompt('```\nNEW PROMPT: ' + current + 'NEVER use asterisks.\n```', current)).toBe(
      `${current}NEVER use asterisks.`,
    );
    expect(tidySuggestedPrompt('Be funnier.', current)).toBeNull();
  });
});
