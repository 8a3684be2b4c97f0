import { SHARED_RULES, BUILTIN_CHARACTERS } from '../../src/characters/builtin';
import {
  cardToJson,
  cardToPng,
  characterToCard,
  composeCardPrompt,
  parseCardFile,
  parseCardJson,
} from '../../src/characters/cards';
import type { CharacterImport, CharacterProfile } from '../../src/characters/profile';
import {
  base64Json,
  fixtureCard,
  fixtureJson,
  pngWith,
  textChunk,
  textChunksOf,
} from '../fixtures/cards/build';

/** The roster entry an import service would store for an import. */
function storedProfile(imported: CharacterImport): CharacterProfile {
  return {
    ...imported.profile,
    avatar_url: null,
    status: 'active',
    source: 'card',
    card: imported.card,
    created_at: new Date(0),
    updated_at: new Date(0),
  };
}

function exportAgain(imported: CharacterImport) {
  return characterToCard({
    profile: storedProfile(imported),
    promptText: imported.prompt.prompt_text,
    cardFields: imported.prompt.card_fields,
    lorebook: imported.lorebook,
  });
}

/** What must survive an export and a re-import. */
function essentials(imported: CharacterImport) {
  return { profile: imported.profile, prompt: imported.prompt, lorebook: imported.lorebook };
}

describe('card import: the mapping', () => {
  it('maps a V2 card: roster name, aliases, prompt, starters, talkativeness, lorebook, kept data', () => {
    const imported = parseCardJson(fixtureJson('quagmire.v2.json'));
    expect(imported.profile).toEqual({
      name: 'Glenn_Quagmire',
      aliases: ['glenn_quagmire', 'glenn quagmire'],
      fallback_line: 'Glenn Quagmire is lost for words for a moment. Ask again?',
      talkativeness: 0.6,
      organic_starters: ["Giggity! Look who's here."],
      avatar: null,
    });
    expect(imported.prompt.card_fields).toEqual({
      description: '{{char}} is an airline pilot who lives on Spooner Street in Quahog.',
      personality: 'Smooth, loud, obsessive, oddly loyal to his friends.',
      scenario: '{{char}} and {{user}} are at The Drunken Clam.',
      mes_example: '<START>\n{{user}}: How are you?\n{{char}}: Alright! Oh, oh, alright!',
      system_prompt: '',
      post_history_instructions: 'Stay in character as {{char}}.',
    });
    expect(imported.prompt.prompt_text).toBe(
      [
        'You are {{char}}, chatting in a Discord channel.',
        'DESCRIPTION:\n{{char}} is an airline pilot who lives on Spooner Street in Quahog.',
        'PERSONALITY:\nSmooth, loud, obsessive, oddly loyal to his friends.',
        'SCENARIO:\n{{char}} and {{user}} are at The Drunken Clam.',
        'EXAMPLE MESSAGES:\n<START>\n{{user}}: How are you?\n{{char}}: Alright! Oh, oh, alright!',
        'ALWAYS:\nStay in character as {{char}}.',
        SHARED_RULES,
      ].join('\n\n'),
    );
    expect(imported.lorebook).toEqual({
      name: 'Quahog',
      description: '',
      scan_depth: 6,
      token_budget: 300,
      recursive_scanning: false,
      extensions: {},
      entries: [
        {
          id: 1,
          name: 'The bar',
          keys: ['Drunken Clam', 'clam'],
          secondary_keys: [],
          selective: false,
          constant: false,
          enabled: true,
          insertion_order: 100,
          priority: 0,
          use_regex: false,
          case_sensitive: false,
          content: 'The Drunken Clam is the bar where {{char}} drinks with Peter, Joe and Cleveland.',
          extensions: { position: 0 },
        },
        expect.objectContaining({
          id: 2,
          name: 'Job',
          keys: ['airline'],
          secondary_keys: ['pilot', 'plane'],
          selective: true,
          priority: 5,
          insertion_order: 200,
        }),
      ],
    });
    expect(imported.card).toEqual({
      spec_version: '2.0',
      data: {
        creator_notes: 'Best with a short context.',
        alternate_greetings: ['Hey there, {{user}}.'],
        tags: ['family guy', 'pilot'],
        creator: 'spooner',
        character_version: '1.2',
        extensions: { fav: false, depth_prompt: { prompt: 'Giggity.', depth: 4 } },
      },
    });
  });

  it('maps a V3 card: nickname and fg_bots aliases, group greetings, {{original}}, regex entries, ids made unique', () => {
    const imported = parseCardJson(fixtureJson('cleveland.v3.json'));
    expect(imported.profile).toMatchObject({
      name: 'Cleveland_Brown',
      aliases: ['cleveland_brown', 'mr brown', 'cleveland brown', 'cleve'],
      fallback_line: "Oh, I don't know about that.",
      talkativeness: 0.2,
      organic_starters: ["Oh, that's nasty.", 'Hello, everybody!', 'Well, hello there.'],
    });
    expect(imported.prompt.prompt_text).toBe(
      [
        'You are {{char}}, the calmest man in Quahog. You are {{char}}, chatting in a Discord channel.',
        'DESCRIPTION:\n{{char}} is a soft-spoken delicatessen owner.',
        'PERSONALITY:\nPolite, mild, easily flustered.',
        SHARED_RULES,
      ].join('\n\n'),
    );
    const book = imported.lorebook!;
    expect(book).toMatchObject({ name: 'Cleveland Brown lorebook', scan_depth: 4, token_budget: 512 });
    expect(
      book.entries.map((e) => [e.id, e.name, e.use_regex, e.constant, e.enabled, e.case_sensitive]),
    ).toEqual([
      [7, 'Deli', true, false, true, false],
      [8, 'entry 2', false, true, true, false],
      [9, 'entry 3', false, false, false, true],
    ]);
    expect(book.entries[0]!.keys).toEqual(['/deli(catessen)?/i']);
    expect(imported.card.spec_version).toBe('3.0');
    expect(imported.card.data).toMatchObject({
      nickname: 'Cleve',
      source: ['https://example.org/cleveland'],
      creation_date: 1700000000,
      extensions: { world: 'Quahog' },
    });
    expect(imported.card.data).not.toHaveProperty('group_only_greetings');
  });

  it('reads talkativeness as a number or a numeric string, 0.3 when missing', () => {
    const withTalkativeness = (talkativeness: unknown) =>
      parseCardJson(
        JSON.stringify({ spec: 'chara_card_v2', data: { name: 'Joe', extensions: { talkativeness } } }),
      ).profile.talkativeness;
    expect(withTalkativeness(undefined)).toBe(0.3);
    expect(withTalkativeness(1)).toBe(1);
    expect(withTalkativeness(' 0.25 ')).toBe(0.25);
  });

  it.each([
    ['Glenn Quagmire', 'Glenn_Quagmire'],
    ['Zoë', 'Zoe'],
    ['Dr. Elmer Hartman', 'Dr_Elmer_Hartman'],
    ['  Mort  ', 'Mort'],
    ['Herbert-the-Pervert!', 'Herbert_the_Pervert'],
    ['Consuela_2', 'Consuela_2'],
  ])('turns the card name %j into the roster name %j', (cardName, rosterName) => {
    const imported = parseCardJson(JSON.stringify({ spec: 'chara_card_v3', data: { name: cardName } }));
    expect(imported.profile.name).toBe(rosterName);
    expect(imported.profile.aliases).toContain(cardName.trim().toLowerCase());
  });
});

