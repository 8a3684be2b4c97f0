import { startFixtureWiki, type FixtureWiki } from '../fakes/fixtureWiki';
import { fetchPage } from '../../src/knowledge/fetchPage';
import {
  detectApi,
  findStartPage,
  listAllPages,
  MediaWikiError,
  probeApi,
  type FetchImpl,
} from '../../src/knowledge/mediawiki';
import { parseArticle } from '../../src/knowledge/wikiPage';
import { articleUrl, normaliseArticleUrl } from '../../src/knowledge/wikiUrls';

let wiki: FixtureWiki;

beforeAll(async () => {
  wiki = await startFixtureWiki({ failTimes: {} });
});

afterAll(async () => {
  await wiki?.close();
});

beforeEach(() => {
  wiki.requests.length = 0;
  wiki.apiEnabled = true;
  wiki.failTimes = {};
  wiki.slowMs = 0;
  wiki.combinedQueries = 'answer';
  wiki.allpagesEnabled = true;
  wiki.mainPage = 'Main_Page';
  wiki.httpRedirects = ['Lois_Pewterschmidt'];
});

const collect = async (iterable: AsyncIterable<string>): Promise<string[]> => {
  const out: string[] = [];
  for await (const item of iterable) out.push(item);
  return out;
};
const apiRequests = () => wiki.requests.filter((r) => r.path.startsWith('/api.php'));
/** The api.php requests as their query modules ("siteinfo+allpages", "siteinfo", "allpages"). */
const apiModules = () =>
  apiRequests().map((r) => {
    const params = new URL(r.path, wiki.url).searchParams;
    return [params.get('meta'), params.get('list')].filter(Boolean).join('+');
  });
/** fetch that never answers: only its abort signal ends it. */
const hangingFetch: FetchImpl = (_url, init) =>
  new Promise((_resolve, reject) =>
    init?.signal?.addEventListener('abort', () => reject(init.signal?.reason as Error)),
  );
const jsonFetch =
  (body: unknown, status = 200): FetchImpl =>
  async () =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

describe('listAllPages', () => {
  it('lists every article title (no redirects) through apcontinue paging', async () => {
    const titles = await collect(listAllPages(wiki.apiUrl, { limit: 100, timeoutMs: 5000 }));
    const expected = [...wiki.articleTitles].sort().map((title) => title.replace(/_/g, ' '));
    expect(titles).toEqual(expected);
    expect(titles).not.toContain('Giant Chicken');

    const requests = apiRequests();
    expect(requests).toHaveLength(Math.ceil(wiki.articleTitles.length / wiki.apLimitMax)); // aplimit is capped at 10
    for (const request of requests) {
      const params = new URL(request.path, wiki.url).searchParams;
      expect(
        Object.fromEntries([...params].filter(([key]) => key !== 'apcontinue' && key !== 'continue')),
      ).toEqual({
        action: 'query',
        list: 'allpages',
        apnamespace: '0',
        apfilterredir: 'nonredirects',
        aplimit: expect.stringMatching(/^\d+$/),
        format: 'json',
        formatversion: '2',
      });
      expect(request.status).toBe(200);
    }
    expect(new URL(requests[1]?.path ?? '', wiki.url).searchParams.get('apcontinue')).toBe(
      [...wiki.articleTitles].sort()[wiki.apLimitMax],
    );
    // The titles become the crawler's URLs.
    expect(articleUrl(wiki.url, "Surfin' Bird")).toBe(`${wiki.url}/wiki/Surfin%27_Bird`);
  });

  it('stops at the limit, asking only for what it still needs', async () => {
    expect(await collect(listAllPages(wiki.apiUrl, { limit: 5, timeoutMs: 5000 }))).toHaveLength(5);
    expect(apiRequests().map((r) => new URL(r.path, wiki.url).searchParams.get('aplimit'))).toEqual(['5']);

    wiki.requests.length = 0;
    expect(await collect(listAllPages(wiki.apiUrl, { limit: 13, timeoutMs: 5000 }))).toHaveLength(13);
    expect(apiRequests().map((r) => new URL(r.path, wiki.url).searchParams.get('aplimit'))).toEqual([
      '13',
      '3',
    ]);
  });

  it('sends no further request when the caller stops early', async () => {
    for await (const title of listAllPages(wiki.apiUrl, { limit: 100, timeoutMs: 5000 })) {
      if (title) break;
    }
    expect(apiRequests()).toHaveLength(1);
  });

  it('fails with the HTTP status when api.php answers an error', async () => {
    wiki.apiEnabled = false;
    const error = await collect(listAllPages(wiki.apiUrl, { limit: 10, timeoutMs: 5000 })).catch(
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(MediaWikiError);
    expect(error).toMatchObject({
      status: 404,
      transient: false,
      message: expect.stringMatching(/answered 404/),
    });

    wiki.apiEnabled = true;
    wiki.failTimes['/api.php'] = 1;
    await expect(collect(listAllPages(wiki.apiUrl, { limit: 10, timeoutMs: 5000 }))).rejects.toMatchObject({
      status: 500,
      transient: true,
    });
  });

  it('fails with the API error code', async () => {
    const fetchImpl = jsonFetch({
      error: { code: 'readapidenied', info: 'You need read permission to use this module.' },
    });
    await expect(
      collect(listAllPages(wiki.apiUrl, { limit: 10, timeoutMs: 5000, fetchImpl })),
    ).rejects.toMatchObject({
      name: 'MediaWikiError',
      code: 'readapidenied',
      message: expect.stringMatching(/readapidenied: You need read permission/),
    });
    const notJson: FetchImpl = async () => new Response('<html>maintenance</html>', { status: 200 });
    await expect(
      collect(listAllPages(wiki.apiUrl, { limit: 10, timeoutMs: 5000, fetchImpl: notJson })),
    ).rejects.toThrow(/something other than JSON/);
  });

  it('times out every request', async () => {
    const started = Date.now();
    const error = await collect(
      listAllPages(wiki.apiUrl, { limit: 10, timeoutMs: 100, fetchImpl: hangingFetch }),
    ).catch((err: unknown) => err);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(error).toMatchObject({ name: 'MediaWikiError', status: 0, transient: true });
    expect((error as Error).message).toMatch(/timed out after 100 ms/);
  });

  it("passes the caller's cancellation through as it is", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('activity cancelled')), 50);
    await expect(
      collect(
        listAllPages(wiki.apiUrl, {
          limit: 10,
          timeoutMs: 5000,
          fetchImpl: hangingFetch,
          signal: controller.signal,
        }),
      ),
    ).rejects.toThrow('activity cancelled');
  });
});

