/**
 * The one way the dashboard talks to the admin API: JSON in and out, the CSRF token on every
 * state-changing request, the server's `{"error": ...}` as the error message, and a 401 from any
 * call (but the sign-in itself) sends the page back to the sign-in form.
 */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Kept in memory only (never in storage or a URL): a reload asks GET /session again. */
let csrfToken: string | null = null;
let onUnauthorized: () => void = () => undefined;

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called when any API call answers 401 (the session expired or was signed out elsewhere). */
export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** A request body: JSON, or bytes sent as they are (a card file) with their content type. */
interface Payload {
  contentType: string;
  data: string | ArrayBuffer;
}

function json(value: unknown): Payload {
  return { contentType: 'application/json', data: JSON.stringify(value) };
}

async function request<T>(method: Method, path: string, body?: Payload, signIn = false): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = body.contentType;
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body?.data,
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch (err) {
    throw new ApiError(0, `cannot reach the admin API (${(err as Error).message})`);
  }
  const text = await response.text();
  let data: unknown = undefined;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = undefined;
    }
  }
  if (!response.ok) {
    const message =
      data && typeof data === 'object' && typeof (data as { error?: unknown }).error === 'string'
        ? (data as { error: string }).error
        : `${response.status} ${response.statusText || 'error'}`;
    if (response.status === 401 && !signIn) {
      csrfToken = null;
      onUnauthorized();
    }
    const retryAfter = response.headers.get('retry-after');
    throw new ApiError(
      response.status,
      response.status === 429 && retryAfter ? `${message} (try again in ${retryAfter} s)` : message,
    );
  }
  return data as T;
}

export const api = {
  get: <T>(path: string) => request<T>('GET', path),
  post: <T>(path: string, body: unknown = {}) => request<T>('POST', path, json(body)),
  put: <T>(path: string, body: unknown) => request<T>('PUT', path, json(body)),
  patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, json(body)),
  delete: <T>(path: string) => request<T>('DELETE', path),
  /** POSTs bytes as they are (e.g. a card file), with their content type. */
  postBytes: <T>(path: string, data: ArrayBuffer, contentType: string) =>
    request<T>('POST', path, { contentType, data }),
  /** POST /session: a wrong token is an ApiError with the server's message, not a trip to sign-in. */
  signIn: (token: string) => request<{ csrf_token: string }>('POST', '/session', json({ token }), true),
  /** GET /session: 401 when there is no live session (quietly: the caller shows sign-in). */
  session: () => request<{ csrf_token: string }>('GET', '/session', undefined, true),
};

/** A path segment, encoded (dead-letter ids hold ':' and '/'). */
export function seg(value: string): string {
  return encodeURIComponent(value);
}

/** Builds `path?k=v&...`, leaving out undefined and empty values. */
export function withQuery(path: string, query: Record<string, string | number | undefined | null>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query))
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
