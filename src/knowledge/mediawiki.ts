/**
 * The MediaWiki Action API (`api.php`) of a wiki, as far as the crawler needs it: does the wiki offer it
 * (`probeApi`, which also asks siteinfo for the main page), the titles of its articles (`list=allpages`,
 * main namespace, redirects left out, paged with `apcontinue`), and where link discovery starts when there
 * is no listing (`findStartPage`: siteinfo's main page, the site root's redirect, else `Main_Page`). Fandom
 * serves it at `<wiki>/api.php`. Every request has a timeout; HTTP and API errors are thrown as
 * `MediaWikiError` naming the URL and status.
 */
import { articleUrl, normaliseArticleUrl } from './wikiUrls';

/** Most titles MediaWiki returns per request for ordinary clients (`aplimit=max`). */
const MAX_APLIMIT = 500;
/** Timeout of `detectApi` when none is given. */
const DEFAULT_TIMEOUT_MS = 10_000;
const USER_AGENT = 'family-guy-discord-bots/0.1 (knowledge-base crawler)';

export type FetchImpl = typeof fetch;

export interface MediaWikiRequestOptions {
  /** Give up on one request after this long. */
  timeoutMs: number;
  /** Aborts the requests in flight (e.g. the activity was cancelled). */
  signal?: AbortSignal;
  /** `fetch` to use (tests); the global one by default. */
  fetchImpl?: FetchImpl;
}

export interface ListAllPagesOptions extends MediaWikiRequestOptions {
  /** Stop after this many titles. */
  limit: number;
}

/** An api.php request that failed: HTTP status (0 when there was no answer) or the API's error code. */
export class MediaWikiError extends Error {
  override name = 'MediaWikiError';
  constructor(
    message: string,
    readonly url: string,
    readonly status: number,
    readonly code?: string,
  ) {
    super(message);
  }

  /** Worth retrying: no answer, a timeout, 429 or 5xx. Other 4xx and API errors will not change. */
  get transient(): boolean {
    return this.status === 0 || this.status === 429 || this.status >= 500;
  }
}

/**
 * Titles of the wiki's articles (namespace 0, no redirects) in the API's order, as MediaWiki writes them
 * ("Peter Griffin": turn them into URLs with `articleUrl`), at most `limit`. Pages through `apcontinue`
 * lazily: stopping the iteration early sends no further requests.
 */
export async function* listAllPages(apiUrl: string, options: ListAllPagesOptions): AsyncGenerator<string> {
  let remaining = options.limit;
  let cont: Record<string, string> | undefined;
  while (remaining > 0) {
    const params: Record<string, string> = {
      action: 'query',
      list: 'allpages',
      apnamespace: '0',
      apfilterredir: 'nonredirects',
      aplimit: String(Math.min(remaining, MAX_APLIMIT)),
      format: 'json',
      formatversion: '2',
      ...cont,
    };
    const body = await apiGet(apiUrl, params, options);
    const pages = (body.query as { allpages?: unknown } | undefined)?.allpages;
    if (!Array.isArray(pages)) {
      throw new MediaWikiError(`${apiUrl}: list=allpages answer has no query.allpages`, apiUrl, 200);
    }
    for (const page of pages as Array<{ title?: unknown }>) {
      if (typeof page.title !== 'string') continue;
      yield page.title;
      remaining -= 1;
      if (remaining <= 0) return;
    }
    const next = body.continue as Record<string, unknown> | undefined;
    if (!next || typeof next.apcontinue !== 'string') return; // the last batch
    if (next.apcontinue === cont?.apcontinue) {
      throw new MediaWikiError(`${apiUrl}: list=allpages repeats apcontinue=${next.apcontinue}`, apiUrl, 200);
    }
    cont = Object.fromEntries(Object.entries(next).map(([key, value]) => [key, String(value)]));
  }
}

/** What probing a wiki's api.php found, and why: the crawl's plan is made from it. */
export interface ApiProbe {
  /** The api.php whose `list=allpages` works (the crawler can list the articles), else null. */
  apiUrl: string | null;
  /** How `apiUrl` answered: both modules in one request, or only one module per request. */
  queryMode: 'combined' | 'single' | null;
  /** The wiki's main page title from siteinfo (`general.mainpage`, e.g. "Main Page"), when an api.php said. */
  mainPage: string | null;
  /** One line for the crawl's log, e.g. "http://x/api.php: meta=siteinfo&list=allpages answered together". */
  reason: string;
}

/** The probe's query modules, asked together first and alone when a wiki does not answer them together. */
const SITEINFO_PARAMS = { meta: 'siteinfo', siprop: 'general' };
const ALLPAGES_PARAMS = { list: 'allpages', apnamespace: '0', aplimit: '1' };
const QUERY_PARAMS = { action: 'query', format: 'json', formatversion: '2' };

