/**
 * The dashboard's Characters page in a real Chromium (test/browser/browser.ts), against the admin API over an
 * e2e harness: a Character Card V2 built here is imported from a file, listed in the roster, exported as JSON
 * and PNG (the PNG imported back over it), retired and activated again; malformed cards show the API's own
 * refusal and add nobody; a channel's cast and scenario are set and cleared. Names are the accessible ones
 * dashboard/README.md lists.
 */
import fs from 'node:fs';
import type { Browser, Download, Locator, Page } from 'playwright-core';
import { startHarness, type Harness } from '../e2e/harness';
import { goTo, launchChromium, openTab, screenshot, signIn, textOf as textWithin, type Tab } from './browser';
import { startDashboard, type Dashboard } from './dashboard';

const TOKEN = 'browser-characters-test-token';
const UI_MS = 15_000;
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** A Character Card V2 as SillyTavern writes it, with a lorebook and an extension the system does not use. */
const CLEVELAND_CARD = {
  spec: 'chara_card_v2',
  spec_version: '2.0',
  data: {
    name: 'Cleveland',
    description: '{{char}} Brown runs a deli in Quahog and speaks softly, even when {{user}} is rude.',
    personality: 'Mild, polite, easily flustered.',
    scenario: 'The gang is at the Drunken Clam.',
    first_mes: "Oh, that's nice.",
    mes_example: '<START>\n{{user}}: Hi Cleveland\n{{char}}: Well, hello there.',
    creator_notes: 'built by the browser test',
    system_prompt: '',
    post_history_instructions: '',
    alternate_greetings: [],
    tags: ['family guy'],
    creator: 'browser test',
    character_version: '1',
    extensions: { talkativeness: '0.4', favourite_colour: 'brown' },
    character_book: {
      name: 'Stoolbend',
      extensions: {},
      entries: [
        {
          keys: ['Stoolbend'],
          content: 'Stoolbend, Virginia is where Cleveland moved for a while.',
          extensions: {},
          enabled: true,
          insertion_order: 0,
          id: 1,
        },
      ],
    },
  },
};

let h: Harness;
let dashboard: Dashboard;
let browser: Browser;
let tab: Tab;

beforeAll(async () => {
  h = await startHarness();
  dashboard = await startDashboard(h, TOKEN);
  browser = await launchChromium();
});

beforeEach(async () => {
  tab = await openTab(browser, dashboard.url);
  await signIn(tab.page, TOKEN);
  await goTo(tab.page, 'Characters');
});

afterEach(async () => {
  await tab?.close();
});

afterAll(async () => {
  await browser?.close();
  await dashboard?.close();
  await h?.stop();
});

const textOf = (locator: Locator, pattern: RegExp) => textWithin(locator, pattern, UI_MS);

