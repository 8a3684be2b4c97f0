/** What a page request answered. */
export interface FetchedPage {
  status: number;
  /** The URL asked for. */
  url: string;
  html: string;
  /** For a 3xx answer: where its `Location` points (absolute); the redirect is not followed. */
  location: string | null;
}

/** Wiki pages larger than this are not articles worth indexing (and could exhaust memory). */
const MAX_PAGE_BYTES = 5 * 1024 * 1024;
const USER_AGENT = 'family-guy-discord-bots/0.1 (knowledge-base crawler; polite, one request at a time)';

/**
 * GET a wiki page with a timeout and a size limit. Non-2xx answers are returned, not thrown. HTTP redirects
 * are not followed but returned with their `location`: the crawler decides whether the target is worth a
 * request (it may have been fetched already).
 */
export async function fetchPage(
  url: string,
  options: { timeoutMs: number; signal?: AbortSignal },
): Promise<FetchedPage> {
  const signals = [AbortSignal.timeout(options.timeoutMs), ...(options.signal ? [options.signal] : [])];
  const response = await fetch(url, {
    headers: { 'user-agent': USER_AGENT, accept: 'text/html' },
    redirect: 'manual',
    signal: AbortSignal.any(signals),
  });
  const header = response.headers.get('location');
  if (response.status >= 300 && response.status < 400 && header) {
    await response.body?.cancel();
    return { status: response.status, url, html: '', location: new URL(header, url).href };
  }
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > MAX_PAGE_BYTES) {
    await response.body?.cancel();
    throw new Error(`${url}: page of ${declared} bytes is over the ${MAX_PAGE_BYTES}-byte limit`);
  }
  const html = await response.text();
  if (html.length > MAX_PAGE_BYTES) throw new Error(`${url}: page is over the ${MAX_PAGE_BYTES}-byte limit`);
  return { status: response.status, url, html, location: null };
}
