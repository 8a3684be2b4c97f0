import { randomUUID } from 'node:crypto';
import { cardToJson, cardToPng, characterToCard, parseCardFile } from '../../src/characters/cards';
import { addCharacter, characterForExport, importCharacter } from '../../src/characters/importCharacter';
import type { CharacterImport, CharacterProfile } from '../../src/characters/profile';
import { parseLorebook } from '../../src/lore/schema';
import type { Lorebook } from '../../src/lore/types';
import { CharacterExistsError, UnknownCharacterError } from '../../src/store/characterRoster';
import { parseLoreScope } from '../../src/store/lorebooks';
import { openStore, type Store } from '../../src/store/mongo';
import { fixtureJson } from '../fixtures/cards/build';

let store: Store;

beforeAll(async () => {
  store = await openStore(process.env.MONGODB_URI as string, `fgbots_roster_${randomUUID().slice(0, 8)}`);
});

afterAll(async () => {
  await store?.db.dropDatabase();
  await store?.close();
});

function profile(name: string, overrides: Partial<CharacterProfile> = {}): CharacterProfile {
  const now = new Date();
  return {
    name,
    aliases: [name],
    fallback_line: `${name} is lost for words.`,
    talkativeness: 0.3,
    organic_starters: [],
    avatar: null,
    avatar_url: null,
    status: 'active',
    source: 'builtin',
    card: null,
    created_at: now,
    updated_at: now,
    ...overrides,
  };
}

/** A book of one entry per content (keyed key1, key2, ...), with the schema's defaults. */
function book(name: string, contents: string[]): Lorebook {
  return parseLorebook({
    name,
    entries: contents.map((content, index) => ({
      id: index + 1,
      name: `entry ${index + 1}`,
      keys: [`key${index + 1}`],
      content,
    })),
  });
}

const fixture = (file: string): CharacterImport => parseCardFile(Buffer.from(fixtureJson(file)));

/** What the store holds of a character, to compare before and after a failed import. */
async function snapshot(name: string) {
  const scope = parseLoreScope(`character:${name}`);
  return {
    roster: await store.characterRoster.find(name),
    prompts: await store.characterPrompts.list(name),
    lore: scope && (await store.lorebooks.get(scope)),
  };
}

describe('CharacterRoster', () => {
  it('seeds missing characters only: an edit and a retirement survive the next seeding', async () => {
    expect(await store.characterRoster.seed([profile('Peter'), profile('Brian')])).toEqual([
      'Peter',
      'Brian',
    ]);
    await store.characterRoster.update('peter', { fallback_line: 'Edited by an admin.' });
    await store.characterRoster.retire('BRIAN');
    expect(await store.characterRoster.seed([profile('Peter'), profile('Brian'), profile('Stewie')])).toEqual(
      ['Stewie'],
    );
    expect((await store.characterRoster.find('Peter'))?.fallback_line).toBe('Edited by an admin.');
    expect((await store.characterRoster.active()).map((c) => c.name)).toEqual(['Peter', 'Stewie']);
    expect((await store.characterRoster.list({ includeRetired: true })).map((c) => c.status)).toEqual([
      'active',
      'retired',
      'active',
    ]);
    await store.characterRoster.setStatus('Brian', 'active');
    expect((await store.characterRoster.active()).map((c) => c.name)).toEqual(['Peter', 'Brian', 'Stewie']);
  });

  it('refuses a name that exists in any case, and changes to a character it does not have', async () => {
    await expect(store.characterRoster.add({ ...profile('PETER'), source: 'admin' })).rejects.toBeInstanceOf(
      CharacterExistsError,
    );
    await expect(store.characterRoster.update('Nobody', { talkativeness: 1 })).rejects.toBeInstanceOf(
      UnknownCharacterError,
    );
    await expect(store.characterRoster.retire('Nobody')).rejects.toThrow('no character named "Nobody"');
  });

  it('keeps aliases lower-case with the name first, and an avatar as the same bytes', async () => {
    const data = Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3, 0, 255]);
    await store.characterRoster.add({
      ...profile('Meg'),
      aliases: ['  MEG ', 'Megan', 'megan'],
      avatar: { mime: 'image/png', data },
      source: 'admin',
    });
    const meg = await store.characterRoster.find('meg');
    expect(meg?.aliases).toEqual(['meg', 'megan']);
    expect(meg?.avatar?.data.equals(data)).toBe(true);
    expect(Buffer.isBuffer(meg?.avatar?.data)).toBe(true);
    expect(await store.characterRoster.avatar('MEG')).toEqual({ mime: 'image/png', data });
    expect(await store.characterRoster.avatar('Peter')).toBeNull();
    expect(await store.characterRoster.avatar('Nobody')).toBeNull();
  });
});

