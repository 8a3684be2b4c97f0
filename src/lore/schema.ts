import Ajv, { type ErrorObject } from 'ajv';
import { MAX_LORE_KEY_CHARS, parseRegexKey } from './regexKeys';
import { DEFAULT_SCAN_DEPTH, DEFAULT_TOKEN_BUDGET, type LoreEntry, type Lorebook } from './types';

/**
 * What a lorebook may be, for PUT /lorebooks/:scope (and anything else that stores one): the JSON
 * Schema (documentation and shape, with defaults for absent fields) and parseLorebook, which also
 * checks what a schema cannot (unique entry ids, regex keys that compile and are safe to run) and
 * answers every problem with its field's path (`entries.3.keys.0: ...`).
 */

export const MAX_LORE_ENTRIES = 500;
export const MAX_KEYS_PER_ENTRY = 100;
export const MAX_LORE_CONTENT_CHARS = 32_000;
export const MAX_LORE_NAME_CHARS = 200;
export const SCAN_DEPTH_RANGE = { minimum: 1, maximum: 50 } as const;
export const TOKEN_BUDGET_RANGE = { minimum: 1, maximum: 8192 } as const;
/** Defaults of an entry's optional numbers (SillyTavern's). */
export const DEFAULT_INSERTION_ORDER = 100;
export const DEFAULT_PRIORITY = 10;
/** Problems named in a LorebookError's message; the rest are counted. */
const MAX_PROBLEMS_IN_MESSAGE = 10;

type Schema = Record<string, unknown>;

const text = (maxLength: number, extra: Schema = {}): Schema => ({ type: 'string', maxLength, ...extra });
const flag = (fallback: boolean): Schema => ({ type: 'boolean', default: fallback });
const keyList = (description: string): Schema => ({
  type: 'array',
  description,
  maxItems: MAX_KEYS_PER_ENTRY,
  items: text(MAX_LORE_KEY_CHARS, { minLength: 1 }),
  default: [],
});
const freeObject = { type: 'object', description: 'kept as given, exported again', default: {} };

const LORE_ENTRY_SCHEMA: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['content'],
  properties: {
    id: {
      type: 'integer',
      minimum: 0,
      maximum: 1_000_000_000,
      description: 'unique in the book; assigned when absent',
    },
    name: text(MAX_LORE_NAME_CHARS, { default: '' }),
    keys: keyList('any of these in the scanned messages triggers the entry'),
    secondary_keys: keyList('with selective: one of these must appear too'),
    selective: flag(false),
    constant: flag(false),
    enabled: flag(true),
    insertion_order: {
      type: 'number',
      default: DEFAULT_INSERTION_ORDER,
      description: 'lower first in the prompt',
    },
    priority: {
      type: 'number',
      default: DEFAULT_PRIORITY,
      description: 'higher kept first when over budget',
    },
    use_regex: flag(false),
    case_sensitive: flag(false),
    content: text(MAX_LORE_CONTENT_CHARS),
    extensions: freeObject,
  },
};

export const LOREBOOK_SCHEMA: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['entries'],
  properties: {
    name: text(MAX_LORE_NAME_CHARS, { default: '' }),
    description: text(MAX_LORE_CONTENT_CHARS, { default: '' }),
    scan_depth: { type: 'integer', ...SCAN_DEPTH_RANGE, default: DEFAULT_SCAN_DEPTH },
    token_budget: { type: 'integer', ...TOKEN_BUDGET_RANGE, default: DEFAULT_TOKEN_BUDGET },
    recursive_scanning: flag(false),
    extensions: freeObject,
    entries: { type: 'array', maxItems: MAX_LORE_ENTRIES, items: LORE_ENTRY_SCHEMA },
  },
};

/** The input, with every field present, checked; what reaches it is a complete book but for ids. */
type FilledBook = Omit<Lorebook, 'entries'> & { entries: Array<Omit<LoreEntry, 'id'> & { id?: number }> };

