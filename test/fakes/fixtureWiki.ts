/**
 * A small Family Guy wiki on 127.0.0.1 in the shape of Fandom: article pages as Fandom renders them
 * (test/fixtures/wiki/render.ts, texts in articles.ts) and a MediaWiki `api.php` for `list=allpages` and
 * `meta=siteinfo`. The crawler, the parser and the API client run against it over real HTTP.
 *
 *   const wiki = await startFixtureWiki();          // wiki.url = http://127.0.0.1:PORT (the wiki's base)
 *   wiki.requests                                   // every request: { method, path, time, status }
 *   wiki.requests.length = 0                        // forget them
 *   wiki.apiEnabled = false                         // api.php answers 404: the crawler must discover links
 *   wiki.combinedQueries = 'drop-list'              // api.php answers meta=siteinfo&list=allpages with the
 *                                                   // siteinfo and a warning, no list (single queries work);
 *                                                   // 'error': an API error instead; 'answer' (default)
 *   wiki.allpagesEnabled = false                    // list=allpages is an unknown module (siteinfo still works)
 *   wiki.mainPage = 'Family_Guy_Wiki'               // the main page under another title: siteinfo's mainpage
 *                                                   // and `/` name it, /wiki/Main_Page is 404; null: the
 *                                                   // main page is gone (`/` still redirects to Main_Page, 404)
 *   wiki.httpRedirects = []                         // redirect titles answered with an HTTP 301 to their
 *                                                   // target instead of MediaWiki's soft redirect
 *   wiki.failTimes['/wiki/Bruce'] = 1               // the next request to that path answers 500
 *   wiki.slowMs = 2000                              // /wiki/Death (wiki.slowPath) answers 2 s late
 *   await wiki.close();
 *
 * What is served:
 *   /wiki/<article>         200, every article of articles.ts (Main_Page included); any spelling of the
 *                           title (`peter griffin`, `Peter%20Griffin`) serves the page, whose canonical
 *                           link names the canonical URL
 *   /wiki/Giant_Chicken     a soft redirect: 200 with the target's page and canonical link, "(Redirected
 *                           from)" (as MediaWiki does); `?redirect=no` shows the "Redirect to:" box
 *   /wiki/Lois_Pewterschmidt   an HTTP redirect (httpRedirects, default this one): 301 to /wiki/Lois_Griffin,
 *                           linked from Lois_Griffin itself, so link discovery meets it after its target
 *   /wiki/Greased-up_Deaf_Guy   404 "There is currently no text in this page" (linked from Quahog)
 *   /wiki/Special:...       200 a special page (nothing to index); other namespaces 404
 *   /wiki/X?action=...      200 an edit/history view
 *   /wiki/Seamus            (wiki.flakyPath) answers 500 twice, then 200: failTimes defaults to that
 *   /api.php                action=query: list=allpages (apnamespace, apfilterredir, aplimit capped at
 *                           apLimitMax = 10 with a warning, apcontinue/apfrom, apprefix) and
 *                           meta=siteinfo, formatversion 1 or 2; errors as MediaWiki's { error: {code, info} }
 *   /                       301 to /wiki/<mainPage> (/wiki/Main_Page when mainPage is null)
 *
 * `articleTitles` (the main page under its current title) are exactly the pages
 * `list=allpages&apfilterredir=nonredirects` lists and the pages reachable by article links from the main
 * page: a complete crawl indexes each of them once.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  articles,
  MAIN_PAGE,
  missingTitles,
  redirects,
  type FixtureArticle,
} from '../fixtures/wiki/articles';
import {
  displayTitle,
  encodeTitle,
  fixtureArticlesByTitle,
  renderArticlePage,
  renderMissingPage,
  renderRedirectPage,
  renderSpecialPage,
  type HeadingStyle,
} from '../fixtures/wiki/render';

export interface FixtureRequest {
  method: string;
  /** Path and query as requested (`/wiki/Peter_Griffin`, `/api.php?action=query&...`). */
  path: string;
  /** Date.now() when the request arrived. */
  time: number;
  /** Status answered (0 until the answer is sent). */
  status: number;
}

