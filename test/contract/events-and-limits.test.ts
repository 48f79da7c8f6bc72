/**
 * The contracts of task events and rate limits, run on every implementation: in-process, and
 * Redis when REDIS_URL is set. Events reach the listeners of their task only, in order, and stop
 * with the listener; a node's own events reach its local listeners. A key's rate bucket holds its
 * per-minute limit, refuses past it with `rate_limited` and a Retry-After, and is the key's alone.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { systemClock } from '../../src/lib/clock.js';
import { silentLogger } from '../../src/lib/logger.js';
import { connectRedis, failFastOptions } from '../../src/lib/redis.js';
import { LocalTaskEvents, type TaskEvent, type TaskEvents } from '../../src/events/events.js';
import { MemoryRateLimiter, type RateLimiter } from '../../src/rate-limits/rate-limit.js';
import { RedisTaskEvents } from '../../src/events/redis-events.js';
import { RedisRateLimiter } from '../../src/rate-limits/redis-rate-limit.js';
import { dropRedisPrefixes, testRedisPrefix } from '../helpers/redis.js';
import { refusal } from '../helpers/refusal.js';

interface Target<T> {
  name: string;
  create(): Promise<{ value: T; close(): Promise<void> }>;
}

const eventTargets: Array<Target<TaskEvents>> = [{ name: 'in-process', create: async () => ({ value: new LocalTaskEvents(), close: async () => {} }) }];
const limiterTargets: Array<Target<RateLimiter>> = [{ name: 'in-process', create: async () => ({ value: new MemoryRateLimiter(systemClock), close: async () => {} }) }];

const redisUrl = process.env.REDIS_URL;
if (redisUrl) {
  const prefixes: string[] = [];
  const fresh = () => {
    const prefix = testRedisPrefix();
    prefixes.push(prefix);
    return prefix;
  };
  after(() => dropRedisPrefixes(redisUrl, prefixes));
  eventTargets.push({
    name: 'redis',
    async create() {
      const events = await RedisTaskEvents.connect(redisUrl, fresh(), silentLogger());
      return { value: events, close: () => events.close() };
    },
  });
  limiterTargets.push({
    name: 'redis',
    async create() {
      const redis = await connectRedis(redisUrl, failFastOptions('contract'));
      return { value: new RedisRateLimiter(redis, fresh(), silentLogger()), close: async () => void (await redis.quit()) };
    },
  });
}

const status = (taskId: string, n: number): TaskEvent => ({ type: 'status', taskId, status: 'running', at: n });

for (const target of eventTargets) {
  describe(`task events contract: ${target.name}`, () => {
    it('delivers a task\'s events to its listeners only, in order, until they stop', async () => {
      const { value: events, close } = await target.create();
      try {
        const heard: TaskEvent[] = [];
        const other: TaskEvent[] = [];
        const stop = events.subscribe('a', (event) => heard.push(event));
        const stopOther = events.subscribe('b', (event) => other.push(event));
        for (let n = 1; n <= 5; n += 1) await events.publish(status('a', n));
        assert.deepEqual(heard.map((e) => e.at), [1, 2, 3, 4, 5]);
        assert.deepEqual(other, []);
        stop();
        await events.publish(status('a', 6));
        assert.equal(heard.length, 5, 'nothing after the listener stopped');
        stopOther();
      } finally {
        await close();
      }
    });

    it('hands a node\'s own events to its local listeners, whatever the task', async () => {
      const { value: events, close } = await target.create();
      try {
        const local: TaskEvent[] = [];
        const stop = events.subscribeLocal((event) => local.push(event));
        await events.publish(status('x', 1));
        await events.publish({ type: 'log', taskId: 'y', level: 'info', message: 'm', at: 2 });
        assert.deepEqual(local.map((e) => e.taskId), ['x', 'y']);
        stop();
      } finally {
        await close();
      }
    });
  });
}


for (const target of limiterTargets) {
  describe(`rate limit contract: ${target.name}`, () => {
    it('lets a key take its per-minute limit at once, then refuses with rate_limited and a Retry-After', async () => {
      const { value: limiter, close } = await target.create();
      try {
        for (let i = 0; i < 3; i += 1) await limiter.take('key-a', 3);
        const refused = await refusal(limiter.take('key-a', 3));
        assert.equal(refused.kind, 'rate_limited');
        assert.ok(Number.isInteger(refused.retryAfterSeconds) && refused.retryAfterSeconds! >= 1 && refused.retryAfterSeconds! <= 20, String(refused.retryAfterSeconds));
        assert.match(refused.message, /3 requests per minute/);
      } finally {
        await close();
      }
    });

    it('keeps each key\'s bucket its own', async () => {
      const { value: limiter, close } = await target.create();
      try {
        await limiter.take('key-b', 1);
        await refusal(limiter.take('key-b', 1));
        await limiter.take('key-c', 1);
      } finally {
        await close();
      }
    });
  });
}
