/**
 * Reading a card's untyped JSON, field by field, with the path of each field in the error:
 * `card: data.character_book.entries[3].keys: expected an array of strings, got a number`.
 * Text is contained (see contain.ts) and bounded as it is read.
 */
import { CardError } from './errors';
import { containCardText } from './contain';
import { MAX_TEXT_FIELD_CHARS } from './limits';

export type JsonObject = Record<string, unknown>;

export function cardFail(where: string, problem: string): never {
  throw new CardError(`card: ${where}: ${problem}`);
}

export function describeJson(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function asObject(value: unknown, where: string): JsonObject {
  if (!isJsonObject(value)) cardFail(where, `expected an object, got ${describeJson(value)}`);
  return value;
}

/** A field that may be missing (or null): undefined then. */
export function optionalObject(obj: JsonObject, key: string, where: string): JsonObject | undefined {
  const value = obj[key];
  return value === undefined || value === null ? undefined : asObject(value, `${where}.${key}`);
}

export function boundedText(value: string, where: string, limit: number): string {
  if (value.length > limit) cardFail(where, `${value.length} characters, at most ${limit}`);
  return containCardText(value);
}

/** A text field: missing or null reads as ''. */
export function text(obj: JsonObject, key: string, where: string, limit = MAX_TEXT_FIELD_CHARS): string {
  const value = obj[key];
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') cardFail(`${where}.${key}`, `expected a string, got ${describeJson(value)}`);
  return boundedText(value, `${where}.${key}`, limit);
}

/** A list of text: missing or null reads as []. */
export function textList(obj: JsonObject, key: string, where: string, maxItems: number): string[] {
  const value = obj[key];
  const path = `${where}.${key}`;
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) cardFail(path, `expected an array of strings, got ${describeJson(value)}`);
  if (value.length > maxItems) cardFail(path, `${value.length} items, at most ${maxItems}`);
  return value.map((item: unknown, index) => {
    if (typeof item !== 'string')
      cardFail(`${path}[${index}]`, `expected a string, got ${describeJson(item)}`);
    return boundedText(item, `${path}[${index}]`, MAX_TEXT_FIELD_CHARS);
  });
}

export function flag(obj: JsonObject, key: string, where: string, fallback: boolean): boolean {
  const value = obj[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'boolean')
    cardFail(`${where}.${key}`, `expected true or false, got ${describeJson(value)}`);
  return value;
}

export interface NumberRange {
  min: number;
  max: number;
  integer: boolean;
}

/** A number in a range; missing or null reads as the fallback. */
export function numberIn(
  obj: JsonObject,
  key: string,
  where: string,
  fallback: number,
  range: NumberRange,
): number {
  const value = obj[key];
  if (value === undefined || value === null) return fallback;
  const ok =
    typeof value === 'number' &&
    value >= range.min &&
    value <= range.max &&
    (!range.integer || Number.isInteger(value));
  if (!ok) {
    const expected = `${range.integer ? 'an integer' : 'a number'} from ${range.min} to ${range.max}`;
    cardFail(`${where}.${key}`, `expected ${expected}, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Blank items out, duplicates out, order kept. */
export function distinctNonBlank(items: string[]): string[] {
  return [...new Set(items.map((item) => item.trim()).filter((item) => item !== ''))];
}