describe('composeCardPrompt', () => {
  const empty = {
    description: '',
    personality: '',
    scenario: '',
    mes_example: '',
    system_prompt: '',
    post_history_instructions: '',
  };

  it('is the intro and the rules for a card with nothing in it', () => {
    expect(composeCardPrompt(empty)).toBe(
      `You are {{char}}, chatting in a Discord channel.\n\n${SHARED_RULES}`,
    );
  });

  it('keeps a prompt that already ends with the rules as it is, and puts card sections before those rules', () => {
    const prompt = `You are Mort.\n\n${SHARED_RULES}`;
    expect(composeCardPrompt({ ...empty, system_prompt: prompt })).toBe(prompt);
    expect(composeCardPrompt({ ...empty, system_prompt: prompt, scenario: 'A pharmacy.' })).toBe(
      `You are Mort.\n\nSCENARIO:\nA pharmacy.\n\n${SHARED_RULES}`,
    );
  });

  it('appends the rules after a card whose system_prompt has rules of its own', () => {
    const prompt = composeCardPrompt({ ...empty, system_prompt: 'HARD RULES: there are none.' });
    expect(prompt.endsWith(SHARED_RULES)).toBe(true);
  });
});

describe('card export and re-import', () => {
  it.each(['quagmire.v2.json', 'cleveland.v3.json'])('round-trips %s through V3 JSON', (file) => {
    const imported = parseCardJson(fixtureJson(file));
    const card = exportAgain(imported);
    expect(card).toMatchObject({ spec: 'chara_card_v3', spec_version: '3.0' });
    const again = parseCardJson(cardToJson(card));
    expect(essentials(again)).toEqual(essentials(imported));
    expect(again.card.data).toMatchObject(imported.card.data);
    expect(again.card.data.assets).toContainEqual({
      type: 'icon',
      uri: 'ccdefault:',
      name: 'main',
      ext: 'png',
    });
  });

  it('writes the V2 fields, our fg_bots extension and the kept extensions into the card', () => {
    const card = exportAgain(parseCardJson(fixtureJson('cleveland.v3.json')));
    expect(card.data).toMatchObject({
      name: 'Cleveland_Brown',
      nickname: 'Cleve',
      first_mes: "Oh, that's nasty.",
      group_only_greetings: ['Hello, everybody!', 'Well, hello there.'],
      system_prompt: 'You are {{char}}, the calmest man in Quahog. {{original}}',
      extensions: {
        world: 'Quahog',
        talkativeness: 0.2,
        fg_bots: {
          fallback_line: "Oh, I don't know about that.",
          aliases: ['cleveland_brown', 'mr brown', 'cleveland brown', 'cleve'],
        },
      },
    });
    expect(card.data.assets.filter((a) => a.type === 'icon')).toHaveLength(1);
    expect(card.data.assets).toContainEqual(expect.objectContaining({ type: 'background', name: 'deli' }));
  });

  it('round-trips through a V3 PNG: ccv3 and chara chunks, the avatar kept without the card in it', () => {
    const imported = parseCardFile(pngWith(textChunk('ccv3', base64Json(fixtureCard('cleveland.v3.json')))));
    expect(imported.profile.avatar?.mime).toBe('image/png');
    expect(textChunksOf(imported.profile.avatar!.data).size).toBe(0);
    const png = cardToPng(exportAgain(imported), imported.profile.avatar);
    const chunks = textChunksOf(png);
    expect([...chunks.keys()]).toEqual(['chara', 'ccv3']);
    const v2 = JSON.parse(Buffer.from(chunks.get('chara')!, 'base64').toString('utf8')) as {
      data: Record<string, unknown>;
    };
    expect(v2).toMatchObject({
      spec: 'chara_card_v2',
      spec_version: '2.0',
      data: { name: 'Cleveland_Brown' },
    });
    expect(v2.data).not.toHaveProperty('group_only_greetings');
    const again = parseCardFile(png);
    expect(essentials(again)).toEqual(essentials(imported));
  });

  it('reads a V2 PNG with only a chara chunk', () => {
    const card = fixtureCard('quagmire.v2.json');
    const imported = parseCardFile(
      pngWith(textChunk('Software', 'paint'), textChunk('chara', base64Json(card))),
    );
    const fromJson = parseCardJson(fixtureJson('quagmire.v2.json'));
    expect({ ...imported, profile: { ...imported.profile, avatar: null } }).toEqual(fromJson);
    expect(textChunksOf(imported.profile.avatar!.data)).toEqual(new Map([['Software', 'paint']]));
  });

  it('prefers ccv3 when a PNG has both chunks', () => {
    const png = pngWith(
      textChunk('chara', base64Json(fixtureCard('quagmire.v2.json'))),
      textChunk('ccv3', base64Json(fixtureCard('cleveland.v3.json'))),
    );
    expect(parseCardFile(png).profile.name).toBe('Cleveland_Brown');
  });

  it('reads JSON given as file bytes, with a byte order mark', () => {
    const bytes = Buffer.from(`\uFEFF${fixtureJson('quagmire.v2.json')}`, 'utf8');
    expect(parseCardFile(bytes).profile.name).toBe('Glenn_Quagmire');
  });

  it('exports a built-in character so that importing it gives the same prompt text', () => {
    const peter = BUILTIN_CHARACTERS[0]!;
    const profile: CharacterProfile = {
      name: peter.name,
      aliases: peter.aliases,
      fallback_line: peter.fallbackLine,
      talkativeness: 0.3,
      organic_starters: [],
      avatar: null,
      avatar_url: null,
      status: 'active',
      source: 'builtin',
      card: null,
      created_at: new Date(0),
      updated_at: new Date(0),
    };
    const card = characterToCard({ profile, promptText: peter.promptText, cardFields: null, lorebook: null });
    expect(card.data.system_prompt).toBe(peter.promptText);
    expect(card.data).not.toHaveProperty('character_book');
    const fromPng = parseCardFile(cardToPng(card, null));
    expect(fromPng.prompt.prompt_text).toBe(peter.promptText);
    expect(fromPng.profile).toMatchObject({
      name: 'Peter',
      aliases: peter.aliases,
      fallback_line: peter.fallbackLine,
      organic_starters: [],
    });
    expect(fromPng.profile.avatar?.mime).toBe('image/png');
    expect(fromPng.lorebook).toBeNull();
  });

  it('replaces the card chunks of an avatar PNG and uses a placeholder for a non-PNG avatar', () => {
    const imported = parseCardJson(fixtureJson('quagmire.v2.json'));
    const card = exportAgain(imported);
    const oldCard = pngWith(textChunk('ccv3', 'b2xk'), textChunk('chara', 'b2xk'));
    expect([...textChunksOf(cardToPng(card, { mime: 'image/png', data: oldCard })).keys()]).toEqual([
      'chara',
      'ccv3',
    ]);
    const fromJpeg = cardToPng(card, { mime: 'image/jpeg', data: Buffer.from([0xff, 0xd8, 0xff]) });
    expect(parseCardFile(fromJpeg).profile.name).toBe('Glenn_Quagmire');
  });
});
