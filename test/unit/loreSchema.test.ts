import {
  LorebookError,
  lorebookProblems,
  MAX_KEYS_PER_ENTRY,
  MAX_LORE_CONTENT_CHARS,
  MAX_LORE_ENTRIES,
  parseLorebook,
} from '../../src/lore/schema';

const minimal = { entries: [{ keys: ['clam'], content: 'The Drunken Clam is the bar.' }] };

describe('parseLorebook', () => {
  it('fills the defaults and assigns ids after the highest given', () => {
    const book = parseLorebook({
      entries: [{ content: 'a' }, { id: 5, content: 'b' }, { content: 'c' }],
    });
    expect(book).toEqual({
      name: '',
      description: '',
      scan_depth: 4,
      token_budget: 512,
      recursive_scanning: false,
      extensions: {},
      entries: [0, 1, 2].map((index) => ({
        id: [6, 5, 7][index],
        name: '',
        keys: [],
        secondary_keys: [],
        selective: false,
        constant: false,
        enabled: true,
        insertion_order: 100,
        priority: 10,
        use_regex: false,
        case_sensitive: false,
        content: ['a', 'b', 'c'][index],
        extensions: {},
      })),
    });
  });

  it('keeps what is given and does not change its input', () => {
    const input = {
      name: 'Quahog',
      scan_depth: 50,
      token_budget: 8192,
      extensions: { chub: { id: 1 } },
      entries: [{ id: 0, keys: ['x'], content: 'y', constant: true, priority: -3, extensions: { depth: 4 } }],
    };
    const copy = structuredClone(input);
    const book = parseLorebook(input);
    expect(input).toEqual(copy);
    expect(book).toMatchObject({ ...input, entries: [{ ...input.entries[0], enabled: true }] });
  });

  it('throws a LorebookError naming every problem', () => {
    const error = (() => {
      try {
        parseLorebook({ scan_depth: 0, entries: [{ keys: 'clam' }] });
      } catch (thrown) {
        return thrown;
      }
    })();
    expect(error).toBeInstanceOf(LorebookError);
    expect((error as LorebookError).name).toBe('LorebookError');
    expect((error as LorebookError).problems).toEqual([
      'scan_depth: expected an integer 1-50',
      'entries.0.content: required',
      'entries.0.keys: expected an array',
    ]);
    expect((error as Error).message).toBe((error as LorebookError).problems.join('; '));
  });

  it('names at most ten problems in its message and counts the rest', () => {
    const entries = Array.from({ length: 13 }, () => ({ keys: [] }));
    expect(() => parseLorebook({ entries })).toThrow(/entries\.9\.content: required; and 3 more problems$/);
  });
});

describe('lorebookProblems', () => {
  it('accepts a minimal book', () => {
    expect(lorebookProblems(minimal)).toEqual([]);
  });

  it.each<[string, unknown, string[]]>([
    ['not an object', [], ['lorebook: expected an object']],
    ['null', null, ['lorebook: expected an object']],
    ['no entries', {}, ['entries: required']],
    ['entries not a list', { entries: {} }, ['entries: expected an array']],
    [
      'too many entries',
      { entries: Array.from({ length: MAX_LORE_ENTRIES + 1 }, () => ({ content: 'x' })) },
      ['entries: 501 items, at most 500'],
    ],
    [
      'too many keys',
      {
        entries: [{ content: 'x', keys: Array.from({ length: MAX_KEYS_PER_ENTRY + 1 }, (_, i) => `k${i}`) }],
      },
      ['entries.0.keys: 101 items, at most 100'],
    ],
    [
      'a huge content',
      { entries: [{ content: 'x'.repeat(MAX_LORE_CONTENT_CHARS + 1) }] },
      ['entries.0.content: 32001 characters, at most 32000'],
    ],
    [
      'an empty key and a too long one',
      { entries: [{ content: 'x', secondary_keys: ['', 'k'.repeat(201)] }] },
      [
        'entries.0.secondary_keys.0: expected a non-empty string',
        'entries.0.secondary_keys.1: 201 characters, at most 200',
      ],
    ],
    [
      'a key that is not a string',
      { entries: [{ content: 'x', keys: [3] }] },
      ['entries.0.keys.0: expected a string'],
    ],
    ['scan_depth too deep', { ...minimal, scan_depth: 51 }, ['scan_depth: expected an integer 1-50']],
    ['scan_depth not an integer', { ...minimal, scan_depth: 2.5 }, ['scan_depth: expected an integer 1-50']],
    ['token_budget zero', { ...minimal, token_budget: 0 }, ['token_budget: expected an integer 1-8192']],
    [
      'token_budget too big',
      { ...minimal, token_budget: 8193 },
      ['token_budget: expected an integer 1-8192'],
    ],
    [
      'token_budget as text',
      { ...minimal, token_budget: '512' },
      ['token_budget: expected an integer 1-8192'],
    ],
    [
      'a flag as text',
      { entries: [{ content: 'x', constant: 'yes' }] },
      ['entries.0.constant: expected true or false'],
    ],
    [
      'priority as text',
      { entries: [{ content: 'x', priority: 'high' }] },
      ['entries.0.priority: expected a number'],
    ],
    ['extensions not an object', { ...minimal, extensions: [] }, ['extensions: expected an object']],
    [
      'a negative id',
      { entries: [{ id: -1, content: 'x' }] },
      ['entries.0.id: expected an integer 0-1000000000'],
    ],
    [
      'unknown fields, the prototype key among them',
      JSON.parse('{"entries": [{"content": "x", "comment": "c"}], "__proto__": {"polluted": true}}'),
      ['unknown field "__proto__"', 'unknown field "entries.0.comment"'],
    ],
    [
      'duplicate ids',
      {
        entries: [
          { id: 3, content: 'a' },
          { id: 4, content: 'b' },
          { id: 3, content: 'c' },
        ],
      },
      ['entries.2.id: 3 is already the id of entries.0'],
    ],
    [
      'bad regex keys (in use)',
      {
        entries: [
          { use_regex: true, keys: ['(unclosed', '/ok/i'], secondary_keys: ['(a+)+'], content: 'x' },
          { use_regex: false, keys: ['(unclosed'], content: 'plain keys are not patterns' },
        ],
      },
      [
        'entries.0.keys.0: not a valid regular expression (Invalid regular expression: /(unclosed/i: Unterminated group)',
        'entries.0.secondary_keys.0: a repeated group that repeats inside (like (a+)+) can take forever to match',
      ],
    ],
  ])('refuses %s', (_name, input, problems) => {
    expect(lorebookProblems(input)).toEqual(problems);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
