import { HttpError } from '../../src/admin/http';
import { THROTTLE_POLICY, WrongTokenThrottle } from '../../src/admin/throttle';

const policy = { ...THROTTLE_POLICY, firstDelayMs: 1, blockAt: 4, free: 1, maxAddresses: 3 };

function throttleAt(clock: { now: number }) {
  return new WrongTokenThrottle(policy, () => clock.now);
}

async function failures(throttle: WrongTokenThrottle, address: string, count: number): Promise<unknown[]> {
  const outcomes: unknown[] = [];
  for (let i = 0; i < count; i++) outcomes.push(await throttle.failed(address).catch((err: unknown) => err));
  return outcomes;
}

const statusOf = (err: unknown) => (err instanceof HttpError ? err.status : undefined);

describe('WrongTokenThrottle', () => {
  it('blocks an address at blockAt wrong tokens, for blockMs, then again at the next wrong one', async () => {
    const clock = { now: 1_000_000 };
    const throttle = throttleAt(clock);
    const outcomes = await failures(throttle, 'a', 4);
    expect(outcomes.map(statusOf)).toEqual([undefined, undefined, undefined, 429]);
    expect((outcomes[3] as HttpError).headers).toEqual({ 'retry-after': '60' });
    expect(() => throttle.check('a')).toThrow('try again in 60 s');
    expect(() => throttle.check('b')).not.toThrow();

    clock.now += 59_000;
    expect(() => throttle.check('a')).toThrow('try again in 1 s');
    clock.now += 1_000;
    expect(() => throttle.check('a')).not.toThrow();
    expect((await failures(throttle, 'a', 1)).map(statusOf)).toEqual([429]);
  });

  it('forgets an address after a right token, or forgetMs after its last wrong one', async () => {
    const clock = { now: 1_000_000 };
    const throttle = throttleAt(clock);
    await failures(throttle, 'a', 3);
    throttle.succeeded('a');
    expect((await failures(throttle, 'a', 3)).map(statusOf)).toEqual([undefined, undefined, undefined]);
    clock.now += policy.forgetMs + 1;
    expect((await failures(throttle, 'a', 3)).map(statusOf)).toEqual([undefined, undefined, undefined]);
  });

  it('remembers at most maxAddresses, forgetting the longest quiet first', async () => {
    const clock = { now: 1_000_000 };
    const throttle = throttleAt(clock);
    await failures(throttle, 'a', 3);
    for (const address of ['b', 'c', 'd']) await failures(throttle, address, 1);
    // "a" was forgotten to make room for "d": its count starts again.
    expect((await failures(throttle, 'a', 3)).map(statusOf)).toEqual([undefined, undefined, undefined]);
  });
});