describe('detectApi', () => {
  it("finds the wiki's api.php from its base or any page URL", async () => {
    expect(await detectApi(wiki.url)).toBe(wiki.apiUrl);
    expect(await detectApi(`${wiki.url}/wiki/Peter_Griffin`, { timeoutMs: 5000 })).toBe(wiki.apiUrl);
    const [request] = apiRequests();
    const params = new URL(request?.path ?? '', wiki.url).searchParams;
    expect(params.get('meta')).toBe('siteinfo');
    expect(params.get('list')).toBe('allpages');
  });

  it('answers null when the wiki has no api.php (404 or something else than its JSON)', async () => {
    wiki.apiEnabled = false;
    expect(await detectApi(wiki.url, { timeoutMs: 5000 })).toBeNull();
    expect(apiRequests().map((r) => [r.path.split('?')[0], r.status])).toEqual([['/api.php', 404]]);
    expect(wiki.requests.map((r) => r.path.split('?')[0])).toEqual(['/api.php', '/w/api.php']);

    const notMediaWiki = jsonFetch({ hello: 'world' });
    expect(await detectApi(wiki.url, { timeoutMs: 5000, fetchImpl: notMediaWiki })).toBeNull();
    const apiError = jsonFetch({ error: { code: 'readapidenied', info: 'no' } });
    expect(await detectApi(wiki.url, { timeoutMs: 5000, fetchImpl: apiError })).toBeNull();
  });

  it('throws rather than answering null when the wiki is down or slow', async () => {
    wiki.failTimes['/api.php'] = 1;
    await expect(detectApi(wiki.url, { timeoutMs: 5000 })).rejects.toMatchObject({
      status: 500,
      transient: true,
    });
    await expect(detectApi(wiki.url, { timeoutMs: 100, fetchImpl: hangingFetch })).rejects.toThrow(
      /timed out/,
    );
    await expect(detectApi('http://127.0.0.1:1', { timeoutMs: 2000 })).rejects.toMatchObject({ status: 0 });
  });
});

