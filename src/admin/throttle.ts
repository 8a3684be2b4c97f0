import { setTimeout as sleep } from 'node:timers/promises';
import { HttpError } from './http';

export interface ThrottlePolicy {
  /** Wrong tokens from one address answered at once. */
  free: number;
  /** The first slowed answer waits this long; each further one twice as long as the one before. */
  firstDelayMs: number;
  /** The wrong token that blocks the address (429) for blockMs; each one after a block blocks again. */
  blockAt: number;
  blockMs: number;
  /** An address whose last wrong token is this old starts afresh. */
  forgetMs: number;
  /** Addresses remembered at most (the oldest are forgotten first), so guessing from many cannot exhaust memory. */
  maxAddresses: number;
}

export const THROTTLE_POLICY: ThrottlePolicy = {
  free: 3,
  firstDelayMs: 250,
  blockAt: 8,
  blockMs: 60_000,
  forgetMs: 15 * 60_000,
  maxAddresses: 10_000,
};

interface Failures {
  count: number;
  lastAt: number;
  blockedUntil: number;
}

/**
 * Slows down guessing the admin token: per client address, wrong tokens past the first few are
 * answered after a growing delay (250 ms, 500 ms, 1 s, 2 s), then the address is refused with 429
 * and Retry-After for a minute, and again after each further wrong token. A right token clears it.
 *
 * Kept in memory: the admin API is one process, and a restart only forgets the count. The address
 * is the socket's: behind a reverse proxy every client shares the proxy's and is throttled with it.
 */
export class WrongTokenThrottle {
  private readonly failures = new Map<string, Failures>();

  constructor(
    private readonly policy = THROTTLE_POLICY,
    private readonly now = () => Date.now(),
  ) {}

  /** Refuses (429) an address that is blocked, before its token is even compared. */
  check(address: string): void {
    const entry = this.current(address);
    if (entry && entry.blockedUntil > this.now()) throw this.blocked(entry);
  }

  /** Counts a wrong token; resolves after its delay, or throws 429 when this one blocks the address. */
  async failed(address: string): Promise<void> {
    const entry = this.current(address) ?? { count: 0, lastAt: 0, blockedUntil: 0 };
    entry.count += 1;
    entry.lastAt = this.now();
    this.failures.delete(address); // re-inserted last: the map stays in order of last failure
    this.failures.set(address, entry);
    this.forgetOldest();
    if (entry.count >= this.policy.blockAt) {
      entry.blockedUntil = entry.lastAt + this.policy.blockMs;
      throw this.blocked(entry);
    }
    if (entry.count > this.policy.free) {
      await sleep(this.policy.firstDelayMs * 2 ** (entry.count - this.policy.free - 1));
    }
  }

  succeeded(address: string): void {
    this.failures.delete(address);
  }

  private current(address: string): Failures | undefined {
    const entry = this.failures.get(address);
    if (entry && this.now() - entry.lastAt > this.policy.forgetMs && entry.blockedUntil <= this.now()) {
      this.failures.delete(address);
      return undefined;
    }
    return entry;
  }

  private forgetOldest(): void {
    for (const address of this.failures.keys()) {
      if (this.failures.size <= this.policy.maxAddresses) return;
      this.failures.delete(address);
    }
  }

  private blocked(entry: Failures): HttpError {
    const seconds = Math.ceil((entry.blockedUntil - this.now()) / 1000);
    return new HttpError(429, `too many wrong admin tokens from this address: try again in ${seconds} s`, {
      'retry-after': String(seconds),
    });
  }
}