export interface FixtureWikiOptions {
  /** Serve api.php (default true). */
  api?: boolean;
  /** Most titles per list=allpages answer (default 10, to force apcontinue paging). */
  apLimitMax?: number;
  /** Path -> how many requests to it answer 500 first. Default { [flakyPath]: 2 }. */
  failTimes?: Record<string, number>;
  /** Delay of slowPath's answers in ms (default 0). */
  slowMs?: number;
  /** Heading markup (default 'legacy', Fandom's MediaWiki 1.39). */
  headingStyle?: HeadingStyle;
  /** How api.php answers meta=siteinfo and list=allpages asked together (default 'answer'). */
  combinedQueries?: CombinedQueries;
  /** Whether api.php knows list=allpages (default true). */
  allpages?: boolean;
  /** Title of the main page (default Main_Page); null: there is none. */
  mainPage?: string | null;
  /** Redirect titles answered with an HTTP 301 (default ['Lois_Pewterschmidt']); the others are soft. */
  httpRedirects?: string[];
}

/**
 * How api.php answers a query asking for meta=siteinfo and list=allpages at once. `answer`: both;
 * `drop-list`: the siteinfo only, with a warning about the list's parameters (as wikis whose API takes one
 * module per request do); `error`: an API error. Single-module queries are answered in every case.
 */
export type CombinedQueries = 'answer' | 'drop-list' | 'error';

/** What a test may change on a running fixture wiki. */
type FixtureWikiKnobs = Pick<
  FixtureWiki,
  | 'failTimes'
  | 'slowMs'
  | 'apiEnabled'
  | 'apLimitMax'
  | 'headingStyle'
  | 'combinedQueries'
  | 'allpagesEnabled'
  | 'mainPage'
  | 'httpRedirects'
>;

export interface FixtureWiki {
  /** http://127.0.0.1:PORT: the wiki's base URL. */
  readonly url: string;
  /** `${url}/api.php` */
  readonly apiUrl: string;
  /** Every request in arrival order; clear with `requests.length = 0`. */
  readonly requests: FixtureRequest[];
  /** Remaining 500 answers per request path (pathname as sent, without query). Mutable. */
  failTimes: Record<string, number>;
  slowMs: number;
  apiEnabled: boolean;
  apLimitMax: number;
  headingStyle: HeadingStyle;
  combinedQueries: CombinedQueries;
  allpagesEnabled: boolean;
  mainPage: string | null;
  httpRedirects: string[];
  /** The page that answers 500 twice by default: /wiki/Seamus. */
  readonly flakyPath: string;
  /** The page delayed by slowMs: /wiki/Death. */
  readonly slowPath: string;
  /** Titles (URL form, `_` for spaces) of every article, the main page under its current title included. */
  readonly articleTitles: readonly string[];
  /** Redirect title -> target title. */
  readonly redirects: Readonly<Record<string, string>>;
  /** Linked titles that answer 404. */
  readonly missingTitles: readonly string[];
  /** Canonical URL of a title on this server. */
  pageUrl(title: string): string;
  /** Requests whose path is under /wiki/. */
  pageRequests(): FixtureRequest[];
  close(): Promise<void>;
}

export const FLAKY_PATH = '/wiki/Seamus';
/** The redirect answered with an HTTP 301 by default. */
export const HTTP_REDIRECT = 'Lois_Pewterschmidt';
export const SLOW_PATH = '/wiki/Death';