describe('Lorebooks', () => {
  it('stores one book per scope and gives a reply the global, character and channel books in that order', async () => {
    await store.lorebooks.put('channel:c-1', book('Channel', ['the channel']), 'admin');
    await store.lorebooks.put('global', book('World', ['the world']), 'admin');
    await store.lorebooks.put('character:peter', book('Peter', ['peter']), 'admin');
    await store.lorebooks.put('character:peter', book('Peter v2', ['peter again']), 'admin');
    await store.lorebooks.put('character:brian', book('Brian', ['brian']), 'admin');
    const forPeter = await store.lorebooks.forReply({ character: 'Peter', channelId: 'c-1' });
    expect(forPeter.map(({ scope, book }) => [scope, book.name])).toEqual([
      ['global', 'World'],
      ['character:peter', 'Peter v2'],
      ['channel:c-1', 'Channel'],
    ]);
    const elsewhere = await store.lorebooks.forReply({ character: 'Stewie', channelId: 'c-2' });
    expect(elsewhere.map((b) => b.scope)).toEqual(['global']);
    expect((await store.lorebooks.list()).map((b) => b.scope)).toEqual([
      'channel:c-1',
      'character:brian',
      'character:peter',
      'global',
    ]);
    expect(await store.lorebooks.delete('character:brian')).toBe(true);
    expect(await store.lorebooks.delete('character:brian')).toBe(false);
    expect(await store.lorebooks.get('character:brian')).toBeNull();
  });

  it('parses scopes, lower-casing a character name and refusing anything else', () => {
    expect(parseLoreScope('global')).toBe('global');
    expect(parseLoreScope('character:Peter')).toBe('character:peter');
    expect(parseLoreScope('channel:123456789012345678')).toBe('channel:123456789012345678');
    for (const bad of ['Global', 'character:', 'character:1abc', 'channel:a b', 'guild:1', 'channel:a:b'])
      expect(parseLoreScope(bad)).toBeNull();
  });
});

describe('ChannelSettings', () => {
  it('changes only the fields given, and forgets a channel on delete', async () => {
    expect(await store.channelSettings.get('c-9')).toBeNull();
    await store.channelSettings.put('c-9', { cast: ['Peter'] }, 'admin');
    const set = await store.channelSettings.put('c-9', { scenario: 'At the Clam.' }, 'cli');
    expect(set).toMatchObject({
      channel_id: 'c-9',
      cast: ['Peter'],
      scenario: 'At the Clam.',
      follow_up_max_chain: null,
      updated_by: 'cli',
    });
    await store.channelSettings.put('c-9', { cast: null, follow_up_max_chain: 0 }, 'admin');
    expect(await store.channelSettings.get('c-9')).toMatchObject({ cast: null, follow_up_max_chain: 0 });
    expect((await store.channelSettings.list()).map((c) => c.channel_id)).toEqual(['c-9']);
    expect(await store.channelSettings.delete('c-9')).toBe(true);
    expect(await store.channelSettings.list()).toEqual([]);
  });
});

