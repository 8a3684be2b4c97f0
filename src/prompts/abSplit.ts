import { createHash } from 'node:crypto';

/** Buckets per 100%: percentages may have two decimals. */
const BUCKETS = 10_000;

export interface ServingVersion {
  prompt_version: string;
  ab_test_percentage: number;
}

/**
 * A session's bucket for a character: a hash, so the same session always lands in the
 * same bucket (it keeps its version while the shares stay the same) and sessions spread
 * evenly. The character is part of the key so each character's test splits independently.
 */
export function sessionBucket(character: string, sessionId: string): number {
  const digest = createHash('sha256').update(`${character}\u0000${sessionId}`).digest();
  return digest.readUInt32BE(0) % BUCKETS;
}

/**
 * Picks the version a session uses: challengers take consecutive slices of the buckets
 * in creation order (their ab_test_percentage each, capped at 100% in total); the rest
 * of the sessions get the default.
 */
export function pickPromptVersion<T extends ServingVersion>(
  defaultVersion: T,
  challengers: T[],
  character: string,
  sessionId: string,
): T {
  const bucket = sessionBucket(character, sessionId);
  let upTo = 0;
  for (const challenger of challengers) {
    upTo = Math.min(BUCKETS, upTo + Math.round(challenger.ab_test_percentage * (BUCKETS / 100)));
    if (bucket < upTo) return challenger;
  }
  return defaultVersion;
}
