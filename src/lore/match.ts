import { MAX_LORE_KEY_CHARS, regexKey, regexMatchesAny } from './regexKeys';
import type { LoreEntry, Lorebook, LoreScope, MatchedLore } from './types';

/**
 * Most characters of each message scanned for keys (the prompt's own limit on the message being
 * answered): what a regex key runs over stays bounded whatever users paste.
 */
export const MAX_SCANNED_CHARS = 4000;
/**
 * Most characters scanned per book, the newest messages first (fifty short Discord messages, or
 * four of the longest): a book of 500 entries with 100 keys each costs a reply milliseconds.
 */
export const MAX_SCANNED_CHARS_PER_BOOK = 16_000;
/**
 * Most characters of lore in one prompt, all books together (about 2,000 tokens): each book's own
 * token_budget may be up to 8192 tokens, and three books of that would crowd the history out of
 * OLLAMA_NUM_CTX's 8192 tokens.
 */
export const MAX_PROMPT_LORE_CHARS = 8000;

export interface ScopedBook {
  scope: LoreScope;
  book: Lorebook;
}

/** A chosen entry with what orders it. */
interface Candidate {
  lore: MatchedLore;
  entry: LoreEntry;
  /** Position in its book: the last tie-breaker. */
  position: number;
  scopeRank: number;
}

/**
 * The lore a prompt gets, from the books attached to the reply (global, its character, its channel)
 * and the recent messages, newest first. Per book: an enabled entry is in when constant, or when a
 * key appears in the book's scan_depth newest messages (and, for a selective entry with secondary
 * keys, one of those too); then the book's token budget (characters / 4, rounded up) is filled with
 * constants first, then by priority (highest first), then insertion order, and entries that do not
 * fit are left out. All books together keep within MAX_PROMPT_LORE_CHARS the same way. The result
 * is in prompt order: insertion_order, then scope (global, character, channel). Pure, but for a
 * regex key that runs out of time: it counts as not matching, then and from then on (regexKeys.ts).
 */
export function selectLore(books: ScopedBook[], recentNewestFirst: string[]): MatchedLore[] {
  const perBook = books.flatMap(({ scope, book }) =>
    withinBudget(triggered(scope, book, recentNewestFirst), book.token_budget),
  );
  return withinBudget(perBook, Math.ceil(MAX_PROMPT_LORE_CHARS / 4))
    .sort(
      (a, b) =>
        a.entry.insertion_order - b.entry.insertion_order ||
        a.scopeRank - b.scopeRank ||
        a.position - b.position,
    )
    .map((candidate) => candidate.lore);
}

function triggered(scope: LoreScope, book: Lorebook, recentNewestFirst: string[]): Candidate[] {
  const texts = scannedTexts(recentNewestFirst, book.scan_depth);
  const scanned: Scanned = {
    asWritten: textView(texts),
    lowerCase: textView(texts.map((text) => text.toLowerCase())),
  };
  const candidates: Candidate[] = [];
  book.entries.forEach((entry, position) => {
    if (!entry.enabled || entry.content.trim() === '') return;
    const reason = entry.constant ? 'constant' : triggerReason(entry, scanned);
    if (reason === null) return;
    candidates.push({
      lore: { scope, book: book.name, entryId: entry.id, name: entry.name, content: entry.content, reason },
      entry,
      position,
      scopeRank: scopeRank(scope),
    });
  });
  return candidates;
}

/** The `depth` newest messages, each cut to MAX_SCANNED_CHARS, all within MAX_SCANNED_CHARS_PER_BOOK. */
function scannedTexts(recentNewestFirst: string[], depth: number): string[] {
  const texts: string[] = [];
  let room = MAX_SCANNED_CHARS_PER_BOOK;
  for (const text of recentNewestFirst.slice(0, Math.max(0, depth))) {
    if (room <= 0) break;
    const kept = text.slice(0, Math.min(MAX_SCANNED_CHARS, room));
    texts.push(kept);
    room -= kept.length;
  }
  return texts;
}

/** Scanned texts, and the words in them: a plain key whose first word is not there cannot match. */
interface TextView {
  texts: string[];
  words: Set<string>;
}

/** The scanned messages as written, and lower-cased once for the case-insensitive plain keys. */
interface Scanned {
  asWritten: TextView;
  lowerCase: TextView;
}