const validate = new Ajv({ allErrors: true, verbose: true, useDefaults: true }).compile<FilledBook>(
  LOREBOOK_SCHEMA,
);

export class LorebookError extends Error {
  override name = 'LorebookError';
  constructor(readonly problems: string[]) {
    const named = problems.slice(0, MAX_PROBLEMS_IN_MESSAGE).join('; ');
    const more = problems.length - MAX_PROBLEMS_IN_MESSAGE;
    super(more > 0 ? `${named}; and ${more} more problems` : named);
  }
}

/** The lorebook in `input` with defaults filled and ids assigned, or a LorebookError naming every problem. */
export function parseLorebook(input: unknown): Lorebook {
  const filled: unknown = structuredClone(input); // Ajv writes the defaults into what it checks
  if (!validate(filled)) throw new LorebookError((validate.errors ?? []).map(problemOf));
  const problems = filled.entries.flatMap((entry, index) => regexKeyProblems(entry, index));
  problems.push(...duplicateIdProblems(filled.entries));
  if (problems.length > 0) throw new LorebookError(problems);
  return { ...filled, entries: withIds(filled.entries) };
}

/** Every problem of `input` as a lorebook; none when parseLorebook accepts it. */
export function lorebookProblems(input: unknown): string[] {
  try {
    parseLorebook(input);
    return [];
  } catch (error) {
    if (error instanceof LorebookError) return error.problems;
    throw error;
  }
}

function regexKeyProblems(entry: FilledBook['entries'][number], index: number): string[] {
  if (!entry.use_regex) return [];
  return (['keys', 'secondary_keys'] as const).flatMap((field) =>
    entry[field].flatMap((key, keyIndex) => {
      const parsed = parseRegexKey(key, entry.case_sensitive);
      return 'problem' in parsed ? [`entries.${index}.${field}.${keyIndex}: ${parsed.problem}`] : [];
    }),
  );
}

function duplicateIdProblems(entries: FilledBook['entries']): string[] {
  const firstWithId = new Map<number, number>();
  const problems: string[] = [];
  entries.forEach(({ id }, index) => {
    if (id === undefined) return;
    const first = firstWithId.get(id);
    if (first === undefined) firstWithId.set(id, index);
    else problems.push(`entries.${index}.id: ${id} is already the id of entries.${first}`);
  });
  return problems;
}

/** Entries without an id get the next ones after the highest given, in order. */
function withIds(entries: FilledBook['entries']): LoreEntry[] {
  let next = Math.max(-1, ...entries.map((entry) => entry.id ?? -1)) + 1;
  return entries.map((entry) => ({ ...entry, id: entry.id ?? next++ }));
}

/** One schema problem, worded for a person: the field's path, then what was wrong with it. */
function problemOf(error: ErrorObject): string {
  const path = error.instancePath.split('/').slice(1).join('.');
  const within = (name: unknown) => (path ? `${path}.${String(name)}` : String(name));
  if (error.keyword === 'additionalProperties')
    return `unknown field "${within((error.params as { additionalProperty: string }).additionalProperty)}"`;
  if (error.keyword === 'required')
    return `${within((error.params as { missingProperty: string }).missingProperty)}: required`;
  return `${path || 'lorebook'}: ${expected(error)}`;
}

function expected(error: ErrorObject): string {
  const schema = (error.parentSchema ?? {}) as Schema;
  const data: unknown = error.data;
  switch (error.keyword) {
    case 'maxLength':
      return `${String(data).length} characters, at most ${String(schema.maxLength)}`;
    case 'minLength':
      return 'expected a non-empty string';
    case 'maxItems':
      return `${(data as unknown[]).length} items, at most ${String(schema.maxItems)}`;
  }
  switch (schema.type) {
    case 'integer':
      return `expected an integer ${String(schema.minimum)}-${String(schema.maximum)}`;
    case 'boolean':
      return 'expected true or false';
    case 'object':
      return 'expected an object';
    case 'array':
      return 'expected an array';
    default:
      return `expected a ${String(schema.type)}`;
  }
}
