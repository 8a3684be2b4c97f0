/**
 * JSON Schema pieces for the routes' `schema` option. @fastify/swagger turns them into the
 * OpenAPI document served at GET /openapi.json; the handlers check requests themselves (see
 * `documentOnly` in server.ts), so a schema describes what a handler accepts.
 */

export type Schema = Record<string, unknown>;

export const string = (description?: string, extra: Schema = {}): Schema => ({
  type: 'string',
  ...(description && { description }),
  ...extra,
});

export const integer = (minimum: number, maximum: number, description?: string): Schema => ({
  type: 'integer',
  minimum,
  maximum,
  ...(description && { description }),
});

export const object = (properties: Record<string, Schema>, required: string[] = []): Schema => ({
  type: 'object',
  properties,
  required,
  additionalProperties: false,
});

/**
 * A path parameter in a route URL, restricted to `pattern` (find-my-way's `:name(regexp)`): a
 * request whose segment does not match finds no route (404), as for any unknown path.
 */
export const param = (name: string, pattern: string): string => `:${name}(^${pattern}$)`;

/** The `params` schema of a route whose URL uses param(name, pattern) for each entry. */
export const pathParams = (patterns: Record<string, string>): Schema =>
  object(
    Object.fromEntries(
      Object.entries(patterns).map(([name, pattern]) => [name, string(undefined, { pattern })]),
    ),
    Object.keys(patterns),
  );

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'a bad request body or query: the message names the field',
  401: 'no admin token (or a wrong one), and no live session',
  403: 'a session cookie without its CSRF token (x-csrf-token)',
  404: 'no such thing',
  409: 'refused by the current state',
  413: 'request body over 64 KiB',
  422: 'cannot be done for this entry',
  429: 'too many wrong tokens from this address: wait Retry-After seconds',
  503: 'admin routes disabled (no ADMIN_TOKEN), or a dependency did not answer',
};

const errorBody = object({ error: string('what was wrong') }, ['error']);

/**
 * A route's documented answers: each success status with what it returns (a JSON object), and
 * each error status with the `{"error": message}` body every error has.
 */
export function responses(ok: Record<number, string>, errors: number[] = []): Record<number, Schema> {
  return {
    ...Object.fromEntries(
      Object.entries(ok).map(([status, description]) => [status, { description, type: 'object' }]),
    ),
    ...Object.fromEntries(errors.map((status) => [status, errorResponse(status)])),
  };
}

export function errorResponse(status: number): Schema {
  return { description: ERROR_DESCRIPTIONS[status] ?? 'error', ...errorBody };
}
