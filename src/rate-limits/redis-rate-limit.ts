/**
 * Requests per minute per key, shared by every node: the token bucket of MemoryRateLimiter
 * (capacity = the per-minute limit, refilled continuously) kept in Redis and updated by one Lua
 * script, so concurrent takes on different nodes never overspend. Time is Redis's own clock, so
 * nodes whose clocks differ still agree. A bucket left alone refills in a minute and then expires.
 *
 * While Redis is unreachable requests are let through (and a warning logged): a rate limit is a
 * protection, the balance and in-flight caps that bound spending are kept in the database.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { AppError } from '../domain/errors.js';
import type { Logger } from '../lib/logger.js';
import type { RateLimiter } from './rate-limit.js';

const TAKE = `
local capacity = tonumber(ARGV[1])
local perMs = capacity / 60000
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or capacity
local at = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - at) * perMs)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], 61000)
if allowed == 1 then return {1, 0} end
return {0, math.ceil((1 - tokens) / perMs)}
`;

const TAKE_SHA = createHash('sha1').update(TAKE).digest('hex');

export class RedisRateLimiter implements RateLimiter {
  private warned = false;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly logger: Logger,
  ) {
    redis.on('ready', () => (this.warned = false));
  }

  async take(keyId: string, perMinute: number): Promise<void> {
    let answer: [number, number];
    try {
      answer = await this.run(`${this.prefix}:rate:${keyId}`, perMinute);
    } catch (error) {
      if (!this.warned) this.logger.warn({ err: error }, 'rate limits: Redis unavailable; requests are not rate limited until it is back');
      this.warned = true;
      return;
    }
    const [allowed, waitMs] = answer;
    if (allowed === 1) return;
    throw new AppError('rate_limited', `Requests rate limit exceeded: this key may submit ${perMinute} requests per minute.`, {
      retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)),
    });
  }

  /** EVALSHA, loading the script on first use or after a Redis restart. */
  private async run(key: string, perMinute: number): Promise<[number, number]> {
    try {
      return (await this.redis.evalsha(TAKE_SHA, 1, key, perMinute)) as [number, number];
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return (await this.redis.eval(TAKE, 1, key, perMinute)) as [number, number];
    }
  }
}