const WORDS = /[\p{L}\p{N}\p{M}_]+/gu;
const FIRST_WORD = /^[\p{L}\p{N}\p{M}_]+/u;

function textView(texts: string[]): TextView {
  return { texts, words: new Set(texts.flatMap((text) => text.match(WORDS) ?? [])) };
}

/** `key: <key>` (with `, secondary key: <key>` for a selective entry), or null when not triggered. */
function triggerReason(entry: LoreEntry, scanned: Scanned): string | null {
  const key = firstMatchingKey(entry, entry.keys, scanned);
  if (key === null) return null;
  if (!entry.selective || entry.secondary_keys.length === 0) return `key: ${key}`;
  const secondary = firstMatchingKey(entry, entry.secondary_keys, scanned);
  return secondary === null ? null : `key: ${key}, secondary key: ${secondary}`;
}

function firstMatchingKey(entry: LoreEntry, keys: string[], scanned: Scanned): string | null {
  const view = entry.use_regex || entry.case_sensitive ? scanned.asWritten : scanned.lowerCase;
  for (const key of keys) {
    const matches = keyMatcher(key, entry);
    if (matches?.(view)) return key;
  }
  return null;
}

/**
 * A test of the scanned texts (lower-cased for a case-insensitive plain key) for the key, or null
 * for a key that never matches (blank, too long, a regex that may not be used).
 */
function keyMatcher(key: string, entry: LoreEntry): ((view: TextView) => boolean) | null {
  if (entry.use_regex) {
    const regex = regexKey(key, entry.case_sensitive);
    return regex && ((view) => regexMatchesAny(regex, view.texts));
  }
  const wanted = entry.case_sensitive ? key.trim() : key.trim().toLowerCase();
  if (wanted === '' || wanted.length > MAX_LORE_KEY_CHARS) return null;
  // A key starting with a word begins with a whole word of the text wherever it matches.
  const firstWord = FIRST_WORD.exec(wanted)?.[0];
  return (view) =>
    (firstWord === undefined || view.words.has(firstWord)) &&
    view.texts.some((text) => containsWord(text, wanted));
}

const WORD_CHAR = /[\p{L}\p{N}\p{M}_]/u;

/**
 * Whether `key` occurs in `text` as a whole word: where the key begins (ends) with a letter, digit
 * or underscore, the text has none right before (after) it. So "Meg" is not found in "Megan", and
 * "C++" is found in "I like C++.".
 */
function containsWord(text: string, key: string): boolean {
  const needsStart = WORD_CHAR.test(firstCharacter(key));
  const needsEnd = WORD_CHAR.test(lastCharacter(key));
  for (let at = text.indexOf(key); at !== -1; at = text.indexOf(key, at + 1)) {
    const startOk = !needsStart || !WORD_CHAR.test(lastCharacter(text.slice(0, at)));
    const endOk = !needsEnd || !WORD_CHAR.test(firstCharacter(text.slice(at + key.length)));
    if (startOk && endOk) return true;
  }
  return false;
}

/** The first (last) character, a surrogate pair counted as one; '' for an empty text. */
function firstCharacter(text: string): string {
  return Array.from(text.slice(0, 2))[0] ?? '';
}

function lastCharacter(text: string): string {
  return Array.from(text.slice(-2)).at(-1) ?? '';
}

/**
 * Candidates whose contents fit `maxTokens` (estimated as characters / 4, rounded up, per entry),
 * taken constants first, then by priority and order.
 */
function withinBudget(candidates: Candidate[], maxTokens: number): Candidate[] {
  let tokens = 0;
  return [...candidates].sort(budgetOrder).filter((candidate) => {
    const cost = Math.ceil(candidate.entry.content.length / 4);
    if (tokens + cost > maxTokens) return false;
    tokens += cost;
    return true;
  });
}

function budgetOrder(a: Candidate, b: Candidate): number {
  return (
    Number(b.entry.constant) - Number(a.entry.constant) ||
    b.entry.priority - a.entry.priority ||
    a.entry.insertion_order - b.entry.insertion_order ||
    a.scopeRank - b.scopeRank ||
    a.position - b.position
  );
}

function scopeRank(scope: LoreScope): number {
  if (scope === 'global') return 0;
  return scope.startsWith('character:') ? 1 : 2;
}
