/** What a page request answered. */
export interface FetchedPage {
  status: number;
  /** After redirects. */
  url: string;
  html: string;
}

/** Wiki pages larger than this are not articles worth indexing (and could exhaust memory). */
const MAX_PAGE_BYTES = 5 * 1024 * 1024;
const USER_AGENT = 'family-guy-discord-bots/0.1 (knowledge-base crawler; polite, one request at a time)';

/** GET a wiki page with a timeout and a size limit. Non-2xx answers are returned, not thrown. */
export async function fetchPage(
  url: string,
  options: { timeoutMs: number; signal?: AbortSignal },
): Promise<FetchedPage> {
  const signals = [AbortSignal.timeout(options.timeoutMs), ...(options.signal ? [options.signal] : [])];
  const response = await fetch(url, {
    headers: { 'user-agent': USER_AGENT, accept: 'text/html' },
    redirect: 'follow',
    signal: AbortSignal.any(signals),
  });
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > MAX_PAGE_BYTES) {
    await response.body?.cancel();
    throw new Error(`${url}: page of ${declared} bytes is over the ${MAX_PAGE_BYTES}-byte limit`);
  }
  const html = await response.text();
  if (html.length > MAX_PAGE_BYTES) throw new Error(`${url}: page is over the ${MAX_PAGE_BYTES}-byte limit`);
  return { status: response.status, url: response.url || url, html };
}