describe('probeApi', () => {
  it('takes a combined siteinfo+allpages answer in one request, with the main page', async () => {
    expect(await probeApi(wiki.url, { timeoutMs: 5000 })).toEqual({
      apiUrl: wiki.apiUrl,
      queryMode: 'combined',
      mainPage: 'Main Page',
      reason: `${wiki.apiUrl}: meta=siteinfo&list=allpages answered together`,
    });
    expect(apiModules()).toEqual(['siteinfo+allpages']);
  });

  it.each([
    [
      'answers the combined query without the list (a warning instead)',
      'drop-list',
      /no query\.allpages in the answer; warnings: .*Unrecognized parameters: list/,
    ],
    ['rejects the combined query with an API error', 'error', /API error multiquery/],
  ] as const)('asks one module per request when api.php %s', async (_, mode, why) => {
    wiki.combinedQueries = mode;
    const probe = await probeApi(wiki.url, { timeoutMs: 5000 });
    expect(probe).toMatchObject({ apiUrl: wiki.apiUrl, queryMode: 'single', mainPage: 'Main Page' });
    expect(probe.reason).toMatch(why);
    expect(probe.reason).toMatch(/not accepted .*meta=siteinfo works, list=allpages works$/);
    expect(apiModules()).toEqual(['siteinfo+allpages', 'siteinfo', 'allpages']);
    expect(await detectApi(wiki.url, { timeoutMs: 5000 })).toBe(wiki.apiUrl);
  });

  it('has no listing but keeps the main page when only list=allpages fails', async () => {
    wiki.allpagesEnabled = false;
    wiki.mainPage = 'Family_Guy_Wiki';
    const probe = await probeApi(wiki.url, { timeoutMs: 5000 });
    expect(probe).toMatchObject({ apiUrl: null, queryMode: null, mainPage: 'Family Guy Wiki' });
    expect(probe.reason).toMatch(/meta=siteinfo works, list=allpages fails \(API error badvalue: .*allpages/);
    // siteinfo answered: this is the wiki's api.php, /w/api.php is not tried.
    expect(wiki.requests.map((r) => r.path.split('?')[0])).toEqual(['/api.php', '/api.php', '/api.php']);
  });

  it('says why there is no api.php', async () => {
    wiki.apiEnabled = false;
    expect(await probeApi(wiki.url, { timeoutMs: 5000 })).toEqual({
      apiUrl: null,
      queryMode: null,
      mainPage: null,
      reason: `${wiki.url}/api.php answered 404; ${wiki.url}/w/api.php answered 404`,
    });
  });
});

describe('findStartPage', () => {
  it("takes siteinfo's main page without a request", async () => {
    expect(await findStartPage(wiki.url, 'Family Guy Wiki', { timeoutMs: 5000 })).toEqual({
      url: wiki.pageUrl('Family_Guy_Wiki'),
      source: 'siteinfo mainpage',
    });
    expect(wiki.requests).toEqual([]);
  });

  it("else follows the site root's redirects by hand to the first article", async () => {
    wiki.mainPage = 'Family_Guy_Wiki';
    expect(await findStartPage(`${wiki.url}/wiki/Peter_Griffin`, null, { timeoutMs: 5000 })).toEqual({
      url: wiki.pageUrl('Family_Guy_Wiki'),
      source: 'root redirect',
    });
    expect(wiki.requests.map((r) => [r.path, r.status])).toEqual([['/', 301]]); // the article itself not fetched
  });

  it('else Main_Page', async () => {
    const rootPage: FetchImpl = async () => new Response('<html>portal</html>', { status: 200 });
    expect(await findStartPage(wiki.url, null, { timeoutMs: 5000, fetchImpl: rootPage })).toEqual({
      url: wiki.pageUrl('Main_Page'),
      source: 'default',
    });
    const offSite: FetchImpl = async () =>
      new Response('', { status: 302, headers: { location: 'https://elsewhere.example/wiki/Home' } });
    expect(await findStartPage(wiki.url, null, { timeoutMs: 5000, fetchImpl: offSite })).toMatchObject({
      source: 'default',
    });
  });
});

describe('fetchPage', () => {
  it('returns an HTTP redirect with its location instead of following it', async () => {
    expect(await fetchPage(`${wiki.url}/wiki/Lois_Pewterschmidt`, { timeoutMs: 5000 })).toEqual({
      status: 301,
      url: `${wiki.url}/wiki/Lois_Pewterschmidt`,
      html: '',
      location: wiki.pageUrl('Lois_Griffin'),
    });
    expect(wiki.requests.map((r) => r.path)).toEqual(['/wiki/Lois_Pewterschmidt']);
  });
});

describe('the fixture wiki', () => {
  it('links every article from Main_Page, so link discovery finds exactly the articles', async () => {
    const seen = new Set<string>([articleUrl(wiki.url, 'Main_Page')]);
    const queue = [...seen];
    const indexed = new Set<string>();
    const statuses: Record<string, number> = {};
    while (queue.length > 0) {
      const url = queue.shift() as string;
      const response = await fetch(url, { redirect: 'manual' });
      statuses[url] = response.status;
      const location = response.headers.get('location');
      if (location) {
        // An HTTP redirect: its target, once.
        const target = normaliseArticleUrl(location, url);
        if (target && !seen.has(target)) {
          seen.add(target);
          queue.push(target);
        }
        continue;
      }
      const page = parseArticle(await response.text(), response.url);
      if (page.isMissing) continue;
      const canonical = page.redirectTo ?? url;
      if (page.sections.length > 0) indexed.add(canonical);
      for (const href of page.links) {
        const link = normaliseArticleUrl(href, canonical);
        if (link && !seen.has(link)) {
          seen.add(link);
          queue.push(link);
        }
      }
    }
    expect([...indexed].sort()).toEqual(wiki.articleTitles.map((title) => wiki.pageUrl(title)).sort());
    for (const title of Object.keys(wiki.redirects))
      expect(statuses[wiki.pageUrl(title)]).toBe(wiki.httpRedirects.includes(title) ? 301 : 200);
    for (const title of wiki.missingTitles) expect(statuses[wiki.pageUrl(title)]).toBe(404);
    const fetched = wiki.pageRequests().map((r) => r.path);
    expect(
      fetched.filter((path) => /Special|Talk|File|Category|Template|User|action=|index\.php/i.test(path)),
    ).toEqual([]);
    expect(new Set(fetched).size).toBe(fetched.length); // one request per page
    expect(fetched).toHaveLength(
      wiki.articleTitles.length + Object.keys(wiki.redirects).length + wiki.missingTitles.length,
    );
  });

  it('serves the main page under another title, or not at all', async () => {
    const all = wiki.articleTitles.length;
    wiki.mainPage = 'Family_Guy_Wiki';
    expect((await fetch(wiki.pageUrl('Family_Guy_Wiki'))).status).toBe(200);
    expect((await fetch(wiki.pageUrl('Main_Page'))).status).toBe(404);
    expect(wiki.articleTitles).toContain('Family_Guy_Wiki');
    expect(wiki.articleTitles).not.toContain('Main_Page');
    const listed = await collect(listAllPages(wiki.apiUrl, { limit: 100, timeoutMs: 5000 }));
    expect(listed.sort()).toEqual(wiki.articleTitles.map((t) => t.replace(/_/g, ' ')).sort());
    expect((await fetch(`${wiki.url}/`, { redirect: 'manual' })).headers.get('location')).toBe(
      '/wiki/Family_Guy_Wiki',
    );

    wiki.mainPage = null;
    expect((await fetch(wiki.pageUrl('Main_Page'))).status).toBe(404);
    expect(wiki.articleTitles).toHaveLength(all - 1);
    expect(wiki.articleTitles).not.toContain('Main_Page');
    expect((await fetch(`${wiki.url}/`, { redirect: 'manual' })).headers.get('location')).toBe(
      '/wiki/Main_Page',
    );
  });

  it('answers 500 as often as failTimes says, then the page', async () => {
    wiki.failTimes[wiki.flakyPath] = 2;
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await fetch(`${wiki.url}${wiki.flakyPath}`)).status);
    expect(statuses).toEqual([500, 500, 200]);
    expect(wiki.requests.map((r) => r.status)).toEqual([500, 500, 200]);
  });

  it('delays the slow page by slowMs', async () => {
    wiki.slowMs = 300;
    const started = Date.now();
    expect((await fetch(`${wiki.url}${wiki.slowPath}`)).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('answers 500 twice on the flaky page when started without options', async () => {
    const fresh = await startFixtureWiki();
    try {
      expect((await fetch(`${fresh.url}${fresh.flakyPath}`)).status).toBe(500);
      expect((await fetch(`${fresh.url}${fresh.flakyPath}`)).status).toBe(500);
      expect((await fetch(`${fresh.url}${fresh.flakyPath}`)).status).toBe(200);
      expect(fresh.requests.map((r) => r.time)).toEqual([...fresh.requests.map((r) => r.time)].sort());
    } finally {
      await fresh.close();
    }
  });
});
