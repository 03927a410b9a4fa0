import { TokenBucket } from './token-bucket.js';

/**
 * A token bucket per client address: each address may make a burst of `burst` requests, then
 * `perSec` a second. The map of addresses is bounded (least recently seen dropped first), so a
 * flood of spoofed-looking addresses cannot grow it without limit. Behind a reverse proxy every
 * request comes from the proxy's address: raise the limit there or rate-limit in the proxy.
 */
export class ClientRateLimiter {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    readonly perSec: number,
    readonly burst: number,
    private readonly maxClients = 10_000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Takes one request for `client`; false when it is over its rate. */
  allow(client: string): boolean {
    let bucket = this.buckets.get(client);
    if (bucket) {
      this.buckets.delete(client);
    } else {
      bucket = new TokenBucket(this.burst, this.perSec, this.now);
      if (this.buckets.size >= this.maxClients) this.buckets.delete(this.buckets.keys().next().value as string);
    }
    this.buckets.set(client, bucket);
    return bucket.take(1);
  }

  get clients(): number {
    return this.buckets.size;
  }
}
