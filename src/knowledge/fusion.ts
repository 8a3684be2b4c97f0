/**
 * How the hybrid retriever merges and thins its candidates. Pure functions over ranked lists.
 */
import { indexTerms } from './lexicalIndex';

/** The constant of Cormack et al. (2009): large enough that rank 1 does not drown the rest. */
export const RRF_K = 60;

/**
 * Reciprocal rank fusion: each id scores Σ weight / (k + rank) over the rankings it is in (rank 1
 * first), so an id both methods rank well beats one that only one ranks first. Best first; ties keep the
 * order of first appearance.
 */
export function reciprocalRankFusion(
  rankings: ReadonlyArray<{ ids: readonly string[]; weight: number }>,
  k: number = RRF_K,
): Array<{ id: string; fused: number }> {
  const scores = new Map<string, number>();
  for (const { ids, weight } of rankings) {
    ids.forEach((id, i) => scores.set(id, (scores.get(id) ?? 0) + weight / (k + i + 1)));
  }
  return [...scores].map(([id, fused]) => ({ id, fused })).sort((a, b) => b.fused - a.fused);
}

export interface ArticleCap {
  /** Most chunks of one article among the results. */
  perArticle: number;
  /** Most chunks of an article the question names (all words of its title). */
  perNamedArticle: number;
}

/**
 * The first `limit` hits, in order, keeping at most `perArticle` chunks of each article (more of one the
 * question names): one long page's many chunks would otherwise fill every slot, leaving the LLM one
 * article's view of a question that other pages answer.
 */
export function capPerArticle<T extends { source_url: string; title: string }>(
  hits: readonly T[],
  query: string,
  limit: number,
  cap: ArticleCap,
): T[] {
  const queryTerms = new Set(indexTerms(query));
  const taken = new Map<string, number>();
  const kept: T[] = [];
  for (const hit of hits) {
    if (kept.length >= limit) break;
    const titleTerms = indexTerms(hit.title.replace(/\(.*?\)/g, ''));
    const named = titleTerms.length > 0 && titleTerms.every((term) => queryTerms.has(term));
    const count = taken.get(hit.source_url) ?? 0;
    if (count >= (named ? cap.perNamedArticle : cap.perArticle)) continue;
    taken.set(hit.source_url, count + 1);
    kept.push(hit);
  }
  return kept;
}
