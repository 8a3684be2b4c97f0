import {
  MAX_PROMPT_LORE_CHARS,
  MAX_SCANNED_CHARS,
  MAX_SCANNED_CHARS_PER_BOOK,
  selectLore,
  type ScopedBook,
} from '../../src/lore/match';
import { loreSnippet } from '../../src/lore/snippet';
import type { LoreEntry, Lorebook, LoreScope } from '../../src/lore/types';

let nextId = 0;
const entry = (fields: Partial<LoreEntry>): LoreEntry => ({
  id: nextId++,
  name: `entry ${nextId}`,
  keys: [],
  secondary_keys: [],
  selective: false,
  constant: false,
  enabled: true,
  insertion_order: 100,
  priority: 10,
  use_regex: false,
  case_sensitive: false,
  content: 'lore',
  extensions: {},
  ...fields,
});
const book = (entries: LoreEntry[], fields: Partial<Lorebook> = {}): Lorebook => ({
  name: 'Quahog',
  description: '',
  scan_depth: 4,
  token_budget: 512,
  recursive_scanning: false,
  extensions: {},
  entries,
  ...fields,
});
const scoped = (scope: LoreScope, ...entries: LoreEntry[]): ScopedBook => ({ scope, book: book(entries) });
/** The names of the entries chosen for one global book and these messages (newest first). */
const chosen = (entries: LoreEntry[], recent: string[], fields: Partial<Lorebook> = {}): string[] =>
  selectLore([{ scope: 'global', book: book(entries, fields) }], recent).map((lore) => lore.name);

describe('selectLore: which entries a conversation triggers', () => {
  it('finds a plain key as a whole word, in any case', () => {
    const drunken = entry({ name: 'clam', keys: ['Drunken Clam'] });
    expect(chosen([drunken], ['meet me at the drunken clam!'])).toEqual(['clam']);
    expect(chosen([drunken], ['the drunken clams are closed'])).toEqual([]);
    expect(chosen([entry({ name: 'meg', keys: ['Meg'] })], ['Megan said hi'])).toEqual([]);
    expect(chosen([entry({ name: 'meg', keys: ['Meg'] })], ['shut up, meg.'])).toEqual(['meg']);
  });

  it('matches a key that ends with punctuation, and letters beyond ASCII as letters', () => {
    expect(chosen([entry({ name: 'c', keys: ['C++'] })], ['I like C++.'])).toEqual(['c']);
    expect(chosen([entry({ name: 'cafe', keys: ['café'] })], ['CAFÉ time'])).toEqual(['cafe']);
    expect(chosen([entry({ name: 'cafe', keys: ['café'] })], ['cafées'])).toEqual([]);
    expect(chosen([entry({ name: 'k', keys: ['Ködi'] })], ['xködi'])).toEqual([]);
  });

  it('finds keys of several words, with punctuation, only where each word is whole', () => {
    const weed = entry({ name: 'weed', keys: ['Mr. Weed'] });
    expect(chosen([weed], ['ask mr. weed about it'])).toEqual(['weed']);
    expect(chosen([weed], ['ask mr. weedy'])).toEqual([]);
    expect(chosen([weed], ['ask hmr. weed'])).toEqual([]);
    expect(chosen([entry({ name: 'dot', keys: ['.45'] })], ['a .45 magnum'])).toEqual(['dot']);
  });

  it('respects case_sensitive', () => {
    const strict = entry({ name: 'Stewie', keys: ['Stewie'], case_sensitive: true });
    expect(chosen([strict], ['stewie is here'])).toEqual([]);
    expect(chosen([strict], ['Stewie is here'])).toEqual(['Stewie']);
  });

  it('scans only the scan_depth newest messages, each only up to MAX_SCANNED_CHARS', () => {
    const clam = entry({ name: 'clam', keys: ['clam'] });
    const recent = ['one', 'two', 'three', 'the clam'];
    expect(chosen([clam], recent, { scan_depth: 3 })).toEqual([]);
    expect(chosen([clam], recent, { scan_depth: 4 })).toEqual(['clam']);
    expect(chosen([clam], [`${'x '.repeat(MAX_SCANNED_CHARS / 2)}clam`])).toEqual([]);
    // All messages of one book together: at most MAX_SCANNED_CHARS_PER_BOOK, newest first.
    const long = 'y'.repeat(MAX_SCANNED_CHARS);
    const filler = Array.from({ length: MAX_SCANNED_CHARS_PER_BOOK / MAX_SCANNED_CHARS }, () => long);
    expect(chosen([clam], [...filler, 'clam'], { scan_depth: 50 })).toEqual([]);
    expect(chosen([clam], [...filler.slice(1), 'clam'], { scan_depth: 50 })).toEqual(['clam']);
  });

  it('needs a secondary key too for a selective entry that has some', () => {
    const selective = entry({
      name: 's',
      keys: ['Peter'],
      secondary_keys: ['beer', 'Pawtucket'],
      selective: true,
    });
    expect(chosen([selective], ['Peter is home'])).toEqual([]);
    expect(chosen([selective], ['Peter wants a beer'])).toEqual(['s']);
    expect(chosen([selective], ['Pawtucket', 'Peter'])).toEqual(['s']);
    // Not selective: the secondary keys do not matter; selective without any: the keys alone.
    expect(chosen([{ ...selective, selective: false }], ['Peter is home'])).toEqual(['s']);
    expect(chosen([{ ...selective, secondary_keys: [] }], ['Peter is home'])).toEqual(['s']);
  });

  it('always takes a constant entry, never a disabled or empty one', () => {
    expect(chosen([entry({ name: 'always', constant: true })], [])).toEqual(['always']);
    expect(chosen([entry({ name: 'off', constant: true, enabled: false })], [])).toEqual([]);
    expect(chosen([entry({ name: 'off', keys: ['x'], enabled: false })], ['x'])).toEqual([]);
    expect(chosen([entry({ name: 'empty', constant: true, content: '  ' })], [])).toEqual([]);
  });

  it('says why each entry was chosen', () => {
    const lore = selectLore(
      [
        scoped(
          'character:peter',
          entry({ id: 7, name: 'always', constant: true, keys: ['clam'], content: 'A' }),
          entry({ id: 8, name: 'clam', keys: ['bar', 'clam'], content: 'B' }),
          entry({
            id: 9,
            name: 'sel',
            keys: ['clam'],
            secondary_keys: ['beer'],
            selective: true,
            content: 'C',
          }),
        ),
      ],
      ['a clam and a beer'],
    );
    expect(lore).toEqual([
      {
        scope: 'character:peter',
        book: 'Quahog',
        entryId: 7,
        name: 'always',
        content: 'A',
        reason: 'constant',
      },
      {
        scope: 'character:peter',
        book: 'Quahog',
        entryId: 8,
        name: 'clam',
        content: 'B',
        reason: 'key: clam',
      },
      {
        scope: 'character:peter',
        book: 'Quahog',
        entryId: 9,
        name: 'sel',
        content: 'C',
        reason: 'key: clam, secondary key: beer',
      },
    ]);
  });
});

