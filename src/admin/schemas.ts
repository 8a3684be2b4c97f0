/**
 * JSON Schema pieces for the routes' `schema` option: the one definition of what each route accepts.
 * Fastify checks every request's body, query string and path parameters against them with Ajv
 * before the handler runs (src/admin/validation.ts: JSON bodies keep their types, query strings become
 * the integers their schemas ask for, absent fields take their `default`), and answers 400 with the
 * message clients know, worded from the schema (`channel: expected a non-empty string`, `limit:
 * expected an integer 1-500`) or given by it (MESSAGE). @fastify/swagger turns the same schemas into
 * the OpenAPI document at GET /openapi.json. The response schemas only document: answers are sent as
 * they are.
 */

export type Schema = Record<string, unknown>;

/**
 * A schema's own 400 message, used for any problem with the value it describes, where the generic
 * wording would be wrong or vague (a pattern's meaning, a route's established wording).
 */
export const MESSAGE = 'x-message';

export const string = (description?: string, extra: Schema = {}): Schema => ({
  type: 'string',
  ...(description && { description }),
  ...extra,
});

/**
 * A string a client must fill: at most `maxLength` characters, not empty once trimmed (every string
 * of a body is trimmed before it is checked, see parseJsonBodies).
 */
export const text = (maxLength: number, description?: string, extra: Schema = {}): Schema =>
  string(description, { minLength: 1, maxLength, ...extra });

export const integer = (
  minimum: number,
  maximum: number,
  description?: string,
  extra: Schema = {},
): Schema => ({
  type: 'integer',
  minimum,
  maximum,
  ...(description && { description }),
  ...extra,
});

/** An integer refused as "`name` must be an integer in min..max" (the crawl and organic routes' wording). */
export const integerIn = (name: string, minimum: number, maximum: number): Schema =>
  integer(minimum, maximum, undefined, { [MESSAGE]: `${name} must be an integer in ${minimum}..${maximum}` });

/** A list route's `limit` query parameter (or another count): 1..max, `fallback` when absent. */
export const limit = (max: number, fallback: number, description?: string): Schema =>
  integer(1, max, description, { default: fallback });

/** A JSON object body: these fields, `required` among them, and no others (`unknown field "x"`). */
export const object = (properties: Record<string, Schema>, required: string[] = []): Schema => ({
  type: 'object',
  properties,
  required,
  additionalProperties: false,
});

/** A query string: these parameters; others are ignored. */
export const query = (properties: Record<string, Schema>): Schema => ({ type: 'object', properties });

/**
 * A path parameter in a route URL, restricted to `pattern` (find-my-way's `:name(regexp)`): a
 * request whose segment does not match finds no route (404), as for any unknown path.
 */
export const param = (name: string, pattern: string): string => `:${name}(^${pattern}$)`;

/** The `params` schema of a route whose URL uses param(name, pattern) for each entry. */
export const pathParams = (patterns: Record<string, string>): Schema =>
  object(
    Object.fromEntries(
      Object.entries(patterns).map(([name, pattern]) => [
        name,
        string(undefined, { pattern: `^${pattern}$` }),
      ]),
    ),
    Object.keys(patterns),
  );

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'a bad request body or query: the message names the field',
  401: 'no admin token (or a wrong one), and no live session',
  403: 'a session cookie without its CSRF token (x-csrf-token)',
  404: 'no such thing',
  409: 'refused by the current state',
  413: "request body over the route's limit (64 KiB; a lorebook 1 MiB, a card file 4 MiB)",
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
