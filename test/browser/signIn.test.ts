/**
 * Signing in to the dashboard in a real Chromium, and the protections of the session it gets: a wrong token
 * is refused on the page, the session cookie is HttpOnly and SameSite=Strict and the token appears nowhere
 * in the page's address, a state-changing request without the CSRF token is refused (403), and a browser
 * without the cookie gets nothing from the API (401).
 */
import type { Browser, Locator } from 'playwright-core';
import { startHarness, type Harness } from '../e2e/harness';
import { launchChromium, openTab, screenshot, signIn, type Tab } from './browser';
import { startDashboard, type Dashboard } from './dashboard';

const TOKEN = 'browser-sign-in-test-token';
let h: Harness;
let dashboard: Dashboard;
let browser: Browser;
let tab: Tab;

beforeAll(async () => {
  h = await startHarness({ bots: false });
  dashboard = await startDashboard(h, TOKEN);
  browser = await launchChromium();
});

beforeEach(async () => {
  tab = await openTab(browser, dashboard.url);
});

afterEach(async () => {
  await tab?.close();
});

afterAll(async () => {
  await browser?.close();
  await dashboard?.close();
  await h?.stop();
});

/** What `fetch(path, init)` from inside the page answers: the status and the JSON error, if any. */
async function fetchFromPage(path: string, init: { method?: string; headers?: Record<string, string> }) {
  return tab.page.evaluate(
    async ({ path, init }) => {
      const response = await fetch(path, { ...init, credentials: 'same-origin' });
      const body = (await response.json().catch(() => null)) as { error?: string } | null;
      return { status: response.status, error: body?.error };
    },
    { path, init },
  );
}

describe('signing in', () => {
  it('refuses a wrong token with an alert and keeps the sign-in form', async () => {
    const { page } = tab;
    await screenshot(page, 'sign-in');
    await page.getByLabel('Admin token').fill('not-the-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expectVisible(page.getByRole('alert'));
    expect(await page.getByRole('alert').textContent()).toMatch(/token/i);
    expect(await page.getByRole('navigation').count()).toBe(0);
    expect(await page.getByLabel('Admin token').isVisible()).toBe(true);
  });

  it('lets the right token in, through an HttpOnly SameSite=Strict cookie, never putting the token in the address', async () => {
    const { page, context } = tab;
    await signIn(page, TOKEN);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBeTruthy();
    expect(page.url()).not.toContain(TOKEN);
    const cookies = await context.cookies();
    expect(cookies).toEqual([
      expect.objectContaining({ name: 'fg_admin_session', httpOnly: true, sameSite: 'Strict', path: '/' }),
    ]);
    expect(cookies[0]?.value).not.toContain(TOKEN);
    expect(
      await page.evaluate(() => (globalThis as unknown as { document: { cookie: string } }).document.cookie),
    ).toBe('');
    // A reload keeps the session (the cookie), and the page asks for no token again.
    await page.reload();
    await page.getByRole('navigation').waitFor();
    expect(await page.getByLabel('Admin token').count()).toBe(0);
  });

  it('works from the keyboard alone: Tab to the token field, type, Enter', async () => {
    const { page } = tab;
    await page.getByLabel('Admin token').waitFor();
    const field = page.getByLabel('Admin token');
    // The field may already have the focus (autofocus); otherwise it is a few Tabs away.
    for (let presses = 0; presses < 10 && !(await hasFocus(field)); presses++) {
      await page.keyboard.press('Tab');
    }
    expect(await hasFocus(field)).toBe(true);
    await page.keyboard.type(TOKEN);
    await page.keyboard.press('Enter');
    await page.getByRole('navigation').waitFor();
  });

  it('signs out: the cookie no longer opens the API and the sign-in form is back', async () => {
    const { page } = tab;
    await signIn(page, TOKEN);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Admin token').waitFor();
    tab.expectConsoleError(/status of 401 .* at \/dashboard\/overview$/);
    expect(await fetchFromPage('/dashboard/overview', {})).toMatchObject({ status: 401 });
  });
});

describe('requests the session does not allow', () => {
  it('refuses a state-changing request from the page without the CSRF token (403), and accepts it with one', async () => {
    const { page } = tab;
    await signIn(page, TOKEN);
    tab.expectConsoleError(/status of 403 .* at \/dead_letters\//);
    const id = await h.store.deadLetterQueue.record({
      failed_event_payload: {},
      error_details: 'deliverReply: 403 Missing Access',
      retry_attempts: 1,
      workflow_type: 'ReplyWorkflow',
      workflow_id: 'reply-csrf-test-peter',
      failed_step: 'deliverReply',
    });
    const discard = `/dead_letters/${encodeURIComponent(id)}/discard`;
    const json = { 'content-type': 'application/json' };
    expect(await fetchFromPage(discard, { method: 'POST', headers: json })).toEqual({
      status: 403,
      error: 'missing or wrong CSRF token',
    });
    expect(
      await fetchFromPage(discard, { method: 'POST', headers: { ...json, 'x-csrf-token': 'forged' } }),
    ).toEqual({ status: 403, error: 'missing or wrong CSRF token' });
    expect(await h.store.deadLetterQueue.collection.findOne({ _id: id })).toMatchObject({
      status: 'PENDING',
    });

    const { csrf_token: csrf } = await page.evaluate(async () => {
      const response = await fetch('/session', { credentials: 'same-origin' });
      return (await response.json()) as { csrf_token: string };
    });
    expect(
      await fetchFromPage(discard, { method: 'POST', headers: { ...json, 'x-csrf-token': csrf } }),
    ).toMatchObject({ status: 200 });
  });

  it('answers 401 to a browser without the session cookie, for reads and writes', async () => {
    const { page } = tab; // a fresh context: no cookie
    await page.getByLabel('Admin token').waitFor();
    tab.expectConsoleError(/status of 401 .* at \/(dashboard\/overview|stats|crawls\/anything\/cancel)$/);
    expect(await fetchFromPage('/dashboard/overview', {})).toMatchObject({ status: 401 });
    expect(await fetchFromPage('/stats', {})).toMatchObject({ status: 401 });
    expect(
      await fetchFromPage('/crawls/anything/cancel', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': 'whatever' },
      }),
    ).toMatchObject({ status: 401 });
  });
});

/** Whether the element has the keyboard focus. */
function hasFocus(locator: Locator): Promise<boolean> {
  return locator.evaluate(
    (el: { ownerDocument: { activeElement: unknown } }) => el === el.ownerDocument.activeElement,
  );
}

async function expectVisible(locator: Locator): Promise<void> {
  await locator.waitFor({ state: 'visible' });
}
