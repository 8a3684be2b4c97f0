/**
 * What a prompt review decides, as plain functions over the versions' metrics. They run
 * inside PromptReviewWorkflow (deterministic, no I/O), so they import nothing.
 */

/** The review's thresholds; all ratings are on the 1-5 scale. */
export interface PromptReviewPolicy {
  /** Ratings a default needs before the optimiser may challenge it. */
  optimizeMinRatings: number;
  /** The optimiser writes a challenger when the default averages under this. */
  optimizeBelow: number;
  /** Share of sessions a new challenger gets. */
  challengerPercentage: number;
  /** Ratings a challenger needs before it is promoted or retired. */
  promoteMinRatings: number;
  /** How much higher than the default a challenger must average to be promoted. */
  promoteMargin: number;
}

export interface ReviewedVersion {
  character_name: string;
  prompt_version: string;
  is_default: boolean;
  ab_test_percentage: number;
  rating_count: number;
  rating_avg: number;
}

export type ReviewAction =
  | { kind: 'promote'; character: string; version: string; reason: string }
  | { kind: 'retire'; character: string; version: string; reason: string }
  | { kind: 'optimize'; character: string; version: string; reason: string };

/**
 * Per character: a challenger with enough ratings that beats the default by the margin
 * is promoted (the best one if several); one with enough ratings that does not is
 * retired. With no challenger left in the test, a default with enough ratings that
 * averages under the threshold gets a new challenger from the optimiser.
 */
export function reviewPrompts(versions: ReviewedVersion[], policy: PromptReviewPolicy): ReviewAction[] {
  const actions: ReviewAction[] = [];
  const characters = [...new Set(versions.map((v) => v.character_name))].sort();
  for (const character of characters) {
    const own = versions.filter((v) => v.character_name === character);
    const current = own.find((v) => v.is_default);
    if (!current) continue;
    const challengers = own.filter((v) => !v.is_default && v.ab_test_percentage > 0);
    const judged = challengers.filter((v) => v.rating_count >= policy.promoteMinRatings);
    const winner = judged
      // An unrated default cannot be beaten by numbers: an admin decides.
      .filter((v) => current.rating_count > 0 && v.rating_avg >= current.rating_avg + policy.promoteMargin)
      .sort((a, b) => b.rating_avg - a.rating_avg)[0];
    const describe = (v: ReviewedVersion) =>
      `${v.prompt_version} averages ${v.rating_avg} over ${v.rating_count} ratings`;
    if (winner) {
      actions.push({
        kind: 'promote',
        character,
        version: winner.prompt_version,
        reason: `${describe(winner)}, ${current.prompt_version} ${current.rating_avg} over ${current.rating_count}`,
      });
    }
    const losers = judged.filter(
      (v) =>
        v !== winner && current.rating_count > 0 && v.rating_avg < current.rating_avg + policy.promoteMargin,
    );
    for (const loser of losers) {
      actions.push({
        kind: 'retire',
        character,
        version: loser.prompt_version,
        reason: `${describe(loser)}: not ${policy.promoteMargin} above ${current.prompt_version}'s ${current.rating_avg}`,
      });
    }
    const stillTesting = challengers.filter((v) => v !== winner && !judged.includes(v));
    if (
      !winner &&
      stillTesting.length === 0 &&
      current.rating_count >= policy.optimizeMinRatings &&
      current.rating_avg < policy.optimizeBelow
    ) {
      actions.push({
        kind: 'optimize',
        character,
        version: current.prompt_version,
        reason: `${describe(current)}, under ${policy.optimizeBelow}`,
      });
    }
  }
  return actions;
}