describe('selectLore: regex keys', () => {
  const regex = (keys: string[], fields: Partial<LoreEntry> = {}) =>
    entry({ name: 'r', keys, use_regex: true, ...fields });

  it('takes /pattern/flags and bare patterns (case-insensitive unless case_sensitive)', () => {
    expect(chosen([regex(['/gigg(i|e)ty/'])], ['Giggity!'])).toEqual([]);
    expect(chosen([regex(['/gigg(i|e)ty/i'])], ['Giggity!'])).toEqual(['r']);
    expect(chosen([regex(['gigg(i|e)ty'])], ['GIGGETY'])).toEqual(['r']);
    expect(chosen([regex(['gigg(i|e)ty'], { case_sensitive: true })], ['GIGGETY'])).toEqual([]);
    // g and y would make the test depend on the one before.
    const sticky = regex(['/clam/gy']);
    expect(chosen([sticky], ['clam'])).toEqual(['r']);
    expect(chosen([sticky], ['clam'])).toEqual(['r']);
  });

  it('never matches, and never throws, with an invalid, too long or nested-quantifier pattern', () => {
    for (const bad of ['(unclosed', '/x/q', `${'a'.repeat(201)}`, '(a+)+$', '(\\w*\\s){2,}x', '/(x+x+)+y/']) {
      expect(chosen([regex([bad]), regex(['nothing'])], ['a'.repeat(300), 'x'.repeat(40)])).toEqual([]);
    }
    // A key that never matches does not stop a later one from matching.
    expect(chosen([regex(['(unclosed', 'clam'])], ['clam'])).toEqual(['r']);
  });

  it('gives up on a key that backtracks too long, and then on its own, so a later key still matches', () => {
    // Star height 1 (not refused), case-insensitive and Unicode: it would run for hours.
    const slow = regex(['/\\s*\\s*\\s*\\s*\\s*x/iu', 'clam']);
    const spaces = ' '.repeat(MAX_SCANNED_CHARS - 10);
    for (const attempt of [1, 2]) {
      const started = Date.now();
      expect(chosen([slow], [`${spaces}clam`])).toEqual(['r']);
      expect(Date.now() - started).toBeLessThan(attempt === 1 ? 1000 : 100);
    }
  });
});

