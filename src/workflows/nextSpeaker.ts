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