/** The admin API with the bearer token, as the CLI calls it. */
async function adminApi(method: 'GET' | 'POST', path: string, body?: { bytes: Buffer; type: string }) {
  const res = await fetch(`${dashboard.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { 'content-type': body.type } : {}) },
    body: body?.bytes,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function rosterNames(): Promise<Array<{ name: string; status: string }>> {
  const { body } = await adminApi('GET', '/characters');
  return (body.characters as Array<{ name: string; status: string }>).map(({ name, status }) => ({
    name,
    status,
  }));
}

/** Chooses a file in the import form (as a person picking it would), ticks Replace if asked, and imports. */
async function importCard(
  page: Page,
  file: { name: string; mimeType: string; buffer: Buffer },
  replace = false,
) {
  const form = page.getByRole('form', { name: 'Import a character card' });
  await form.getByLabel('Card file (JSON or PNG)').setInputFiles(file);
  await form.getByLabel('Replace the character of the same name').setChecked(replace);
  await form.getByRole('button', { name: 'Import' }).click();
}

/** Clicks a download link and returns the downloaded bytes. */
async function download(page: Page, linkName: string): Promise<Buffer> {
  const started = page.waitForEvent('download', { timeout: UI_MS });
  await page.getByRole('link', { name: linkName }).click();
  const done: Download = await started;
  const file = await done.path();
  return fs.readFileSync(file);
}

describe('characters page', () => {
  it('imports a V2 JSON card from a file, lists it, exports it as JSON and PNG, re-imports the PNG, retires and activates it', async () => {
    const { page } = tab;
    const cardBytes = Buffer.from(JSON.stringify(CLEVELAND_CARD, null, 2));
    await importCard(page, { name: 'cleveland.json', mimeType: 'application/json', buffer: cardBytes });
    const outcome = page.getByTestId('import-outcome').getByRole('status');
    expect(await textOf(outcome, /Imported/)).toBe(
      'Imported Cleveland: prompt version card-1, 1 lorebook entry, 1 organic starter.',
    );

    const roster = page.getByRole('table', { name: 'Roster' });
    const row = roster.getByTestId('character-Cleveland');
    expect(await textOf(row.getByTestId('character-status'), /active/)).toMatch(/active$/);
    // The harness gives Cleveland no token of its own and runs no cast bot; the built-ins have their own bots.
    expect(await row.getByTestId('character-delivery').textContent()).toBe('offline (no token)');
    expect(await roster.getByTestId('character-Peter').getByTestId('character-delivery').textContent()).toBe(
      'own bot',
    );
    expect(await textOf(row.getByTestId('character-lorebook'), /Stoolbend/)).toBe('Stoolbend, 1 entry');
    expect(await row.getByRole('link', { name: 'card-1' }).getAttribute('href')).toBe(
      '#/prompts?character=Cleveland',
    );

    const json = JSON.parse((await download(page, 'Export Cleveland as JSON')).toString('utf8')) as {
      spec: string;
      data: Record<string, unknown> & { character_book: { entries: Array<{ keys: string[] }> } };
    };
    expect(json.spec).toBe('chara_card_v3');
    expect(json.data).toMatchObject({
      name: 'Cleveland',
      description: CLEVELAND_CARD.data.description,
      personality: CLEVELAND_CARD.data.personality,
      first_mes: CLEVELAND_CARD.data.first_mes,
      creator_notes: CLEVELAND_CARD.data.creator_notes,
      extensions: expect.objectContaining({ favourite_colour: 'brown' }),
    });
    expect(json.data.character_book.entries.map((e) => e.keys)).toEqual([['Stoolbend']]);

    const png = await download(page, 'Export Cleveland as PNG');
    expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    expect(png.includes(Buffer.from('tEXtccv3\0', 'latin1'))).toBe(true);
    expect(png.includes(Buffer.from('tEXtchara\0', 'latin1'))).toBe(true);

    // The exported PNG imported back over Cleveland: the page sends it as image/png, the server reads its card.
    await importCard(page, { name: 'Cleveland.png', mimeType: 'image/png', buffer: png }, true);
    expect(await textOf(outcome, /card-2/)).toBe(
      'Imported Cleveland: prompt version card-2, 1 lorebook entry, 1 organic starter.',
    );
    expect(await textOf(row.getByRole('link', { name: /^card-/ }), /card-2/)).toBe('card-2');
    await expectVisible(row.getByRole('img', { name: 'Avatar of Cleveland' }));

    await row.getByRole('button', { name: 'Retire Cleveland' }).click();
    expect(await textOf(page.getByTestId('roster-outcome').getByRole('status'), /Retired/)).toBe(
      'Retired Cleveland: it answers nowhere now; its history stays.',
    );
    expect(await textOf(row.getByTestId('character-status'), /retired/)).toMatch(/retired$/);
    expect(await rosterNames()).toContainEqual({ name: 'Cleveland', status: 'retired' });

    await row.getByRole('button', { name: 'Activate Cleveland' }).click();
    expect(await textOf(row.getByTestId('character-status'), /active/)).toMatch(/active$/);
    expect(await rosterNames()).toContainEqual({ name: 'Cleveland', status: 'active' });
  });

  it('shows the API’s own refusal of a malformed JSON card and of a corrupt PNG card, and adds nobody', async () => {
    const { page } = tab;
    tab.expectConsoleError(/status of 400 .* at \/characters\/import$/);
    const before = await rosterNames();
    const malformed = [
      {
        name: 'broken.json',
        mimeType: 'application/json',
        type: 'application/json',
        buffer: Buffer.from('{"spec": "chara_card_v2", "data": {"name": '),
      },
      // A PNG cut off inside its first chunk.
      {
        name: 'broken.png',
        mimeType: 'image/png',
        type: 'image/png',
        buffer: Buffer.concat([PNG_SIGNATURE, Buffer.from([0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 1, 2])]),
      },
    ];
    for (const { type, ...file } of malformed) {
      const refusal = await adminApi('POST', '/characters/import', { bytes: file.buffer, type });
      expect(refusal.status).toBe(400);
      expect(refusal.body.error).toEqual(expect.any(String));

      await importCard(page, file);
      const alert = page.getByTestId('import-outcome').getByRole('alert');
      expect(await textOf(alert, exactly(refusal.body.error as string))).toBe(refusal.body.error);
    }
    expect(await rosterNames()).toEqual(before);
  });

  it('sets a channel’s cast and scenario, shows them, and returns the channel to the defaults', async () => {
    const { page } = tab;
    const channelId = h.channelId;
    const scenario = 'The gang is stuck in an elevator at the Quahog Mall.';
    const form = page.getByRole('form', { name: 'Cast and scenario of a channel' });
    await form.getByLabel('Channel ID').fill(channelId);
    await form.getByLabel('Only these characters').check();
    await form.getByRole('checkbox', { name: 'Peter' }).check();
    await form.getByRole('checkbox', { name: 'Brian' }).check();
    await form.getByLabel('Scenario').fill(scenario);
    await form.getByLabel('Follow-up chain limit').fill('2');
    await form.getByRole('button', { name: 'Save channel' }).click();
    expect(await textOf(form.getByTestId('channel-outcome').getByRole('status'), /Saved/)).toBe(
      `Saved channel ${channelId}: Peter, Brian.`,
    );

    const row = page.getByRole('table', { name: 'Channel settings' }).getByTestId(`channel-${channelId}`);
    expect(await textOf(row, /Peter, Brian/)).toContain(scenario);
    const stored = await adminApi('GET', `/channels/${channelId}`);
    expect(stored.body).toMatchObject({ cast: ['Peter', 'Brian'], scenario, follow_up_max_chain: 2 });
    await screenshot(page, 'characters');

    await form.getByLabel('Channel ID').fill('');
    await row.getByRole('button', { name: `Edit ${channelId}` }).click();
    expect(await form.getByLabel('Channel ID').inputValue()).toBe(channelId);
    expect(await form.getByLabel('Scenario').inputValue()).toBe(scenario);
    expect(await form.getByRole('checkbox', { name: 'Stewie' }).isChecked()).toBe(false);

    await form.getByRole('button', { name: 'Use the defaults' }).click();
    expect(await textOf(form.getByTestId('channel-outcome').getByRole('status'), /defaults/)).toMatch(
      /^Channel \d+ uses the defaults again/,
    );
    await row.waitFor({ state: 'detached', timeout: UI_MS });
  });
});

function exactly(text: string): RegExp {
  return new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
}

async function expectVisible(locator: Locator): Promise<void> {
  await locator.waitFor({ state: 'visible', timeout: UI_MS });
}