describe('selectLore: budgets and order', () => {
  const sized = (name: string, chars: number, fields: Partial<LoreEntry> = {}) =>
    entry({ name, constant: true, content: 'x'.repeat(chars), ...fields });

  it('fills each book up to its token budget: constants, then priority, then insertion order', () => {
    const entries = [
      sized('low', 40, { constant: false, keys: ['k'], priority: 1 }),
      sized('high', 40, { constant: false, keys: ['k'], priority: 50 }),
      sized('constant', 40, { priority: 0 }),
      sized('early', 40, { constant: false, keys: ['k'], priority: 1, insertion_order: 1 }),
    ];
    // 10 tokens each (40 characters / 4).
    expect(chosen(entries, ['k'], { token_budget: 10 })).toEqual(['constant']);
    // The result is in insertion order (then book order), whatever decided what fits.
    expect(chosen(entries, ['k'], { token_budget: 20 })).toEqual(['high', 'constant']);
    expect(chosen(entries, ['k'], { token_budget: 39 })).toEqual(['early', 'high', 'constant']);
    expect(chosen(entries, ['k'], { token_budget: 40 })).toEqual(['early', 'low', 'high', 'constant']);
  });

  it('leaves out an entry that does not fit but takes smaller ones after it', () => {
    const entries = [sized('big', 400, { priority: 9 }), sized('small', 4, { priority: 1 })];
    expect(chosen(entries, [], { token_budget: 50 })).toEqual(['small']);
    // Tokens are characters / 4 rounded up: 5 characters cost 2.
    expect(chosen([sized('five', 5)], [], { token_budget: 1 })).toEqual([]);
    expect(chosen([sized('five', 5)], [], { token_budget: 2 })).toEqual(['five']);
  });

  it('keeps all books together within MAX_PROMPT_LORE_CHARS', () => {
    const half = MAX_PROMPT_LORE_CHARS / 2;
    const big = (scope: LoreScope, priority: number): ScopedBook => ({
      scope,
      book: book([sized(scope, half, { priority })], { token_budget: 8192 }),
    });
    const lore = selectLore([big('global', 1), big('character:peter', 3), big('channel:42', 2)], []);
    expect(lore.map((l) => l.scope)).toEqual(['character:peter', 'channel:42']);
  });

  it('puts the result in insertion order, then global, character, channel', () => {
    const lore = selectLore(
      [
        scoped('channel:42', entry({ name: 'channel 1', constant: true, insertion_order: 1 })),
        scoped('character:peter', entry({ name: 'peter 1', constant: true, insertion_order: 1 })),
        scoped(
          'global',
          entry({ name: 'global 2', constant: true, insertion_order: 2 }),
          entry({ name: 'global 1', constant: true, insertion_order: 1 }),
        ),
      ],
      [],
    );
    expect(lore.map((l) => l.name)).toEqual(['global 1', 'peter 1', 'channel 1', 'global 2']);
  });

  it('is deterministic: the same input gives the same output', () => {
    const entries = Array.from({ length: 30 }, (_, i) =>
      sized(`e${i}`, 30 + (i % 7), { priority: i % 3, insertion_order: i % 5 }),
    );
    const first = chosen(entries, [], { token_budget: 100 });
    expect(chosen([...entries], [], { token_budget: 100 })).toEqual(first);
    expect(first.length).toBeGreaterThan(0);
  });
});

describe('loreSnippet', () => {
  it('records where the entry came from and why', () => {
    expect(
      loreSnippet({
        scope: 'channel:42',
        book: 'Quahog',
        entryId: 3,
        name: 'clam',
        content: 'The Drunken Clam is the bar.',
        reason: 'key: clam',
      }),
    ).toEqual({
      text: 'The Drunken Clam is the bar.',
      source_url: 'lorebook:channel:42#3',
      score: 1,
      origin: 'lorebook',
      lore: { scope: 'channel:42', book: 'Quahog', entry_id: 3, name: 'clam', reason: 'key: clam' },
    });
  });
});
