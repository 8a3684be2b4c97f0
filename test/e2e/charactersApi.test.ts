/**
 * The admin API's roster, card, avatar, lorebook and channel routes, and the CLI over them, against a
 * real store (FerretDB) and a listening admin server.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startAdminServer } from '../../src/admin/server';
import { BUILTIN_CHARACTERS } from '../../src/characters/builtin';
import { cardToPng, MAX_CARD_FILE_BYTES, parseCardFile } from '../../src/characters/cards';
import { LiveRoster, profilesOf } from '../../src/characters/liveRoster';
import { logger } from '../../src/logger';
import { openStore, type Store } from '../../src/store/mongo';
import { fixtureCard, fixtureJson, pngWith } from '../fixtures/cards/build';
import { runAdminCli } from './processes';

const TOKEN = `admin-${randomUUID()}`;
let store: Store;
let connection: Connection;
let admin: Awaited<ReturnType<typeof startAdminServer>>;
let dir: string;
let roster: LiveRoster;

beforeAll(async () => {
  store = await openStore(process.env.MONGODB_URI as string, `fgbots_chars_${randomUUID().slice(0, 8)}`);
  await store.characterRoster.seed(profilesOf(BUILTIN_CHARACTERS));
  await store.characterPrompts.seedDefaults(BUILTIN_CHARACTERS);
  connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS as string });
  roster = new LiveRoster(store, { refreshMs: 3_600_000, initial: [], log: logger });
  admin = await startAdminServer({
    host: '127.0.0.1',
    port: 0,
    token: TOKEN,
    cookieSecure: false,
    store,
    temporal: new Client({ connection }),
    taskQueue: `chars-${randomUUID()}`,
    crawlDefaults: { baseUrl: 'http://127.0.0.1:9', maxPages: 5, delayMs: 0, seedTitles: [] },
    // A roster this process would not re-read on its own within the tests: only the API's refresh.
    characters: () => roster.active(),
    refreshRoster: () => roster.refresh(),
    delivery: { botTokenNames: ['peter'], castBot: true },
    checks: {},
    log: logger,
  });
  dir = await mkdtemp(join(tmpdir(), 'fg-cards-'));
});

afterAll(async () => {
  await admin?.close();
  await connection?.close();
  await store?.db.dropDatabase();
  await store?.close();
});

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
  bytes: Buffer;
}

async function call(
  method: string,
  path: string,
  body?: unknown,
  options: { token?: string | null; type?: string } = {},
): Promise<Answer> {
  const token = options.token === undefined ? TOKEN : options.token;
  const raw = typeof body === 'string' || Buffer.isBuffer(body);
  const res = await fetch(`${admin.url}${path}`, {
    method,
    headers: {
      ...(token && { authorization: `Bearer ${token}` }),
      ...(body !== undefined && { 'content-type': options.type ?? 'application/json' }),
    },
    body: body === undefined ? undefined : raw ? body : JSON.stringify(body),
  });
  const bytes = Buffer.from(await res.arrayBuffer());
  let parsed: Record<string, unknown> = {};
  if (res.headers.get('content-type')?.includes('json'))
    parsed = JSON.parse(bytes.toString()) as typeof parsed;
  return { status: res.status, headers: res.headers, body: parsed, bytes };
}

const rosterNames = async () =>
  ((await call('GET', '/characters')).body.characters as Array<{ name: string }>).map((c) => c.name);

const quagmireJson = () => Buffer.from(fixtureJson('quagmire.v2.json'));
const AVATAR = pngWith();

/** Cleveland's V3 card as a PNG whose image is AVATAR. */
function clevelandPng(): Buffer {
  return cardToPng(fixtureCard('cleveland.v3.json') as never, { mime: 'image/png', data: AVATAR });
}

