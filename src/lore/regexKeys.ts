import { createContext, Script } from 'node:vm';

/** Lorebook keys as regular expressions (V3 `use_regex`): parsing, checking, and running them safely. */

/** Longest key, plain or regex: a longer one never matches, and a lorebook that has one is refused. */
export const MAX_LORE_KEY_CHARS = 200;

/** `/pattern/flags`, as cards write regex keys; anything else is a bare pattern. */
const SLASHED = /^\/(.+)\/([a-z]*)$/s;

type Parsed = { regex: RegExp } | { problem: string };

/**
 * A regex key as a RegExp, or why it cannot be one. `/pattern/flags` keeps its own flags (less `g`
 * and `y`, which would make test() depend on earlier calls); a bare pattern is case-insensitive
 * unless the entry is case-sensitive.
 */
export function parseRegexKey(key: string, caseSensitive: boolean): Parsed {
  if (key.length > MAX_LORE_KEY_CHARS)
    return { problem: `${key.length} characters, at most ${MAX_LORE_KEY_CHARS}` };
  const slashed = SLASHED.exec(key);
  const source = slashed ? (slashed[1] as string) : key;
  const flags = slashed ? (slashed[2] as string).replace(/[gy]/g, '') : caseSensitive ? '' : 'i';
  if (hasNestedQuantifier(source))
    return { problem: 'a repeated group that repeats inside (like (a+)+) can take forever to match' };
  try {
    return { regex: new RegExp(source, flags) };
  } catch (error) {
    return { problem: `not a valid regular expression (${(error as Error).message})` };
  }
}

/** The RegExp of a key, or null when it is not one that may be used (never throws). */
export function regexKey(key: string, caseSensitive: boolean): RegExp | null {
  const parsed = parseRegexKey(key, caseSensitive);
  return 'regex' in parsed ? parsed.regex : null;
}

/**
 * Longest one regex key may run over the scanned messages. V3 regex keys come from cards people
 * download, and a hostile or careless one (`\s*\s*\s*x`, or worse) can backtrack for hours; the
 * nested-quantifier refusal catches the classic shape, this stops the rest: Node interrupts a script
 * run with a timeout, a regular expression's backtracking included.
 */
export const REGEX_KEY_TIMEOUT_MS = 25;
/** Regex keys that once ran out of time (source and flags): they never match again in this process. */
const tooSlow = new Set<string>();
const MAX_REMEMBERED_SLOW = 1000;
const sandbox = createContext({ regex: /$^/, texts: [] as string[] });
const testTexts = new Script('texts.some((text) => regex.test(text))');

/** Whether `regex` matches one of `texts`; false when it takes longer than REGEX_KEY_TIMEOUT_MS. */
export function regexMatchesAny(regex: RegExp, texts: string[]): boolean {
  const id = `${regex.flags}/${regex.source}`;
  if (tooSlow.has(id)) return false;
  Object.assign(sandbox, { regex, texts });
  try {
    return testTexts.runInContext(sandbox, { timeout: REGEX_KEY_TIMEOUT_MS }) === true;
  } catch (error) {
    if ((error as { code?: string }).code !== 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw error;
    if (tooSlow.size >= MAX_REMEMBERED_SLOW) tooSlow.clear();
    tooSlow.add(id);
    return false;
  } finally {
    Object.assign(sandbox, { texts: [] });
  }
}

const QUANTIFIER_START = new Set(['*', '+', '{']);

/**
 * Whether a group containing a quantifier is itself quantified (`(a+)+`, `(\w*\s){2,}`): the
 * classic catastrophic backtracking shape. A scan of the pattern's syntax, skipping escapes and
 * character classes; not a proof of safety (`(a|a)*` passes), one layer of several.
 */
function hasNestedQuantifier(source: string): boolean {
  const groupHasQuantifier: boolean[] = [];
  for (let index = 0; index < source.length; index++) {
    const char = source[index];
    if (char === '\\') index++;
    else if (char === '[') index = endOfClass(source, index);
    else if (char === '(') groupHasQuantifier.push(false);
    else if (char === ')') {
      const inner = groupHasQuantifier.pop() ?? false;
      const quantified = QUANTIFIER_START.has(source[index + 1] ?? '');
      if (inner && quantified) return true;
      markQuantifier(groupHasQuantifier, inner || quantified);
    } else if (QUANTIFIER_START.has(char ?? '')) markQuantifier(groupHasQuantifier, true);
  }
  return false;
}

function markQuantifier(groupHasQuantifier: boolean[], found: boolean): void {
  const last = groupHasQuantifier.length - 1;
  if (found && last >= 0) groupHasQuantifier[last] = true;
}

/** The index of the `]` closing the character class opened at `start` (or the pattern's end). */
function endOfClass(source: string, start: number): number {
  for (let index = start + 1; index < source.length; index++) {
    if (source[index] === '\\') index++;
    else if (source[index] === ']') return index;
  }
  return source.length;
}
