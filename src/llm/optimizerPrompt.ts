import type { ChatMessage } from './ollamaChat';

export interface RatedExample {
  text: string;
  score: number;
  feedback: string;
}

export interface OptimizerPrompt {
  character: string;
  currentPrompt: string;
  average: number;
  ratingCount: number;
  lowest: RatedExample[];
  highest: RatedExample[];
}

/** A rewrite shorter than this share of the original has lost the character sheet. */
const MIN_LENGTH_SHARE = 0.3;
const MAX_PROMPT_CHARS = 12_000;
/** Room for the longest rewrite accepted (a token is three characters or more of English prose). */
export const OPTIMIZER_MAX_TOKENS = Math.ceil(MAX_PROMPT_CHARS / 3);

export const OPTIMIZER_SYSTEM_INTRO = 'You improve the system prompt of a Family Guy role-play Discord bot.';

/** Asks the model for a better system prompt, from the replies rated lowest and highest. */
export function buildOptimizerMessages(prompt: OptimizerPrompt): ChatMessage[] {
  const examples = (title: string, list: RatedExample[]) =>
    list.length === 0
      ? ''
      : `${title}:\n${list.map((e) => `- (${e.score}/5) ${JSON.stringify(e.text)} — ${e.feedback}`).join('\n')}\n\n`;
  return [
    {
      role: 'system',
      content:
        `${OPTIMIZER_SYSTEM_INTRO} Rewrite the prompt so that ${prompt.character}'s replies avoid what the ` +
        `low-rated replies did and keep what the high-rated ones did. Keep every section of the prompt ` +
        `(relationships, personality, speech style, rules, NEVER rules); sharpen and add rules, do not drop them. ` +
        `Answer with the complete new system prompt only, no commentary.`,
    },
    {
      role: 'user',
      content:
        `CURRENT PROMPT (replies average ${prompt.average}/5 over ${prompt.ratingCount} ratings):\n` +
        `${prompt.currentPrompt}\n\n` +
        examples('LOWEST-RATED REPLIES', prompt.lowest) +
        examples('HIGHEST-RATED REPLIES', prompt.highest) +
        `NEW PROMPT:`,
    },
  ];
}

/**
 * The rewritten prompt, without fences or a "NEW PROMPT:" echo; null when what came back
 * cannot be a full prompt (too short next to the original, or absurdly long).
 */
export function tidySuggestedPrompt(raw: string, currentPrompt: string): string | null {
  const text = raw
    .trim()
    .replace(/^```\w*\s*/, '')
    .replace(/\s*```$/, '')
    .replace(/^NEW PROMPT:\s*/i, '')
    .trim();
  if (text.length < currentPrompt.length * MIN_LENGTH_SHARE || text.length > MAX_PROMPT_CHARS) return null;
  return text;
}

/** "v1.0" -> "v1.1_optimized" (or the next free minor number of that major version). */
export function nextOptimizedVersion(baseVersion: string, existing: string[]): string {
  const major = /^v(\d+)\./.exec(baseVersion)?.[1];
  if (major === undefined) {
    let n = 1;
    while (existing.includes(`${baseVersion}_optimized_${n}`)) n++;
    return `${baseVersion}_optimized_${n}`;
  }
  const minors = existing
    .map((version) => new RegExp(`^v${major}\\.(\\d+)`).exec(version)?.[1])
    .filter((minor): minor is string => minor !== undefined)
    .map(Number);
  return `v${major}.${Math.max(0, ...minors) + 1}_optimized`;
}