describe('the roster', () => {
  it('lists every character with how it reaches Discord and its default prompt version', async () => {
    const { body } = await call('GET', '/characters');
    expect(body.characters).toEqual([
      expect.objectContaining({
        name: 'Peter',
        delivery: 'bot',
        source: 'builtin',
        default_prompt_version: 'v1.0',
      }),
      expect.objectContaining({ name: 'Brian', delivery: 'webhook', status: 'active', has_avatar: false }),
      expect.objectContaining({ name: 'Stewie', delivery: 'webhook', avatar_url: null }),
    ]);
  });

  it('adds a character with its v1.0 prompt, edits it, retires it and activates it again', async () => {
    const added = await call('POST', '/characters', {
      name: 'Joe',
      prompt_text: 'You are Joe Swanson.',
      fallback_line: 'Bring it on!',
      aliases: ['Swanson'],
    });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({
      name: 'Joe',
      aliases: ['joe', 'swanson'],
      talkativeness: 0.3,
      source: 'admin',
      default_prompt_version: 'v1.0',
    });
    expect((await store.characterPrompts.findDefault('Joe'))?.prompt_text).toBe('You are Joe Swanson.');

    const edited = await call('PATCH', '/characters/joe', {
      talkativeness: 0.9,
      organic_starters: ['Anyone up for a game?'],
      avatar_url: 'https://example.com/joe.png',
    });
    expect(edited.body).toMatchObject({
      name: 'Joe',
      talkativeness: 0.9,
      avatar_url: 'https://example.com/joe.png',
    });
    expect(roster.find('Joe')?.talkativeness).toBe(0.9);
    expect((await call('DELETE', '/characters/Joe')).body).toMatchObject({ status: 'retired' });
    expect((await store.characterRoster.active()).map((c) => c.name)).not.toContain('Joe');
    expect(roster.find('Joe')).toBeUndefined();
    expect((await call('PATCH', '/characters/Joe', { status: 'active' })).body).toMatchObject({
      status: 'active',
    });
  });
});

describe('card import and export', () => {
  it('imports a V2 JSON card, refuses it again without replace, and replaces with ?replace=true', async () => {
    const first = await call('POST', '/characters/import', quagmireJson());
    expect(first).toMatchObject({
      status: 201,
      body: { name: 'Glenn_Quagmire', prompt_version: 'card-1', lore_entries: 2, starters: 1 },
    });
    // The admin process sees its own import at once (the next /orchestrate or playground message can name it).
    expect(roster.find('Glenn_Quagmire')?.aliases).toContain('glenn quagmire');
    const again = await call('POST', '/characters/import', quagmireJson());
    expect(again.status).toBe(409);
    expect(again.body.error).toContain('exists already');
    const replaced = await call('POST', '/characters/import?replace=true', quagmireJson());
    expect(replaced).toMatchObject({ status: 201, body: { prompt_version: 'card-2' } });
    expect((await store.lorebooks.get('character:glenn_quagmire'))?.book.entries).toHaveLength(2);
  });

  it('imports a V3 PNG card whose image becomes the public avatar', async () => {
    const imported = await call('POST', '/characters/import', clevelandPng(), { type: 'image/png' });
    expect(imported).toMatchObject({ status: 201, body: { name: 'Cleveland_Brown', lore_entries: 3 } });
    const avatar = await call('GET', '/avatars/cleveland_brown', undefined, { token: null });
    expect(avatar.status).toBe(200);
    expect(avatar.headers.get('content-type')).toBe('image/png');
    expect(avatar.bytes.equals(AVATAR)).toBe(true); // the card's image without the card chunks
    const none = await call('GET', '/avatars/Peter', undefined, { token: null });
    expect(none).toMatchObject({ status: 404, body: { error: 'no avatar for "Peter"' } });
  });

  it('exports a card as JSON and as PNG (attachments) that import to the same prompt', async () => {
    const prompt = await store.characterPrompts.findDefault('Cleveland_Brown');
    const json = await call('GET', '/characters/Cleveland_Brown/card');
    expect(json.headers.get('content-disposition')).toBe('attachment; filename="Cleveland_Brown.json"');
    expect(json.body).toMatchObject({ spec: 'chara_card_v3', data: { name: 'Cleveland_Brown' } });
    const png = await call('GET', '/characters/cleveland_brown/card?format=png');
    expect(png.headers.get('content-type')).toBe('image/png');
    for (const bytes of [json.bytes, png.bytes])
      expect(parseCardFile(bytes).prompt.prompt_text).toBe(prompt?.prompt_text);
    const peter = parseCardFile((await call('GET', '/characters/Peter/card')).bytes);
    expect(peter.prompt.prompt_text).toBe(BUILTIN_CHARACTERS[0]?.promptText);
  });

  it('refuses a bad card with its reason and writes nothing', async () => {
    const before = await rosterNames();
    const lore = await store.lorebooks.list();
    const noName = JSON.stringify({ spec: 'chara_card_v2', spec_version: '2.0', data: { name: '' } });
    const answers = await Promise.all([
      call('POST', '/characters/import', noName),
      call('POST', '/characters/import', clevelandPng().subarray(0, 200), { type: 'image/png' }),
      call('POST', '/characters/import', '{"spec": '),
    ]);
    for (const answer of answers) expect(answer.status).toBe(400);
    expect(answers[0]?.body.error).toContain('data.name');
    for (const answer of answers) expect(answer.body.error).toMatch(/^(card|png|json)/);
    expect(await rosterNames()).toEqual(before);
    expect(await store.lorebooks.list()).toEqual(lore);
  });
});

