/**
 * Redis for tests: suites run on it when REDIS_URL is set (CI sets it), each under a key prefix
 * of its own, so parallel test files never share a queue, a channel or a rate bucket.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

export function testRedisPrefix(): string {
  return `qigt-${randomBytes(5).toString('hex')}`;
}

/** Deletes every key under the prefixes (what BullMQ and the rate limiter left behind). */
export async function dropRedisPrefixes(url: string, prefixes: readonly string[]): Promise<void> {
  if (prefixes.length === 0) return;
  const redis = new Redis(url, { lazyConnect: true });
  await redis.connect();
  try {
    for (const prefix of prefixes) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
        cursor = next;
        if (keys.length > 0) await redis.del(...keys);
      } while (cursor !== '0');
    }
  } finally {
    await redis.quit();
  }
}
