/**
 * BENCH=dashboard-load: the dashboard's first load on loopback in headless Chromium (Debian's, as in the
 * browser tests), each time in a fresh browser context (empty cache, no cookie):
 *   - the sign-in page: bytes transferred (every response's body as sent, index.html, scripts, styles,
 *     icons, plus the GET /session that finds no session) and the time from navigation start to the sign-in
 *     form being usable (the token field visible and enabled);
 *   - signing in: bytes transferred and the time from pressing "Sign in" to the overview shown with its
 *     health checks.
 * Also what the assets would weigh gzipped (the server sends them as they are). The dashboard must be built
 * (`npm run build:dashboard`).
 */
import { gzipSync } from 'node:zlib';
import type { Page, Response } from 'playwright-core';
import type { Harness } from '../test/e2e/harness';
import { launchChromium, openTab } from '../test/browser/browser';
import { startDashboard } from '../test/browser/dashboard';
import { quantile, report } from './stats';

const LOADS = Number(process.env.BENCH_DASHBOARD_LOADS ?? 20);
const TOKEN = 'bench-dashboard-token';

interface Transfer {
  responses: number;
  /** Body bytes as sent (encoded), headers left out. */
  bodyBytes: number;
  /** Header bytes of the responses. */
  headerBytes: number;
  /** Body bytes after gzip -6, had the server compressed them. */
  gzippedBytes: number;
}

/** Counts what the page receives until `stop()` is called. */
function countTransfer(page: Page): { stop(): Promise<Transfer> } {
  const pending: Array<Promise<Transfer>> = [];
  const onResponse = (response: Response) => {
    pending.push(
      (async () => {
        await response.finished();
        const sizes = await response.request().sizes();
        const body = await response.body().catch(() => Buffer.alloc(0));
        return {
          responses: 1,
          bodyBytes: sizes.responseBodySize,
          headerBytes: sizes.responseHeadersSize,
          gzippedBytes: body.length > 0 ? gzipSync(body).length : 0,
        };
      })(),
    );
  };
  page.on('response', onResponse);
  return {
    async stop() {
      page.off('response', onResponse);
      const all = await Promise.all(pending);
      return all.reduce(
        (sum, t) => ({
          responses: sum.responses + t.responses,
          bodyBytes: sum.bodyBytes + t.bodyBytes,
          headerBytes: sum.headerBytes + t.headerBytes,
          gzippedBytes: sum.gzippedBytes + t.gzippedBytes,
        }),
        { responses: 0, bodyBytes: 0, headerBytes: 0, gzippedBytes: 0 },
      );
    },
  };
}

/** Milestones of the sign-in page's load, in ms from navigation start (read from the page's Performance API). */
interface Milestones {
  /** index.html received. */
  html: number;
  /** The script and the stylesheet received (the last of them). */
  assets: number;
  /** DOMContentLoaded handlers done (the module script has run). */
  domContentLoaded: number;
  /** GET /session sent by the script (it asks whether a session exists before showing anything). */
  sessionSent: number;
  /** GET /session answered (401: no session yet), after which the form is shown. */
  session: number;
  /** The first frame in which the token field is there and enabled. */
  usable: number;
}

const MILESTONE_LABELS: Array<[keyof Milestones, string]> = [
  ['html', 'index.html received'],
  ['assets', 'script and stylesheet received'],
  ['domContentLoaded', 'DOMContentLoaded done (script run)'],
  ['sessionSent', 'GET /session sent'],
  ['session', 'GET /session answered'],
  ['usable', 'sign-in form usable (time to interactive)'],
];

/**
 * Notes in the page (window.__tokenFieldUsableAt) the first frame in which the sign-in form's token field
 * (the password input) is there and enabled: a mutation observer from the document's start, then the
 * next animation frame (when it is painted).
 */
const WATCH_TOKEN_FIELD = `
  (() => {
    const usable = () => {
      const input = document.querySelector('input[type=password]');
      return input !== null && !input.disabled;
    };
    const observer = new MutationObserver(() => {
      if (!usable()) return;
      observer.disconnect();
      requestAnimationFrame(() => { window.__tokenFieldUsableAt = performance.now(); });
    });
    observer.observe(document, { childList: true, subtree: true, attributes: true });
  })();
`;

