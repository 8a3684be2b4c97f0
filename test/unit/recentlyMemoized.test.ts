import { recentlyMemoized } from '../../src/knowledge/recentlyMemoized';

test('computes a key once for concurrent and repeated calls, keeps only the most recent keys, and retries a failure', async () => {
  const computed: string[] = [];
  let failNext = false;
  const memoized = recentlyMemoized(async (key: string) => {
    computed.push(key);
    await new Promise((resolve) => setTimeout(resolve, 5));
    if (failNext) {
      failNext = false;
      throw new Error(`no ${key}`);
    }
    return key.toUpperCase();
  }, 2);

  expect(await Promise.all([memoized('a'), memoized('a'), memoized('b')])).toEqual(['A', 'A', 'B']);
  expect(await memoized('a')).toBe('A'); // 'a' is now the most recent, 'b' the oldest
  expect(await memoized('c')).toBe('C'); // evicts 'b'
  expect(await memoized('a')).toBe('A');
  expect(await memoized('b')).toBe('B'); // computed again
  expect(computed).toEqual(['a', 'b', 'c', 'b']);

  failNext = true;
  await expect(memoized('d')).rejects.toThrow('no d');
  expect(await memoized('d')).toBe('D');
  expect(computed).toEqual(['a', 'b', 'c', 'b', 'd', 'd']);
});
