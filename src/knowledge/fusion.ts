/**
 * How the hybrid retriever merges and thins its candidates. Pure functions over ranked lists.
 */
import { indexTerms } from './lexicalIndex';

/** The RRF constant of Cormack et al. (2009): large enough that rank 1 does not drown the rest. */
export const RRF_K = 60;

/** A chunk either method found, with its rank in each (1-based; absent where it was not found). */
export interface Candidate<T> {
  hit: T;
  denseRank?: number;
  lexicalRank?: number;
}

/**
 * Reciprocal rank fusion, best first: a chunk scores Σ 1 / (RRF_K + rank) over the rankings it is in,
 * so one both methods rank well beats one that only one ranks first, and neither method's raw scores
 * (cosine, BM25: different scales) need to be made comparable.
 */
export function reciprocalRankFusion<T>(candidates: ReadonlyArray<Candidate<T>>): Array<Candidate<T>> {
  const score = (c: Candidate<T>) =>
    (c.denseRank ? 1 / (RRF_K + c.denseRank) : 0) + (c.lexicalRank ? 1 / (RRF_K + c.lexicalRank) : 0);
  return [...candidates].sort((a, b) => score(b) - score(a));
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