export async function startFixtureWiki(options: FixtureWikiOptions = {}): Promise<FixtureWiki> {
  let origin = '';
  const requests: FixtureRequest[] = [];
  /** The knobs tests turn: the returned wiki object is this object, so they act at once. */
  const state: FixtureWikiKnobs = {
    failTimes: { ...(options.failTimes ?? { [FLAKY_PATH]: 2 }) },
    slowMs: options.slowMs ?? 0,
    apiEnabled: options.api ?? true,
    apLimitMax: options.apLimitMax ?? 10,
    headingStyle: options.headingStyle ?? 'legacy',
    combinedQueries: options.combinedQueries ?? 'answer',
    allpagesEnabled: options.allpages ?? true,
    mainPage: options.mainPage === undefined ? MAIN_PAGE : options.mainPage,
    httpRedirects: options.httpRedirects ?? [HTTP_REDIRECT],
  };
  /** The main page's current title (null: none), or an article's own. */
  const titleOf = (article: FixtureArticle): string | null =>
    article.title === MAIN_PAGE ? state.mainPage : article.title;
  const articleTitles = (): string[] =>
    articles.map(titleOf).filter((title): title is string => title !== null);
  /** The article served under a title (the main page under its current one only). */
  const articleAt = (title: string): FixtureArticle | undefined => {
    if (state.mainPage !== null && title === keyOf(state.mainPage))
      return fixtureArticlesByTitle.get(MAIN_PAGE);
    return title === MAIN_PAGE ? undefined : fixtureArticlesByTitle.get(title);
  };
  const render = (article: FixtureArticle, options: Parameters<typeof renderArticlePage>[1]) =>
    renderArticlePage({ ...article, title: titleOf(article) ?? article.title }, options);

  const server: Server = createServer((req, res) => {
    const entry: FixtureRequest = {
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      time: Date.now(),
      status: 0,
    };
    requests.push(entry);
    const send = (status: number, type: string, body: string, headers: Record<string, string> = {}) => {
      entry.status = status;
      res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), ...headers });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    void handle(req, res, send).catch((err: unknown) => {
      if (!res.headersSent) send(500, 'text/plain', `fixture wiki error: ${String(err)}`);
    });
  });

  type Send = (status: number, type: string, body: string, headers?: Record<string, string>) => void;
  const html = 'text/html; charset=utf-8';

  async function handle(req: IncomingMessage, _res: ServerResponse, send: Send): Promise<void> {
    const url = new URL(req.url ?? '/', origin);
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain', 'method not allowed');
    const remaining = state.failTimes[url.pathname] ?? 0;
    if (remaining > 0) {
      state.failTimes[url.pathname] = remaining - 1;
      return send(500, html, '<!DOCTYPE html><html><body><h1>Internal Server Error</h1></body></html>');
    }
    if (url.pathname === SLOW_PATH && state.slowMs > 0) {
      await new Promise((resolve) => setTimeout(resolve, state.slowMs));
    }

    if (url.pathname === '/') {
      return send(301, 'text/plain', '', { location: `/wiki/${encodeTitle(state.mainPage ?? MAIN_PAGE)}` });
    }
    if (url.pathname === '/api.php') {
      if (!state.apiEnabled)
        return send(404, html, '<!DOCTYPE html><html><body><h1>Not Found</h1></body></html>');
      return send(200, 'application/json; charset=utf-8', JSON.stringify(api(url.searchParams)));
    }
    if (!url.pathname.startsWith('/wiki/')) return send(404, 'text/plain', 'not found');

    let title: string;
    try {
      title = keyOf(decodeURIComponent(url.pathname.slice('/wiki/'.length)));
    } catch {
      return send(400, 'text/plain', 'bad title');
    }
    if (url.searchParams.has('action')) return send(200, html, renderSpecialPage(title, origin));
    if (/^special:/i.test(title)) return send(200, html, renderSpecialPage(title, origin));
    const article = articleAt(title);
    const renderOptions = { origin, headingStyle: state.headingStyle };
    if (article) return send(200, html, render(article, renderOptions));
    const target = redirects[title];
    if (target) {
      if (url.searchParams.get('redirect') === 'no')
        return send(200, html, renderRedirectPage(title, target, origin));
      if (state.httpRedirects.includes(title))
        return send(301, 'text/plain', '', { location: `/wiki/${encodeTitle(target)}` });
      const page = articleAt(target);
      if (page) return send(200, html, render(page, { ...renderOptions, redirectedFrom: title }));
    }
    return send(404, html, renderMissingPage(title, origin));
  }

  /** MediaWiki's api.php, action=query with list=allpages and meta=siteinfo. */
  function api(params: URLSearchParams): Record<string, unknown> {
    const v2 = params.get('formatversion') === '2' || params.get('formatversion') === 'latest';
    const error = (code: string, info: string) => ({
      error: { code, info, '*': 'See api.php for API usage.' },
    });
    if (params.get('action') !== 'query') {
      return error('badvalue', `Unrecognized value for parameter "action": ${params.get('action') ?? ''}.`);
    }
    const result: Record<string, unknown> = { batchcomplete: v2 ? true : '' };
    const query: Record<string, unknown> = {};
    const warnings: Record<string, unknown> = {};

    const siteinfo = params.get('meta')?.split('|').includes('siteinfo') ?? false;
    const list = params.get('list');
    if (siteinfo && list && state.combinedQueries === 'error') {
      return error('multiquery', 'This wiki answers one query module per request.');
    }
    const dropList = siteinfo && list !== null && state.combinedQueries === 'drop-list';
    if (dropList) {
      const text = 'Unrecognized parameters: list, apnamespace, aplimit.';
      warnings.main = v2 ? { warnings: text } : { '*': text };
    }
    if (siteinfo) {
      const mainPage = state.mainPage ?? MAIN_PAGE;
      query.general = {
        mainpage: displayTitle(mainPage),
        base: `${origin}/wiki/${encodeTitle(mainPage)}`,
        sitename: 'Family Guy Wiki',
        generator: 'MediaWiki 1.39.7',
        lang: 'en',
        server: origin,
        servername: new URL(origin).host,
        articlepath: '/wiki/$1',
        scriptpath: '',
        script: '/index.php',
      };
    }
    if (list && (list !== 'allpages' || !state.allpagesEnabled) && !dropList)
      return error('badvalue', `Unrecognized value for parameter "list": ${list}.`);
    if (list === 'allpages' && !dropList) {
      const namespace = params.get('apnamespace') ?? '0';
      const filter = params.get('apfilterredir') ?? 'all';
      if (!['all', 'redirects', 'nonredirects'].includes(filter)) {
        return error('badvalue', `Unrecognized value for parameter "apfilterredir": ${filter}.`);
      }
      const rawLimit = params.get('aplimit') ?? '10';
      let limit = rawLimit === 'max' ? state.apLimitMax : Number(rawLimit);
      if (!Number.isInteger(limit) || limit < 1) {
        return error('badinteger', `Invalid value "${rawLimit}" for integer parameter "aplimit".`);
      }
      if (limit > state.apLimitMax) {
        const text = `aplimit may not be over ${state.apLimitMax} (set to ${state.apLimitMax}) for users.`;
        warnings.allpages = v2 ? { warnings: text } : { '*': text };
        limit = state.apLimitMax;
      }
      const from = params.get('apcontinue') ?? params.get('apfrom');
      const prefix = params.get('apprefix');
      const titles = namespace !== '0' ? [] : pageList(filter, articleTitles());
      const selected = titles.filter(
        (entry) =>
          (!from || entry.title >= keyOf(from)) && (!prefix || entry.title.startsWith(keyOf(prefix))),
      );
      const batch = selected.slice(0, limit);
      query.allpages = batch.map((entry) => ({
        pageid: entry.pageid,
        ns: 0,
        title: displayTitle(entry.title),
      }));
      const next = selected[limit];
      if (next) result.continue = { apcontinue: next.title, continue: '-||' };
    }
    if (Object.keys(warnings).length > 0) result.warnings = warnings;
    result.query = query;
    return result;
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const fixed = {
    url: origin,
    apiUrl: `${origin}/api.php`,
    requests,
    flakyPath: FLAKY_PATH,
    slowPath: SLOW_PATH,
    redirects,
    missingTitles,
    pageUrl: (title: string) => `${origin}/wiki/${encodeTitle(keyOf(title))}`,
    pageRequests: () => requests.filter((request) => request.path.startsWith('/wiki/')),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
    /** Follows the mainPage knob. */
    get articleTitles() {
      return articleTitles();
    },
  };
  // Descriptors, not values: the getter stays a getter.
  return Object.defineProperties(state, Object.getOwnPropertyDescriptors(fixed)) as FixtureWikiKnobs &
    typeof fixed;
}

/** Every page of namespace 0 sorted as MediaWiki sorts titles (binary), with stable page ids. */
function pageList(filter: string, articleTitles: string[]): Array<{ title: string; pageid: number }> {
  const pages = [
    ...articleTitles.map((title, i) => ({ title, pageid: i + 1, redirect: false })),
    ...Object.keys(redirects).map((title, i) => ({ title, pageid: 1000 + i, redirect: true })),
  ];
  return pages
    .filter((page) => filter === 'all' || (filter === 'redirects') === page.redirect)
    .sort((a, b) => (a.title < b.title ? -1 : a.title > b.title ? 1 : 0));
}

/** MediaWiki's key form of a title: `_` for spaces, first letter upper case. */
function keyOf(title: string): string {
  const key = title.trim().replace(/[\s_]+/g, '_');
  return key.charAt(0).toUpperCase() + key.slice(1);
}
