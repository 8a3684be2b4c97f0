import type { FastifyInstance } from 'fastify';

/** An answer with a status and a message the caller can act on (sent as `{"error": message}`). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Extra response headers, e.g. Retry-After on a 429. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** Admin request bodies are small JSON documents. */
export const MAX_BODY_BYTES = 64 * 1024;

export type JsonObject = Record<string, unknown>;

/**
 * Every request body is read as a JSON object whatever its content type (`curl -d` sends
 * application/x-www-form-urlencoded), at most MAX_BODY_BYTES; an empty body is {}, and so is none.
 * Its strings are trimmed before the route schema checks them (a whitespace-only string is empty), so
 * handlers get what was checked.
 */
export function parseJsonBodies(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: MAX_BODY_BYTES }, (_request, text, done) => {
    try {
      done(null, trimmed(parseJsonObject(text as string)));
    } catch (err) {
      done(err as HttpError, undefined);
    }
  });
  // A request without a body (no content type) skips the parser.
  app.addHook('preValidation', (request, _reply, done) => {
    request.body ??= {};
    done();
  });
}

function parseJsonObject(text: string): JsonObject {
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'request body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new HttpError(400, 'request body must be a JSON object');
  }
  return parsed as JsonObject;
}

/** `value` with every string in it trimmed. */
function trimmed<T>(value: T): T {
  if (typeof value === 'string') return value.trim() as T;
  if (Array.isArray(value)) return value.map(trimmed) as T;
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, trimmed(item)])) as T;
  return value;
}
