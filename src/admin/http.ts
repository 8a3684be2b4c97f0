import type { FastifyInstance, FastifyRequest } from 'fastify';

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
 * application/x-www-form-urlencoded), at most MAX_BODY_BYTES; an empty body is {}.
 */
export function parseJsonBodies(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: MAX_BODY_BYTES }, (_request, text, done) => {
    try {
      done(null, parseJsonObject(text as string));
    } catch (err) {
      done(err as HttpError, undefined);
    }
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

/** A request's JSON object body ({} when it had none). */
export function bodyOf(request: FastifyRequest): JsonObject {
  return (request.body as JsonObject | undefined) ?? {};
}

/** A query parameter's value (the first, if repeated). */
export function queryParam(request: FastifyRequest, name: string): string | undefined {
  const value = (request.query as Record<string, string | string[] | undefined>)[name];
  return Array.isArray(value) ? value[0] : value;
}

/** A required non-empty string field of a JSON body, trimmed; 400 naming the field otherwise. */
export function requiredString(body: JsonObject, field: string, max: number): string {
  const value = body[field];
  if (typeof value !== 'string' || value.trim() === '')
    throw new HttpError(400, `${field}: expected a non-empty string`);
  if (value.length > max) throw new HttpError(400, `${field}: at most ${max} characters`);
  return value.trim();
}

/** Like requiredString, for a field that may be left out. */
export function optionalString(body: JsonObject, field: string, max: number): string | undefined {
  return body[field] === undefined ? undefined : requiredString(body, field, max);
}
