import { RESTJSONErrorCodes } from 'discord.js';

/** What a REST route answers (no body: an empty response, e.g. 204). */
export interface RestResponse {
  status: number;
  body?: object;
  headers?: Record<string, string>;
}

/** Thrown by route handlers; becomes a JSON error response. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: object,
  ) {
    super(`HTTP ${status}`);
  }
}

export const fail = (status: number, code: number, message: string): HttpError =>
  new HttpError(status, { message, code });

export const notFound = (): HttpError => fail(404, 0, '404: Not Found');

export const methodNotAllowed = (): HttpError => fail(405, 0, '405: Method Not Allowed');

/**
 * Discord's 50035 shape, { code, message, errors: { field: { _errors: [{ code, message }] } } }, for a
 * field at `path`, e.g. ['0', 'options', '1', 'name'] of a command list.
 */
export function invalidFormAt(path: string[], code: string, message: string): HttpError {
  let errors: object = { _errors: [{ code, message }] };
  for (const key of [...path].reverse()) errors = { [key]: errors };
  return new HttpError(400, {
    code: RESTJSONErrorCodes.InvalidFormBodyOrContentType,
    message: 'Invalid Form Body',
    errors,
  });
}

export const invalidForm = (field: string, code: string, message: string): HttpError =>
  invalidFormAt([field], code, message);

/** A request's JSON body (undefined when empty); Discord's 400 for anything else. */
export function parseJsonBody(raw: string): unknown {
  try {
    return raw ? JSON.parse(raw) : undefined;
  } catch {
    throw fail(
      400,
      RESTJSONErrorCodes.RequestBodyContainsInvalidJSON,
      'The request body contains invalid JSON.',
    );
  }
}

/** A message's `content` as Discord checks it when a message is posted or edited. */
export function checkedContent(content: unknown): string {
  if (typeof content !== 'string') {
    throw invalidForm('content', 'STRING_TYPE_CONVERT', 'Could not interpret value as string.');
  }
  // Discord counts characters (code points), not UTF-16 units.
  if ([...content].length > 2000) {
    throw invalidForm('content', 'BASE_TYPE_MAX_LENGTH', 'Must be 2000 or fewer in length.');
  }
  return content;
}