/** What the page's Performance API has (typed here: this file sees Node's types, not the DOM's). */
interface PagePerformance {
  now(): number;
  getEntriesByType(type: string): Array<{
    name: string;
    startTime: number;
    responseEnd: number;
    domContentLoadedEventEnd?: number;
  }>;
}

/** Reads the load's milestones once the token field is usable (the page's own clock, from navigation start). */
async function milestones(page: Page): Promise<Milestones> {
  await page.waitForFunction(
    () => (globalThis as { __tokenFieldUsableAt?: number }).__tokenFieldUsableAt !== undefined,
  );
  return page.evaluate(() => {
    const { performance, __tokenFieldUsableAt } = globalThis as unknown as {
      performance: PagePerformance;
      __tokenFieldUsableAt: number;
    };
    const [navigation] = performance.getEntriesByType('navigation');
    const resources = performance.getEntriesByType('resource');
    const session = resources.find((entry) => new URL(entry.name).pathname === '/session');
    const assets = resources.filter((entry) => new URL(entry.name).pathname.startsWith('/assets/'));
    return {
      html: navigation?.responseEnd ?? NaN,
      assets: Math.max(...assets.map((entry) => entry.responseEnd)),
      domContentLoaded: navigation?.domContentLoadedEventEnd ?? NaN,
      sessionSent: session?.startTime ?? NaN,
      session: session?.responseEnd ?? NaN,
      usable: __tokenFieldUsableAt,
    };
  });
}

export async function benchDashboardLoad(h: Harness): Promise<void> {
  const dashboard = await startDashboard(h, TOKEN);
  const browser = await launchChromium();
  const loads: Milestones[] = [];
  const overviewMs: number[] = [];
  let signInTransfer: Transfer | undefined;
  let overviewTransfer: Transfer | undefined;
  try {
    for (let i = 0; i <= LOADS; i++) {
      const warmUp = i === 0; // the server's first answers (file reads, route compilation) are not counted
      const tab = await openTab(browser, 'about:blank');
      try {
        const { page } = tab;
        await page.addInitScript(WATCH_TOKEN_FIELD);
        let transfer = countTransfer(page);
        await page.goto(dashboard.url);
        const load = await milestones(page);
        // Everything the first load fetches (the favicon comes last) before counting the sign-in's.
        await page.waitForLoadState('networkidle');
        const loaded = await transfer.stop();

        transfer = countTransfer(page);
        await page.getByLabel('Admin token').fill(TOKEN);
        const pressed = performance.now();
        await page.getByRole('button', { name: 'Sign in' }).click();
        // The overview is rendered once its health table has a row (GET /dashboard/overview answered).
        await page.getByRole('table', { name: 'Dependencies' }).getByRole('row').nth(1).waitFor();
        const shownMs = performance.now() - pressed;
        const signedIn = await transfer.stop();
        if (warmUp) continue;
        loads.push(load);
        overviewMs.push(shownMs);
        signInTransfer = loaded;
        overviewTransfer = signedIn;
      } finally {
        await tab.close();
      }
    }
  } finally {
    await browser.close();
    await dashboard.close();
  }
  console.log(`\n== dashboard first load on loopback (${LOADS} loads, each in a fresh browser context)`);
  const describe = (t: Transfer | undefined) =>
    t
      ? `${t.responses} responses, ${kb(t.bodyBytes)} of bodies (${kb(t.gzippedBytes)} gzipped) + ` +
        `${kb(t.headerBytes)} of headers`
      : 'nothing';
  console.log(`sign-in page: ${describe(signInTransfer)}`);
  for (const [key, label] of MILESTONE_LABELS) {
    report(
      `navigation start -> ${label}`,
      loads.map((load) => load[key]),
    );
  }
  console.log(`signing in: ${describe(overviewTransfer)}`);
  report('"Sign in" pressed -> overview shown with its health checks', overviewMs);
  const usable = loads.map((load) => load.usable);
  const total = quantile(usable, 0.5) + quantile(overviewMs, 0.5);
  console.log(`first load to the overview (p50 + p50, less the typing): ${total.toFixed(1)} ms`);
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