/**
 * The api.php URL of the wiki at `baseUrl` that lists its articles, or null (see `probeApi`).
 */
export async function detectApi(
  baseUrl: string,
  options: MediaWikiRequestOptions = { timeoutMs: DEFAULT_TIMEOUT_MS },
): Promise<string | null> {
  return (await probeApi(baseUrl, options)).apiUrl;
}

/**
 * Probes the api.php of the wiki at `baseUrl` (any URL of it: `https://familyguy.fandom.com`,
 * `.../wiki/Main_Page`, a language wiki `.../de/wiki/...`): at `<prefix>/api.php`, then `<prefix>/w/api.php`.
 * Each candidate is asked for the site info and one `list=allpages` title in one request; when it answers
 * JSON but not both parts (an API error, a warning and a missing part, as some wikis answer combined
 * queries), it is asked one module per request and judged from those. `apiUrl` is set when `list=allpages`
 * works; `mainPage` when siteinfo named the main page. A 4xx or a non-JSON answer (an HTML page) means
 * "no api.php here"; a 5xx, 429, timeout or network error is thrown (`MediaWikiError`, transient) rather
 * than silently downgrading the crawl to link discovery.
 */
export async function probeApi(
  baseUrl: string,
  options: MediaWikiRequestOptions = { timeoutMs: DEFAULT_TIMEOUT_MS },
): Promise<ApiProbe> {
  const base = new URL(baseUrl);
  const at = base.pathname.indexOf('/wiki/');
  const prefix = at > 0 ? base.pathname.slice(0, at) : '';
  const notes: string[] = [];
  let mainPage: string | null = null;
  for (const path of ['/api.php', '/w/api.php']) {
    const apiUrl = `${base.origin}${prefix}${path}`;
    const combined = await ask(apiUrl, { ...SITEINFO_PARAMS, ...ALLPAGES_PARAMS }, options);
    if (combined.kind === 'none') {
      notes.push(combined.why);
      continue;
    }
    const combinedGeneral = generalOf(combined);
    const combinedProblem = missingPart(combined, ['general', 'allpages']);
    if (combinedProblem === null) {
      return {
        apiUrl,
        queryMode: 'combined',
        mainPage: mainPageOf(combinedGeneral),
        reason: `${apiUrl}: meta=siteinfo&list=allpages answered together`,
      };
    }
    // JSON, but not what was asked: ask one module per request.
    const siteinfo = await ask(apiUrl, SITEINFO_PARAMS, options);
    const allpages = await ask(apiUrl, ALLPAGES_PARAMS, options);
    const siteinfoProblem = missingPart(siteinfo, ['general']);
    const allpagesProblem = missingPart(allpages, ['allpages']);
    mainPage ??= siteinfoProblem === null ? mainPageOf(generalOf(siteinfo)) : null;
    const detail =
      `${apiUrl}: the combined meta=siteinfo&list=allpages query was not accepted (${combinedProblem}); ` +
      `one module per request: meta=siteinfo ${siteinfoProblem === null ? 'works' : `fails (${siteinfoProblem})`}, ` +
      `list=allpages ${allpagesProblem === null ? 'works' : `fails (${allpagesProblem})`}`;
    if (allpagesProblem === null) return { apiUrl, queryMode: 'single', mainPage, reason: detail };
    notes.push(detail);
    if (siteinfoProblem === null) break; // the wiki's api.php, without a usable listing: no need to look on
  }
  return { apiUrl: null, queryMode: null, mainPage, reason: notes.join('; ') };
}

type Answer =
  | { kind: 'json'; body: Record<string, unknown> }
  | { kind: 'api-error'; why: string }
  | { kind: 'none'; why: string };

/** One probe request: its JSON, an API error (still an api.php), or why there is no api.php here. */
async function ask(
  apiUrl: string,
  params: Record<string, string>,
  options: MediaWikiRequestOptions,
): Promise<Answer> {
  try {
    return { kind: 'json', body: await apiGet(apiUrl, { ...QUERY_PARAMS, ...params }, options) };
  } catch (err) {
    if (!(err instanceof MediaWikiError) || err.transient) throw err;
    if (err.code !== undefined) return { kind: 'api-error', why: err.message.replace(/^GET \S+: /, '') };
    if (err.status !== 200) return { kind: 'none', why: `${apiUrl} answered ${err.status}` };
    return { kind: 'none', why: err.message.replace(/^GET \S+ /, `${apiUrl} `) };
  }
}

/** Null when the answer has every part; else what is wrong with it (its warnings included). */
function missingPart(answer: Answer, parts: Array<'general' | 'allpages'>): string | null {
  if (answer.kind !== 'json') return answer.why;
  const query = answer.body.query as { general?: unknown; allpages?: unknown } | undefined;
  const missing = parts.filter((part) =>
    part === 'general'
      ? typeof query?.general !== 'object' || query.general === null
      : !Array.isArray(query?.allpages),
  );
  if (missing.length === 0) return null;
  const warnings = answer.body.warnings ? `; warnings: ${JSON.stringify(answer.body.warnings)}` : '';
  return `no ${missing.map((part) => `query.${part}`).join(' and ')} in the answer${warnings}`.slice(0, 300);
}

