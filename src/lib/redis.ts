/**
 * Redis connections from REDIS_URL. Every key and channel of a deployment starts with its prefix
 * (QIG_REDIS_PREFIX), so several deployments, or parallel tests, can share one Redis.
 */
import { Redis, type RedisOptions } from 'ioredis';

export interface RedisTarget {
  url: string;
  prefix: string;
}

/**
 * Reconnect forever, backing off to at most 2 s between attempts: a Redis that comes back is
 * found within 2 s (an attempt against one that is down costs next to nothing).
 */
export const retryStrategy = (times: number): number => Math.min(100 * 2 ** Math.min(times, 5), 2_000);

/**
 * Options for a client that fails fast while disconnected: commands are refused at once rather
 * than queued, so a request never hangs on Redis (callers fall back: the database keeps the truth).
 */
/** The options every client of ours sets (named, so ioredis' own optional fields stay unset). */
export type ClientOptions = Pick<RedisOptions, 'connectionName' | 'enableOfflineQueue' | 'maxRetriesPerRequest' | 'retryStrategy' | 'enableAutoPipelining'>;

export function failFastOptions(name: string): ClientOptions {
  return { connectionName: name, enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy, enableAutoPipelining: true };
}

/** The URL without its password, for messages. */
export function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'redis://…';
  }
}

/**
 * Opens a client and waits until it is ready, or fails after `timeoutMs` with a clear error
 * (a node started without its Redis should say so, not hang).
 */
export async function connectRedis(url: string, options: ClientOptions, timeoutMs = 10_000): Promise<Redis> {
  const client = new Redis(url, { ...options, lazyConnect: true });
  let lastError: Error | null = null;
  const remember = (error: Error) => {
    lastError = error;
  };
  client.on('error', remember);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`REDIS_URL: cannot reach ${redactedUrl(url)} within ${timeoutMs} ms${lastError ? ` (${lastError.message})` : ''}`));
      }, timeoutMs);
      client.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
      // The first failure rejects connect(); the client keeps retrying until the timer ends it.
      client.connect().catch(() => {});
    });
  } catch (error) {
    client.disconnect();
    throw error;
  } finally {
    client.off('error', remember);
  }
  return client;
}

/** Closes a client, waiting for its replies when connected and dropping it otherwise. */
export async function closeRedis(client: Redis): Promise<void> {
  if (client.status === 'ready') {
    await client.quit().catch(() => client.disconnect());
  } else {
    client.disconnect();
  }
}