describe('lorebooks', () => {
  const entry = { keys: ['Clam'], content: 'The Drunken Clam is a bar in Quahog.' };

  it('stores a book per scope with its defaults, lists, shows and deletes it', async () => {
    const put = await call('PUT', '/lorebooks/channel:c-1', { name: 'Quahog', entries: [entry] });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({
      scope: 'channel:c-1',
      book: {
        name: 'Quahog',
        scan_depth: 4,
        token_budget: 512,
        entries: [expect.objectContaining({ keys: ['Clam'], enabled: true })],
      },
    });
    // A name in any case is the character's scope.
    expect((await call('PUT', '/lorebooks/character:Peter', { name: 'P', entries: [] })).body.scope).toBe(
      'character:peter',
    );
    const list = await call('GET', '/lorebooks');
    expect(list.body.lorebooks).toEqual(
      expect.arrayContaining([expect.objectContaining({ scope: 'channel:c-1', name: 'Quahog', entries: 1 })]),
    );
    expect((await call('GET', '/lorebooks/channel:c-1')).body.book).toMatchObject({ name: 'Quahog' });
    expect((await call('DELETE', '/lorebooks/channel:c-1')).body).toEqual({ deleted: 'channel:c-1' });
    expect((await call('GET', '/lorebooks/channel:c-1')).status).toBe(404);
  });

  it('takes a book bigger than other bodies (up to 1 MiB)', async () => {
    const entries = Array.from({ length: 40 }, (_, i) => ({ keys: [`k${i}`], content: 'x'.repeat(3000) }));
    const put = await call('PUT', '/lorebooks/global', { name: 'Big', entries });
    expect(put.status).toBe(200);
    await call('DELETE', '/lorebooks/global');
  });
});

describe('channels', () => {
  it('stores a cast in roster spelling, a scenario and a follow-up cap, and clears them', async () => {
    const put = await call('PUT', '/channels/c-7', {
      cast: ['peter', 'BRIAN', 'Peter'],
      scenario: 'At the Clam.',
    });
    expect(put.body).toMatchObject({ channel_id: 'c-7', cast: ['Peter', 'Brian'], scenario: 'At the Clam.' });
    const capped = await call('PUT', '/channels/c-7', { follow_up_max_chain: 0, scenario: null });
    expect(capped.body).toMatchObject({ cast: ['Peter', 'Brian'], scenario: null, follow_up_max_chain: 0 });
    expect((await call('GET', '/channels')).body.channels).toEqual([
      expect.objectContaining({ channel_id: 'c-7' }),
    ]);
    expect((await call('GET', '/channels/c-7')).body).toMatchObject({ follow_up_max_chain: 0 });
    const live = await call('PUT', '/channels/c-7', { live_replies: true });
    expect(live.body).toMatchObject({ cast: ['Peter', 'Brian'], follow_up_max_chain: 0, live_replies: true });
    const refused = await call('PUT', '/channels/c-7', { live_replies: 'yes' });
    expect(refused).toMatchObject({
      status: 400,
      body: { error: expect.stringContaining('live_replies: expected true, false, or null') },
    });
    expect((await call('DELETE', '/channels/c-7')).body).toEqual({ deleted: 'c-7' });
    expect((await call('GET', '/channels/c-7')).status).toBe(404);
  });

  it('sets who answers unnamed messages and the join chance, and refuses other values', async () => {
    const put = await call('PUT', '/channels/c-9', { unnamed_messages: 'coordinator', join_chance: 0.1 });
    expect(put.body).toMatchObject({ cast: null, unnamed_messages: 'coordinator', join_chance: 0.1 });
    const reset = await call('PUT', '/channels/c-9', { join_chance: null });
    expect(reset.body).toMatchObject({ unnamed_messages: 'coordinator', join_chance: null });
    for (const [body, message] of [
      [{ unnamed_messages: 'everyone' }, 'unnamed_messages: expected addressed-only or coordinator, or null'],
      [{ join_chance: 2 }, 'join_chance: expected a number 0-1, or null'],
    ] as const) {
      expect(await call('PUT', '/channels/c-9', body)).toMatchObject({
        status: 400,
        body: { error: expect.stringContaining(message) },
      });
    }
    expect((await call('GET', '/channels/c-9')).body).toMatchObject({ unnamed_messages: 'coordinator' });
  });
});