describe('importCharacter', () => {
  it('writes the prompt version (the default), the lorebook and the roster entry', async () => {
    const result = await importCharacter(store, fixture('quagmire.v2.json'), { replace: false, by: 'test' });
    expect(result).toEqual({
      name: 'Glenn_Quagmire',
      prompt_version: 'card-1',
      lore_entries: 2,
      starters: 1,
    });
    const { roster, prompts, lore } = await snapshot('Glenn_Quagmire');
    expect(roster).toMatchObject({ source: 'card', status: 'active', talkativeness: 0.6 });
    expect(roster?.card?.data).toMatchObject({ creator: 'spooner' });
    expect(prompts.map((p) => [p.prompt_version, p.is_default])).toEqual([['card-1', true]]);
    expect(prompts[0]?.card_fields?.personality).toContain('Smooth');
    expect(lore?.book.entries).toHaveLength(2);
  });

  it('refuses an existing name without replace, writing nothing', async () => {
    const before = await snapshot('Glenn_Quagmire');
    const again = fixture('quagmire.v2.json');
    await expect(importCharacter(store, again, { replace: false, by: 'test' })).rejects.toThrow(
      'a character named "Glenn_Quagmire" exists already',
    );
    expect(await snapshot('Glenn_Quagmire')).toEqual(before);
  });

  it('with replace, promotes a new card version over the old one and replaces the lorebook', async () => {
    const imp = fixture('quagmire.v2.json');
    imp.profile.name = 'glenn_QUAGMIRE'; // any case names the same character
    imp.prompt.prompt_text = 'A second take.';
    imp.lorebook = book('Smaller', ['only one']);
    const result = await importCharacter(store, imp, { replace: true, by: 'test' });
    expect(result).toMatchObject({ name: 'Glenn_Quagmire', prompt_version: 'card-2', lore_entries: 1 });
    const { prompts, lore } = await snapshot('Glenn_Quagmire');
    expect(prompts.map((p) => [p.prompt_version, p.is_default])).toEqual([
      ['card-1', false],
      ['card-2', true],
    ]);
    expect(prompts[1]?.change_log.at(-1)).toMatchObject({ action: 'promoted', replaced_version: 'card-1' });
    expect(lore?.book.name).toBe('Smaller');
  });

  it('undoes what it wrote when the roster write fails: a new character is not half there', async () => {
    const failing = rosterFailing();
    await expect(
      importCharacter(failing, fixture('cleveland.v3.json'), { replace: false, by: 'test' }),
    ).rejects.toThrow('roster down');
    expect(await snapshot('Cleveland_Brown')).toEqual({ roster: null, prompts: [], lore: null });
  });

  it('undoes a replace that fails: the old default and lorebook are back, the new version gone', async () => {
    const before = await snapshot('Glenn_Quagmire');
    const imp = fixture('quagmire.v2.json');
    await expect(importCharacter(rosterFailing(), imp, { replace: true, by: 'test' })).rejects.toThrow(
      'roster down',
    );
    const after = await snapshot('Glenn_Quagmire');
    expect(after.roster).toEqual(before.roster);
    expect(after.lore?.book).toEqual(before.lore?.book);
    expect(after.prompts.map((p) => [p.prompt_version, p.is_default, p.prompt_text])).toEqual(
      before.prompts.map((p) => [p.prompt_version, p.is_default, p.prompt_text]),
    );
  });

  it('exports a character as a card that imports again to the same prompt and lorebook', async () => {
    await importCharacter(store, fixture('cleveland.v3.json'), { replace: false, by: 'test' });
    const exported = await characterForExport(store, 'cleveland_brown');
    const card = characterToCard(exported);
    for (const bytes of [Buffer.from(cardToJson(card)), cardToPng(card, exported.profile.avatar)]) {
      const again = parseCardFile(bytes);
      expect(again.prompt.prompt_text).toBe(exported.promptText);
      expect(again.lorebook).toEqual(exported.lorebook);
      expect(again.profile.organic_starters).toEqual(exported.profile.organic_starters);
    }
  });
});

describe('addCharacter', () => {
  it('adds the character with its v1.0 prompt, or refuses a taken name', async () => {
    const added = await addCharacter(
      store,
      {
        name: 'Joe',
        aliases: ['swanson'],
        prompt_text: 'You are Joe Swanson.',
        fallback_line: 'Bring it on!',
        talkativeness: 0.4,
        organic_starters: [],
        avatar_url: null,
      },
      'admin',
    );
    expect(added.prompt_version).toBe('v1.0');
    expect(added.profile).toMatchObject({ name: 'Joe', aliases: ['joe', 'swanson'], source: 'admin' });
    expect((await store.characterPrompts.findDefault('Joe'))?.prompt_text).toBe('You are Joe Swanson.');
    await expect(
      addCharacter(
        store,
        {
          name: 'JOE',
          aliases: [],
          prompt_text: 'x',
          fallback_line: 'x',
          talkativeness: 0.3,
          organic_starters: [],
          avatar_url: null,
        },
        'admin',
      ),
    ).rejects.toBeInstanceOf(CharacterExistsError);
    expect(await store.characterPrompts.list('JOE')).toEqual([]);
  });
});

/** The store, with a roster whose writes fail (as when MongoDB goes away mid-import). */
function rosterFailing(): Store {
  const fail = () => Promise.reject(new Error('roster down'));
  const characterRoster = Object.create(store.characterRoster) as Store['characterRoster'];
  characterRoster.add = fail;
  characterRoster.update = fail;
  return { ...store, characterRoster };
}
