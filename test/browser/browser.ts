/**
 * The dashboard in a real browser: Debian's Chromium (scripts/install-chromium.sh, CHROMIUM_PATH) driven by
 * playwright-core, against the admin server of an e2e harness (test/e2e/harness.ts) serving the built
 * dashboard (`npm run build:dashboard`, which scripts/test runs first).
 *
 *   const browser = await launchChromium();
 *   const tab = await openTab(browser, admin.url);    // a fresh context (no cookies) and page
 *   await signIn(tab.page, TOKEN);                    // through the sign-in form
 *   await screenshot(tab.page, 'overview');           // docs/screenshots/overview.png under `npm run screenshots`
 *   await tab.close();                                // throws on a console error, an uncaught exception,
 *                                                     // a CSP violation or a 5xx answer seen by the page
 *
 * Tests find things by role and accessible name (getByRole, getByLabel), so they also check that the pages
 * have the labels and roles a screen reader needs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { findRepoRoot } from '../../src/stack/tools';

export const VIEWPORT = { width: 1280, height: 860 };

/** The Chromium scripts/install-chromium.sh installed (or CHROMIUM_PATH), checked before launching. */
export function chromiumPath(): string {
  const executable = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!fs.existsSync(executable)) {
    throw new Error(
      `no Chromium at ${executable}: run scripts/install-chromium.sh (as root it installs Debian's chromium) ` +
        'or set CHROMIUM_PATH',
    );
  }
  return executable;
}

/** Fails early, with what to run, when the dashboard has not been built. */
export function assertDashboardBuilt(): void {
  const index = path.join(findRepoRoot(__dirname), 'dashboard', 'dist', 'index.html');
  if (!fs.existsSync(index)) {
    throw new Error(`the dashboard is not built (no ${index}): run \`npm run build:dashboard\``);
  }
}

export async function launchChromium(): Promise<Browser> {
  assertDashboardBuilt();
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    // No sandbox: Chromium refuses to start its sandbox as root ("Running as root without --no-sandbox is
    // not supported"), which is how CI runs, and containers usually lack the unprivileged user namespaces
    // it needs otherwise. The only pages loaded are our own dashboard and data: URLs on loopback.
    chromiumSandbox: false,
  });
}

export interface Tab {
  context: BrowserContext;
  page: Page;
  /** What went wrong in the page so far: console errors, uncaught exceptions, CSP violations, 5xx answers. */
  problems: string[];
  /**
   * Console errors matching `pattern` are expected and not problems; it is matched against
   * "<message> at <path of the page or resource>", e.g. /status of 403 .* at \/dead_letters\//.
   */
  expectConsoleError(pattern: RegExp): void;
  /** Closes the context; throws when the page had problems. */
  close(): Promise<void>;
}

/**
 * The dashboard's own check of its session (GET /session before sign-in) and a refused sign-in answer 401,
 * which Chromium logs as "Failed to load resource"; that is the protocol, not an error of the page.
 */
const EXPECTED_BY_DEFAULT = [
  /^Failed to load resource: the server responded with a status of 401 .* at \/session$/,
];

/** Reports CSP violations from inside the page (Chromium also logs them as console errors). */
const CSP_LISTENER = `
  document.addEventListener('securitypolicyviolation', (event) => {
    window.__reportCspViolation?.(
      event.violatedDirective + ' blocked ' + (event.blockedURI || 'inline') +
        ' at ' + event.sourceFile + ':' + event.lineNumber,
    );
  });
`;

/** A fresh browser context (no cookies) with one page at `url`, watched for problems. */
export async function openTab(browser: Browser, url: string): Promise<Tab> {
  const context = await browser.newContext({ viewport: VIEWPORT, reducedMotion: 'reduce' });
  const page = await context.newPage();
  const problems: string[] = [];
  const expected = [...EXPECTED_BY_DEFAULT];
  await page.exposeFunction('__reportCspViolation', (what: string) => {
    problems.push(`CSP violation: ${what}`);
  });
  await page.addInitScript(CSP_LISTENER);
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const text = message.text();
    const { url: source } = message.location();
    const path = source ? new URL(source).pathname : '';
    if (expected.some((pattern) => pattern.test(`${text} at ${path}`))) return;
    problems.push(`console error: ${text}${source ? ` (${source})` : ''}`);
  });
  page.on('pageerror', (error) => problems.push(`uncaught exception: ${error.message}`));
  page.on('response', (response) => {
    if (response.status() >= 500) {
      problems.push(`${response.status()} from ${response.request().method()} ${response.url()}`);
    }
  });
  await page.goto(url);
  return {
    context,
    page,
    problems,
    expectConsoleError: (pattern) => expected.push(pattern),
    async close() {
      await context.close();
      if (problems.length > 0) throw new Error(`the page had problems:\n  ${problems.join('\n  ')}`);
    },
  };
}

/** Signs in through the form, as a person would, and waits for the dashboard's navigation to appear. */
export async function signIn(page: Page, token: string): Promise<void> {
  await page.getByLabel('Admin token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation').waitFor();
}

/**
 * With SCREENSHOTS_DIR set (`npm run screenshots`: docs/screenshots, relative to the repository), saves the
 * whole page as <dir>/<name>.png for the README; otherwise does nothing. Waits for the network to go quiet
 * first (between two polls), so the picture is of a settled page.
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (!process.env.SCREENSHOTS_DIR) return;
  const dir = path.resolve(findRepoRoot(__dirname), process.env.SCREENSHOTS_DIR);
  fs.mkdirSync(dir, { recursive: true });
  await page.waitForLoadState('networkidle').catch(() => undefined);
  await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true, animations: 'disabled' });
}

/** Follows the navigation link to a page and waits for its heading. */
export async function goTo(page: Page, link: string, heading = link): Promise<void> {
  await page
    .getByRole('navigation', { name: 'Dashboard sections' })
    .getByRole('link', { name: link })
    .click();
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
}

/**
 * Waits until the element's text matches `pattern` (the pages poll the API) and returns it trimmed; when it
 * does not within `timeoutMs`, the error says what was shown instead.
 */
export async function textOf(locator: Locator, pattern: RegExp, timeoutMs: number): Promise<string> {
  try {
    await locator.filter({ hasText: pattern }).first().waitFor({ timeout: timeoutMs });
  } catch (err) {
    const shown = await locator.allTextContents().catch(() => []);
    throw new Error(`no ${String(pattern)} in ${JSON.stringify(shown)}: ${(err as Error).message}`);
  }
  return ((await locator.first().textContent()) ?? '').trim();
}
