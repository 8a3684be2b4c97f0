/** Checks of request parameters shared by routes modules (each with the message clients know). */
import { HttpError, type JsonObject } from './http';

/**
 * A list route's `limit` (or another count) query parameter: an integer 1..max, `fallback` when absent;
 * 400 naming it otherwise.
 */
export function limitOf(value: string | undefined, fallback: number, max: number, name = 'limit'): number {
  const limit = Number(value ?? fallback);
  if (!Number.isInteger(limit) || limit < 1 || limit > max)
    throw new HttpError(400, `${name}: expected an integer 1-${max}`);
  return limit;
}

/** An integer field of a JSON body in min..max; `fallback` when absent (undefined: required). */
export function integerField(
  body: JsonObject,
  field: string,
  min: number,
  max: number,
  fallback?: number,
): number {
  const value = body[field] ?? fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw new HttpError(400, `${field}: expected an integer ${min}-${max}`);
  return value;
}
