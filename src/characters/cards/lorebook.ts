/**
 * A card's character_book <-> our Lorebook (src/lore/types.ts). V2 and V3 entries read alike (V3 adds
 * use_regex); missing fields take the specs' defaults, entry ids are made unique, regex keys are
 * checked here so a broken one is refused at import rather than silently never matching.
 */
import { DEFAULT_SCAN_DEPTH, DEFAULT_TOKEN_BUDGET, type LoreEntry, type Lorebook } from '../../lore/types';
import {
  MAX_KEYS_PER_ENTRY,
  MAX_LORE_ENTRIES,
  MAX_REGEX_KEY_CHARS,
  MAX_SCAN_DEPTH,
  MAX_TOKEN_BUDGET,
  MAX_TEXT_FIELD_CHARS,
} from './limits';
import {
  asObject,
  boundedText,
  cardFail,
  describeJson,
  distinctNonBlank,
  flag,
  numberIn,
  optionalObject,
  text,
  textList,
  type JsonObject,
} from './read';
import type { CardCharacterBook, CardLoreEntry } from './types';

/** The card's book, or null when it has none (or no entries). */
export function readCharacterBook(value: unknown, where: string, cardName: string): Lorebook | null {
  if (value === undefined || value === null) return null;
  const book = asObject(value, where);
  const rawEntries = book.entries ?? [];
  if (!Array.isArray(rawEntries))
    cardFail(`${where}.entries`, `expected an array, got ${describeJson(rawEntries)}`);
  if (rawEntries.length > MAX_LORE_ENTRIES) {
    cardFail(`${where}.entries`, `${rawEntries.length} entries, at most ${MAX_LORE_ENTRIES}`);
  }
  if (rawEntries.length === 0) return null;
  const read = rawEntries.map((entry, index) => readEntry(entry, `${where}.entries[${index}]`, index));
  return {
    name: text(book, 'name', where).trim() || `${cardName} lorebook`,
    description: text(book, 'description', where),
    scan_depth: numberIn(book, 'scan_depth', where, DEFAULT_SCAN_DEPTH, {
      min: 1,
      max: MAX_SCAN_DEPTH,
      integer: true,
    }),
    token_budget: numberIn(book, 'token_budget', where, DEFAULT_TOKEN_BUDGET, {
      min: 1,
      max: MAX_TOKEN_BUDGET,
      integer: true,
    }),
    recursive_scanning: flag(book, 'recursive_scanning', where, false),
    extensions: optionalObject(book, 'extensions', where) ?? {},
    entries: withUniqueIds(read),
  };
}

interface ReadEntry {
  /** The card's id when it is a usable one (a non-negative integer, or its digits as a string). */
  requestedId: number | null;
  entry: Omit<LoreEntry, 'id'>;
}

function readEntry(value: unknown, where: string, index: number): ReadEntry {
  const raw = asObject(value, where);
  const useRegex = flag(raw, 'use_regex', where, false);
  const keys = readKeys(raw, 'keys', where, useRegex);
  return {
    requestedId: usableId(raw.id),
    entry: {
      name: text(raw, 'name', where).trim() || text(raw, 'comment', where).trim() || `entry ${index + 1}`,
      keys,
      secondary_keys: readKeys(raw, 'secondary_keys', where, useRegex),
      selective: flag(raw, 'selective', where, false),
      constant: flag(raw, 'constant', where, false),
      enabled: flag(raw, 'enabled', where, true),
      insertion_order: numberIn(raw, 'insertion_order', where, index, finiteRange),
      priority: numberIn(raw, 'priority', where, 0, finiteRange),
      use_regex: useRegex,
      case_sensitive: flag(raw, 'case_sensitive', where, false),
      content: text(raw, 'content', where),
      extensions: optionalObject(raw, 'extensions', where) ?? {},
    },
  };
}

const finiteRange = { min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER, integer: false };

/** Keys: an array of strings, or (V3's wording for secondary_keys) one comma-separated string. */
function readKeys(raw: JsonObject, key: string, where: string, useRegex: boolean): string[] {
  const value = raw[key];
  const keys =
    typeof value === 'string'
      ? boundedText(value, `${where}.${key}`, MAX_TEXT_FIELD_CHARS).split(',')
      : textList(raw, key, where, MAX_KEYS_PER_ENTRY);
  if (keys.length > MAX_KEYS_PER_ENTRY)
    cardFail(`${where}.${key}`, `${keys.length} keys, at most ${MAX_KEYS_PER_ENTRY}`);
  const distinct = distinctNonBlank(keys);
  if (useRegex) distinct.forEach((pattern) => checkRegexKey(pattern, `${where}.${key}`));
  return distinct;
}

/** `/pattern/flags` or a bare pattern, as the lore matcher reads them. */
function checkRegexKey(key: string, where: string): void {
  if (key.length > MAX_REGEX_KEY_CHARS) {
    cardFail(where, `a regular expression key of ${key.length} characters, at most ${MAX_REGEX_KEY_CHARS}`);
  }
  const literal = /^\/(.+)\/([a-z]*)$/s.exec(key);
  try {
    new RegExp(literal?.[1] ?? key, literal?.[2] ?? '');
  } catch (err) {
    cardFail(where, `invalid regular expression ${JSON.stringify(key)} (${(err as Error).message})`);
  }
}

function usableId(id: unknown): number | null {
  if (typeof id === 'number' && Number.isSafeInteger(id) && id >= 0) return id;
  if (typeof id === 'string' && /^\d{1,15}$/.test(id)) return Number(id);
  return null;
}

/** The card's ids where they are usable and unique; the others numbered after the highest. */
function withUniqueIds(read: ReadEntry[]): LoreEntry[] {
  const taken = new Set<number>();
  const kept = read.map(({ requestedId }) => {
    if (requestedId === null || taken.has(requestedId)) return null;
    taken.add(requestedId);
    return requestedId;
  });
  let next = Math.max(-1, ...taken) + 1;
  return read.map(({ entry }, index) => ({ id: kept[index] ?? next++, ...entry }));
}

export function toCardCharacterBook(book: Lorebook): CardCharacterBook {
  return {
    name: book.name,
    description: book.description,
    scan_depth: book.scan_depth,
    token_budget: book.token_budget,
    recursive_scanning: book.recursive_scanning,
    extensions: book.extensions,
    entries: book.entries.map(toCardLoreEntry),
  };
}

function toCardLoreEntry(entry: LoreEntry): CardLoreEntry {
  return {
    id: entry.id,
    keys: entry.keys,
    secondary_keys: entry.secondary_keys,
    content: entry.content,
    extensions: entry.extensions,
    enabled: entry.enabled,
    insertion_order: entry.insertion_order,
    case_sensitive: entry.case_sensitive,
    use_regex: entry.use_regex,
    constant: entry.constant,
    selective: entry.selective,
    priority: entry.priority,
    name: entry.name,
    comment: entry.name,
  };
}
