/**
 * A token bucket: `capacity` tokens, refilled at `refillPerSec`. take(n) succeeds while enough
 * tokens are left; a burst up to `capacity` passes, the sustained rate is `refillPerSec`.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly capacity: number,
    readonly refillPerSec: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(capacity > 0) || !(refillPerSec > 0)) throw new Error(`token bucket needs capacity > 0 and refillPerSec > 0, got ${capacity}, ${refillPerSec}`);
    this.tokens = capacity;
    this.last = this.now();
  }

  take(n = 1): boolean {
    const t = this.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((t - this.last) / 1000) * this.refillPerSec);
    this.last = t;
    if (this.tokens < n) return false;
    this.tokens -= n;
    return true;
  }
}
