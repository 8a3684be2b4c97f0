/** A JSON object (not an array, not null): what a request body or a gateway payload must be. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A copy of `value` without `keys`. */
export function omit<T extends object, K extends keyof T>(value: T, ...keys: K[]): Omit<T, K> {
  const copy: Partial<T> = structuredClone(value);
  for (const key of keys) delete copy[key];
  return copy as Omit<T, K>;
}
