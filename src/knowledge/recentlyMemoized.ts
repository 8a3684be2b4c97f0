/**
 * `compute` behind a small least-recently-used memo keyed by its argument: concurrent and repeated
 * calls with the same key share one computation (e.g. the query embedding when several characters
 * answer one message). A failed computation is forgotten, so the next call tries again.
 */
export function recentlyMemoized<T>(compute: (key: string) => Promise<T>, capacity: number) {
  const memo = new Map<string, Promise<T>>();
  return (key: string): Promise<T> => {
    const known = memo.get(key);
    if (known) {
      memo.delete(key); // re-inserted below: Map keeps insertion order, oldest first
      memo.set(key, known);
      return known;
    }
    const value = compute(key);
    memo.set(key, value);
    value.catch(() => memo.get(key) === value && memo.delete(key));
    if (memo.size > capacity) memo.delete(memo.keys().next().value as string);
    return value;
  };
}
