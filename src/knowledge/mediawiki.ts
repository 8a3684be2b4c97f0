/**
 * The MediaWiki Action API (`api.php`) of a wiki, as far as the crawler needs it: does the wiki offer it,
 * and the titles of its articles (`list=allpages`, main namespace, redirects left out, paged with
 * `apcontinue`). Fandom serves it at `<wiki>/api.php`. Every request has a timeout; HTTP and API errors
 * are thrown as `MediaWikiError` naming the URL and status.
 */

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

/**
 * The api.php URL of the wiki at `baseUrl` (any URL of it: `https://familyguy.fandom.com`,
 * `.../wiki/Main_Page`, a language wiki `.../de/wiki/...`), or null when it has none usable. One request
 * per candidate (`<prefix>/api.php`, then `<prefix>/w/api.php`) asking for the site info and one
 * `list=allpages` title at once, so a "yes" means the listing the crawler needs works. A 4xx, a non-JSON
 * answer (an HTML page) or an API error means "not here"; a 5xx, 429, timeout or network error is thrown
 * (`MediaWikiError`, transient) rather than silently downgrading the crawl to link discovery.
 */
export async function detectApi(
  baseUrl: string,
  options: MediaWikiRequestOptions = { timeoutMs: DEFAULT_TIMEOUT_MS },
): Promise<string | null> {
  const base = new URL(baseUrl);
  const at = base.pathname.indexOf('/wiki/');
  const prefix = at > 0 ? base.pathname.slice(0, at) : '';
  for (const path of ['/api.php', '/w/api.php']) {
    const apiUrl = `${base.origin}${prefix}${path}`;
    try {
      const body = await apiGet(
        apiUrl,
        {
          action: 'query',
          meta: 'siteinfo',
          siprop: 'general',
          list: 'allpages',
          apnamespace: '0',
          aplimit: '1',
          format: 'json',
          formatversion: '2',
        },
        options,
      );
      const query = body.query as { general?: unknown; allpages?: unknown } | undefined;
      if (query && typeof query.general === 'object' && Array.isArray(query.allpages)) return apiUrl;
    } catch (err) {
      if (err instanceof MediaWikiError && !err.transient) continue;
      throw err;
    }
  }
  return null;
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
    const code = String(error.code ?? 'unknown');
    throw new MediaWikiError(`GET ${url}: API error ${code}: ${String(error.info ?? '')}`, url, 200, code);
  }
  return body as Record<string, unknown>;
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: unknown }).cause;
  return cause instanceof Error ? `${err.message} (${cause.message})` : err.message;
}
