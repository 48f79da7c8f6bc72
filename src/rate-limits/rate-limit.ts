/**
 * Requests per minute per key: a token bucket (capacity = the per-minute limit, refilled
 * continuously). In-process; a shared store replaces it when nodes scale out.
 */
import { AppError } from '../domain/errors.js';
import type { Clock } from '../lib/clock.js';
import { LruCache } from '../lib/lru.js';

export interface RateLimiter {
  /** Takes one request from the key's budget, or throws `rate_limited` with a Retry-After. */
  take(keyId: string, perMinute: number): Promise<void>;
}

export class MemoryRateLimiter implements RateLimiter {
  private readonly buckets = new LruCache<string, { tokens: number; at: number }>(100_000);

  constructor(private readonly clock: Clock) {}

  async take(keyId: string, perMinute: number): Promise<void> {
    const now = this.clock.now();
    const perMs = perMinute / 60_000;
    const bucket = this.buckets.get(keyId) ?? { tokens: perMinute, at: now };
    bucket.tokens = Math.min(perMinute, bucket.tokens + (now - bucket.at) * perMs);
    bucket.at = now;
    if (bucket.tokens < 1) {
      this.buckets.set(keyId, bucket);
      const waitMs = (1 - bucket.tokens) / perMs;
      throw new AppError('rate_limited', `Requests rate limit exceeded: this key may submit ${perMinute} requests per minute.`, {
        retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)),
      });
    }
    bucket.tokens -= 1;
    this.buckets.set(keyId, bucket);
  }
}
