/**
 * The drivers behind the queue, task events, rate limit and blob seams, chosen by the config:
 * embedded by default (in-process queue and events, in-memory buckets, local disk); REDIS_URL
 * switches to BullMQ, Redis pub/sub and a Redis token bucket, QIG_S3_BUCKET to S3 storage.
 */
import { join } from 'node:path';
import type { BlobStore } from '../blobs/blob-store.js';
import { DiskBlobStore } from '../blobs/disk-store.js';
import { S3BlobStore } from '../blobs/s3-store.js';
import type { AppConfig } from '../config/load.js';
import type { ReadinessCheck } from '../http/ops.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { closeRedis, connectRedis, failFastOptions } from '../lib/redis.js';
import { mayBeDatabaseOutage } from '../domain/infrastructure-errors.js';
import { BullMqQueue } from '../queue/bullmq-queue.js';
import { MemoryQueue } from '../queue/memory-queue.js';
import type { TaskQueue } from '../queue/queue.js';
import { LocalTaskEvents, type TaskEvents } from '../events/events.js';
import { MemoryRateLimiter, type RateLimiter } from '../rate-limits/rate-limit.js';
import { RedisTaskEvents } from '../events/redis-events.js';
import { RedisRateLimiter } from '../rate-limits/redis-rate-limit.js';

export interface Drivers {
  blobs: BlobStore;
  queue: TaskQueue;
  events: TaskEvents;
  limiter: RateLimiter;
  /** Makes output URLs presigned S3 URLs (`files.serve: presigned`); null: our signed URLs. */
  presigner: { fileUrl(id: string, expiresAt: number): string } | null;
  readiness: ReadinessCheck[];
  /** Closes what remains once the gateway closed the queue: the queue if not yet, events, Redis, blobs. */
  close(): Promise<void>;
}

export interface DriverOptions {
  logger: Logger;
  clock: Clock;
  /** The task lease: a dead worker's BullMQ jobs come back on the same clock. */
  lockMs: number;
}

/** Logs a recurring failure at most once per `everyMs`. */
function throttled(logger: Logger, message: string, everyMs = 10_000): (error: unknown, taskId?: string) => void {
  let last = 0;
  return (error, taskId) => {
    const now = Date.now();
    if (now - last < everyMs) return;
    last = now;
    logger.warn({ err: error, ...(taskId === undefined ? {} : { taskId }) }, message);
  };
}

async function openBlobs(config: AppConfig): Promise<{ blobs: BlobStore; presigner: Drivers['presigner']; readiness: ReadinessCheck[] }> {
  if (!config.s3) return { blobs: new DiskBlobStore(join(config.dataDir, 'blobs')), presigner: null, readiness: [] };
  const s3 = new S3BlobStore(config.s3);
  let presigner: Drivers['presigner'] = null;
  if (config.files.serve === 'presigned') {
    await s3.prepareSigning();
    presigner = { fileUrl: (id, expiresAt) => s3.presignedUrl(id, expiresAt) };
  }
  return { blobs: s3, presigner, readiness: [{ name: 's3', check: () => s3.check() }] };
}

export async function openDrivers(config: AppConfig, options: DriverOptions): Promise<Drivers> {
  const { logger } = options;
  const { blobs, presigner, readiness } = await openBlobs(config);
  // A database outage under a task is an operator's matter (the runner said so), not a crash.
  const onHandlerError = (taskId: string, error: unknown) =>
    mayBeDatabaseOutage(error) ? logger.debug({ taskId }, 'task job will be retried') : logger.error({ taskId, err: error }, 'task handler crashed');
  if (!config.redisUrl) {
    const queue = new MemoryQueue(onHandlerError);
    return {
      blobs,
      queue,
      events: new LocalTaskEvents(),
      limiter: new MemoryRateLimiter(options.clock),
      presigner,
      readiness,
      async close() {
        await queue.close();
        await blobs.close?.();
      },
    };
  }

  const url = config.redisUrl;
  const prefix = config.redisPrefix;
  const redis = await connectRedis(url, failFastOptions('qig-rate-limit'));
  redis.on('error', throttled(logger, 'Redis connection failed; retrying'));
  let events: RedisTaskEvents;
  try {
    events = await RedisTaskEvents.connect(url, prefix, logger);
  } catch (error) {
    redis.disconnect();
    throw error;
  }
  const queue = new BullMqQueue({ url, prefix, lockMs: options.lockMs, onHandlerError, onRedisError: throttled(logger, 'task queue: Redis unavailable') });
  await queue.ready();
  return {
    blobs,
    queue,
    events,
    limiter: new RedisRateLimiter(redis, prefix, logger),
    presigner,
    readiness: [...readiness, { name: 'redis', check: async () => void (await redis.ping()), degradedOnly: true }],
    async close() {
      await queue.close();
      await events.close();
      await closeRedis(redis);
      await blobs.close?.();
    },
  };
}