describe('hostile requests to the roster routes', () => {
  it.each([
    ['no token', 'GET', '/characters', undefined, { token: null }, 401, 'admin token'],
    ['an import without a token', 'POST', '/characters/import', '{}', { token: null }, 401, 'admin token'],
    [
      'a bad name',
      'POST',
      '/characters',
      { name: '1x', prompt_text: 'p', fallback_line: 'f' },
      {},
      400,
      'name: expected a letter',
    ],
    [
      'a missing prompt',
      'POST',
      '/characters',
      { name: 'Lois', fallback_line: 'f' },
      {},
      400,
      'prompt_text: expected',
    ],
    [
      'a taken name',
      'POST',
      '/characters',
      { name: 'PETER', prompt_text: 'p', fallback_line: 'f' },
      {},
      409,
      'exists already',
    ],
    [
      'an unknown field',
      'PATCH',
      '/characters/Peter',
      { talkativeness: 0.5, voice: 'x' },
      {},
      400,
      'unknown field "voice"',
    ],
    [
      'talkativeness over 1',
      'PATCH',
      '/characters/Peter',
      { talkativeness: 2 },
      {},
      400,
      'talkativeness: expected a number 0-1',
    ],
    ['an empty change', 'PATCH', '/characters/Peter', {}, {}, 400, 'at least one field'],
    [
      'a bad status',
      'PATCH',
      '/characters/Peter',
      { status: 'gone' },
      {},
      400,
      'status: expected one of active, retired',
    ],
    [
      'a non-http avatar URL',
      'PATCH',
      '/characters/Peter',
      { avatar_url: 'javascript:alert(1)' },
      {},
      400,
      'avatar_url',
    ],
    [
      'an unknown character',
      'DELETE',
      '/characters/Nobody',
      undefined,
      {},
      404,
      'no character named "Nobody"',
    ],
    ['an unknown card', 'GET', '/characters/Nobody/card', undefined, {}, 404, 'no character named'],
    [
      'a bad card format',
      'GET',
      '/characters/Peter/card?format=gif',
      undefined,
      {},
      400,
      'format: expected one of json, png',
    ],
    ['an empty import', 'POST', '/characters/import', undefined, {}, 400, 'send the card file'],
    [
      'an import as text',
      'POST',
      '/characters/import',
      'hello',
      { type: 'text/plain' },
      415,
      'not text/plain',
    ],
    [
      'a card over 4 MiB',
      'POST',
      '/characters/import',
      Buffer.alloc(MAX_CARD_FILE_BYTES + 1, 32),
      {},
      413,
      `over ${MAX_CARD_FILE_BYTES} bytes`,
    ],
    ['a V1 card', 'POST', '/characters/import', '{"name": "Old", "description": "x"}', {}, 400, 'card'],
    [
      'a bad lore scope',
      'PUT',
      '/lorebooks/guild:1',
      { name: 'x', entries: [] },
      {},
      400,
      'scope: expected global',
    ],
    [
      'a bad lorebook',
      'PUT',
      '/lorebooks/global',
      { name: 'x', entries: [{ content: 5 }] },
      {},
      400,
      'entries',
    ],
    [
      'a lorebook with an unknown field',
      'PUT',
      '/lorebooks/global',
      { name: 'x', entries: [], oops: 1 },
      {},
      400,
      'oops',
    ],
    [
      'an unknown lorebook',
      'DELETE',
      '/lorebooks/channel:none',
      undefined,
      {},
      404,
      'no lorebook for channel:none',
    ],
    [
      'a cast of strangers',
      'PUT',
      '/channels/c-8',
      { cast: ['Peter', 'Quagmire'] },
      {},
      400,
      'cast: no character named "Quagmire"',
    ],
    [
      'a cast that is not a list',
      'PUT',
      '/channels/c-8',
      { cast: 'Peter' },
      {},
      400,
      'cast: expected an array',
    ],
    [
      'a follow-up cap of 21',
      'PUT',
      '/channels/c-8',
      { follow_up_max_chain: 21 },
      {},
      400,
      'follow_up_max_chain: expected an integer 0-20',
    ],
    ['an empty channel change', 'PUT', '/channels/c-8', {}, {}, 400, 'expected at least one of'],
    ['a bad channel id', 'PUT', '/channels/a%20b', { cast: null }, {}, 400, 'id: expected'],
    ['an unknown channel', 'DELETE', '/channels/c-8', undefined, {}, 404, 'no settings of its own'],
  ] as const)('refuses %s, saying why', async (_what, method, path, body, options, status, message) => {
    const answer = await call(method, path, body, options);
    expect(answer.status).toBe(status);
    expect(answer.body.error).toEqual(expect.stringContaining(message));
  });
});

