import { mentionsName } from '../characters/names';
import type { FollowUpPolicy } from './contracts/followUp';

/**
 * Who answers a character's line, SillyTavern-style: a character named in it first, else
 * each other character in turn rolls its talkativeness; never the speaker. `random` is
 * the workflow's seeded Math.random, so the pick replays the same.
 */
export function chooseNextSpeaker(
  text: string,
  speaker: string,
  characters: FollowUpPolicy['characters'],
  random: () => number,
): string | null {
  const others = characters.filter((c) => c.name !== speaker);
  const named = others.find((c) => c.aliases.some((alias) => mentionsName(text, alias)));
  if (named) return named.name;
  const offset = Math.floor(random() * others.length); // no fixed pecking order
  for (let i = 0; i < others.length; i++) {
    const candidate = others[(offset + i) % others.length];
    if (candidate && random() < candidate.talkativeness) return candidate.name;
  }
  return null;
}

/**
 * One of `candidates`, each as likely as its weight (all alike without weights, as in runs from before
 * talkativeness weighed in, or when every weight is 0), from one draw in [0, 1).
 */
export function weightedPick(candidates: string[], weights: number[] | undefined, draw: number): string {
  const total = weights?.reduce((sum, weight) => sum + weight, 0) ?? 0;
  if (!weights || total <= 0) return candidates[Math.floor(draw * candidates.length)] as string;
  let left = draw * total;
  for (const [index, candidate] of candidates.entries()) {
    left -= weights[index] ?? 0;
    if (left < 0) return candidate;
  }
  return candidates.at(-1) as string;
}