function generalOf(answer: Answer): Record<string, unknown> | undefined {
  if (answer.kind !== 'json') return undefined;
  const general = (answer.body.query as { general?: unknown } | undefined)?.general;
  return typeof general === 'object' && general !== null ? (general as Record<string, unknown>) : undefined;
}

function mainPageOf(general: Record<string, unknown> | undefined): string | null {
  const title = general?.mainpage;
  return typeof title === 'string' && title.trim() !== '' ? title : null;
}

/** Where link discovery starts, and who said so. */
export interface StartPage {
  url: string;
  source: 'siteinfo mainpage' | 'root redirect' | 'default';
}

/** Redirects followed from the site root at most. */
const MAX_ROOT_HOPS = 5;

/**
 * The page link discovery starts from: the main page siteinfo named (`mainPage`), else the article the
 * site root (`<origin><prefix>/`) redirects to (redirects are followed by hand, so the article itself is
 * not fetched here), else `Main_Page`. A root that cannot be reached is thrown (`MediaWikiError`).
 */
export async function findStartPage(
  baseUrl: string,
  mainPage: string | null,
  options: MediaWikiRequestOptions = { timeoutMs: DEFAULT_TIMEOUT_MS },
): Promise<StartPage> {
  if (mainPage) return { url: articleUrl(baseUrl, mainPage), source: 'siteinfo mainpage' };
  const base = new URL(baseUrl);
  const at = base.pathname.indexOf('/wiki/');
  let url = `${base.origin}${at > 0 ? base.pathname.slice(0, at) : ''}/`;
  for (let hop = 0; hop < MAX_ROOT_HOPS; hop++) {
    const timeout = AbortSignal.timeout(options.timeoutMs);
    let response: Response;
    try {
      response = await (options.fetchImpl ?? fetch)(url, {
        headers: { 'user-agent': USER_AGENT, accept: 'text/html' },
        redirect: 'manual',
        signal: AbortSignal.any([timeout, ...(options.signal ? [options.signal] : [])]),
      });
      await response.body?.cancel();
    } catch (err) {
      if (options.signal?.aborted) throw err;
      const reason = timeout.aborted ? `timed out after ${options.timeoutMs} ms` : `failed: ${describe(err)}`;
      throw new MediaWikiError(`GET ${url} ${reason}`, url, 0);
    }
    const location = response.headers.get('location');
    if (response.status < 300 || response.status >= 400 || !location) break;
    const next = new URL(location, url).href;
    const article = normaliseArticleUrl(next, baseUrl);
    if (article) return { url: article, source: 'root redirect' };
    if (new URL(next).hostname !== base.hostname) break;
    url = next;
  }
  return { url: articleUrl(baseUrl, 'Main_Page'), source: 'default' };
}

/** GET api.php with `params`; the parsed JSON object, or a MediaWikiError. */
async function apiGet(
  apiUrl: string,
  params: Record<string, string>,
  options: MediaWikiRequestOptions,
): Promise<Record<string, unknown>> {
  const url = `${apiUrl}?${new URLSearchParams(params).toString()}`;
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signals = [timeout, ...(options.signal ? [options.signal] : [])];
  let response: Response;
  let text: string;
  try {
    response = await (options.fetchImpl ?? fetch)(url, {
      headers: { 'user-agent': USER_AGENT, accept: 'application/json' },
      signal: AbortSignal.any(signals),
    });
    text = await response.text();
  } catch (err) {
    if (options.signal?.aborted) throw err; // cancelled by the caller: not ours to describe
    const reason = timeout.aborted ? `timed out after ${options.timeoutMs} ms` : `failed: ${describe(err)}`;
    throw new MediaWikiError(`GET ${url} ${reason}`, url, 0);
  }
  if (!response.ok) {
    throw new MediaWikiError(
      `GET ${url} answered ${response.status} ${response.statusText}`,
      url,
      response.status,
    );
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new MediaWikiError(
      `GET ${url} answered ${response.status} with something other than JSON`,
      url,
      200,
    );
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new MediaWikiError(`GET ${url} answered JSON that is not an object`, url, 200);
  }
  const error = (body as { error?: { code?: unknown; info?: unknown } }).error;
  if (error) {
    const code = typeof error.code === 'string' ? error.code : 'unknown';
    const info = typeof error.info === 'string' ? error.info : '';
    throw new MediaWikiError(`GET ${url}: API error ${code}: ${info}`, url, 200, code);
  }
  return body as Record<string, unknown>;
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: unknown }).cause;
  return cause instanceof Error ? `${err.message} (${cause.message})` : err.message;
}
