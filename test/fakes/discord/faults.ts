import { STATUS_CODES } from 'node:http';
import type { RestResponse } from './responses';

export interface FailureInjection {
  /** HTTP method to match (any if omitted). */
  method?: string;
  /** Tested against the route without the /api/vN prefix, e.g. /\/channels\/\d+\/messages$/. */
  path?: RegExp;
  status: number;
  /** How many matching calls fail (default 1). */
  times?: number;
  /** For 429: retry_after and Retry-After in seconds (default 0.1; Discord's are usually whole seconds). */
  retryAfterSeconds?: number;
  /** For 429: the global limit (X-RateLimit-Global, scope global, `global: true`) instead of a route's. */
  global?: boolean;
  /**
   * Carry the request out first, then answer `status` anyway: a response lost after Discord
   * acted (a timeout at the edge), which is what makes retried posts dangerous.
   */
  afterEffect?: boolean;
}

type Injection = Required<Omit<FailureInjection, 'method' | 'path'>> &
  Pick<FailureInjection, 'method' | 'path'>;

/** Failures a test injected into the REST API, each used up by the next `times` matching calls. */
export class Faults {
  private readonly pending: Injection[] = [];

  add({
    method,
    path,
    status,
    times = 1,
    retryAfterSeconds = 0.1,
    afterEffect = false,
    global = false,
  }: FailureInjection): void {
    this.pending.push({
      method: method?.toUpperCase(),
      path,
      status,
      times,
      retryAfterSeconds,
      afterEffect,
      global,
    });
  }

  /** The first injection matching this call, counted as used once. */
  take(method: string, path: string): Injection | undefined {
    const index = this.pending.findIndex(
      (injection) => (injection.method ?? method) === method && (injection.path?.test(path) ?? true),
    );
    const injection = this.pending[index];
    if (injection && --injection.times <= 0) this.pending.splice(index, 1);
    return injection;
  }
}

/** The injected answer: a plain error, or a 429 with the body and headers Discord sends along. */
export function injectedResponse({ status, retryAfterSeconds: after, global }: Injection): RestResponse {
  if (status !== 429) {
    return { status, body: { message: `${status}: ${STATUS_CODES[status] ?? 'Error'}`, code: 0 } };
  }
  // A per-route ("user" scope) or the global limit.
  return {
    status: 429,
    body: { message: 'You are being rate limited.', retry_after: after, global },
    headers: {
      'retry-after': String(after),
      ...(global && { 'x-ratelimit-global': 'true' }),
      'x-ratelimit-scope': global ? 'global' : 'user',
      'x-ratelimit-limit': '5',
      'x-ratelimit-remaining': '0',
      'x-ratelimit-reset': String(Date.now() / 1000 + after),
      'x-ratelimit-reset-after': String(after),
    },
  };
}