describe('the CLI', () => {
  const cli = (...args: string[]) => runAdminCli(args, { adminUrl: admin.url, adminToken: TOKEN, cwd: dir });

  it('imports a PNG card and exports it again, then re-imports the export with --replace', async () => {
    const card = fixtureCard('cleveland.v3.json');
    card.data.name = 'Loretta Brown';
    const file = join(dir, 'loretta.png');
    await writeFile(file, cardToPng(card as never, null));
    const imported = await cli('characters', 'import', file);
    expect(imported.stderr).toBe('');
    expect(JSON.parse(imported.stdout)).toMatchObject({ name: 'Loretta_Brown', prompt_version: 'card-1' });

    const exported = await cli('characters', 'export', 'Loretta_Brown', '--png', '--out', 'out.png');
    expect(JSON.parse(exported.stdout)).toMatchObject({ wrote: 'out.png' });
    expect(parseCardFile(await readFile(join(dir, 'out.png'))).profile.name).toBe('Loretta_Brown');
    const json = await cli('characters', 'export', 'Loretta_Brown');
    expect(JSON.parse(json.stdout)).toMatchObject({ wrote: 'Loretta_Brown.json' });

    const refused = await cli('characters', 'import', join(dir, 'Loretta_Brown.json'));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('409');
    const replaced = await cli('characters', 'import', join(dir, 'Loretta_Brown.json'), '--replace');
    expect(JSON.parse(replaced.stdout)).toMatchObject({ prompt_version: 'card-2' });
  });

  it('sets a cast and scenario, a lorebook from a file, and adds and retires a character', async () => {
    const set = await cli('channels', 'set', 'c-cli', '--cast', 'peter, stewie', '--scenario', 'Game night.');
    expect(JSON.parse(set.stdout)).toMatchObject({ cast: ['Peter', 'Stewie'], scenario: 'Game night.' });
    const everyone = await cli('channels', 'set', 'c-cli', '--everyone', '--follow-ups', '2', '--live');
    expect(JSON.parse(everyone.stdout)).toMatchObject({
      cast: null,
      follow_up_max_chain: 2,
      live_replies: true,
    });
    const unnamed = await cli(
      'channels',
      'set',
      'c-cli',
      '--unnamed',
      'coordinator',
      '--join-chance',
      '0.05',
    );
    expect(JSON.parse(unnamed.stdout)).toMatchObject({ unnamed_messages: 'coordinator', join_chance: 0.05 });
    const defaults = await cli('channels', 'set', 'c-cli', '--unnamed-default', '--join-chance-default');
    expect(JSON.parse(defaults.stdout)).toMatchObject({ unnamed_messages: null, join_chance: null });

    await writeFile(
      join(dir, 'book.json'),
      JSON.stringify({ name: 'World', entries: [{ keys: ['a'], content: 'b' }] }),
    );
    const lore = await cli('lore', 'set', 'global', '--file', join(dir, 'book.json'));
    expect(JSON.parse(lore.stdout)).toMatchObject({ scope: 'global', book: { name: 'World' } });
    const books = JSON.parse((await cli('lore', 'list')).stdout) as { lorebooks: unknown[] };
    expect(books.lorebooks).toEqual(
      expect.arrayContaining([expect.objectContaining({ scope: 'global', entries: 1 })]),
    );

    await writeFile(join(dir, 'lois.txt'), 'You are Lois Griffin.');
    const added = await cli(
      'characters',
      'add',
      'Lois',
      '--prompt-file',
      'lois.txt',
      '--fallback',
      'Oh, Peter.',
      '--alias',
      'mrs griffin',
      '--talkativeness',
      '0.5',
    );
    expect(JSON.parse(added.stdout)).toMatchObject({
      name: 'Lois',
      aliases: ['lois', 'mrs griffin'],
      talkativeness: 0.5,
    });
    expect(JSON.parse((await cli('characters', 'retire', 'Lois')).stdout)).toMatchObject({
      status: 'retired',
    });
  });

  it('explains bad usage with exit code 2', async () => {
    const both = await cli('channels', 'set', 'c-cli', '--cast', 'Peter', '--everyone');
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('use one of --cast, --everyone');
    const missing = await cli('characters', 'add', 'Lois');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--prompt-file');
  });
});
