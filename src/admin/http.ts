import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** An answer with a status and a message the caller can act on. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Admin request bodies are small JSON documents. */
export const MAX_BODY_BYTES = 64 * 1024;

/** A route handler's answer: status and JSON body. */
export type Reply = [number, unknown];

export interface Route {
  method: 'GET' | 'POST';
  /** Matched against the whole path; named groups become params. */
  path: RegExp;
  /** Open routes (health) need no token. */
  open?: boolean;
  handle(req: IncomingMessage, params: Record<string, string>): Promise<Reply>;
}

export function authorize(req: IncomingMessage, token: string | undefined): void {
  if (!token) throw new HttpError(503, 'admin routes are disabled: set ADMIN_TOKEN');
  const given = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  if (a.length !== b.length || !timingSafeEqual(a, b)) {
    throw new HttpError(401, 'missing or wrong admin token (Authorization: Bearer <ADMIN_TOKEN>)');
  }
}

/** Reads a JSON object body of at most MAX_BODY_BYTES; an empty body is {}. */
export async function readJsonObject(req: IncomingMessage): Promise<Record<string, unknown>> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) throw new HttpError(413, `request body over ${MAX_BODY_BYTES} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `request body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'request body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new HttpError(400, 'request body must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}

/** A required non-empty string field of a JSON body, trimmed; 400 naming the field otherwise. */
export function requiredString(body: Record<string, unknown>, field: string, max: number): string {
  const value = body[field];
  if (typeof value !== 'string' || value.trim() === '')
    throw new HttpError(400, `${field}: expected a non-empty string`);
  if (value.length > max) throw new HttpError(400, `${field}: at most ${max} characters`);
  return value.trim();
}

/** Like requiredString, for a field that may be left out. */
export function optionalString(
  body: Record<string, unknown>,
  field: string,
  max: number,
): string | undefined {
  return body[field] === undefined ? undefined : requiredString(body, field, max);
}

export function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}
