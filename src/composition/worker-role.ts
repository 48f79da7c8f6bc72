/**
 * Starts what a worker node runs besides serving: the sweep of dead workers' tasks, the queue's
 * consumers, output retention, webhook deliveries and start deadlines, and — on Redis — refilling
 * the queue from the database when Redis lost it.
 */
import type { Logger } from '../lib/logger.js';
import type { TaskQueue } from '../queue/queue.js';
import type { OutputRetention } from '../services/output-retention.js';
import type { TaskRunner } from '../services/runner.js';
import type { Sweeper } from '../services/sweeper.js';
import type { QueueServices } from './queue-services.js';

export interface WorkerRoleParts {
  sweeper: Sweeper;
  queue: TaskQueue;
  runner: TaskRunner;
  retention: OutputRetention;
  queueServices: QueueServices;
  logger: Logger;
  /** Tasks run at once (`limits.workerConcurrency`). */
  concurrency: number;
  /** The queue is Redis's, which can come back without its data. */
  sharedQueue: boolean;
  /**
   * How often queued tasks are queued again: the backstop for a task whose API node died between
   * writing it and queueing it, and for a loss no reconnect revealed.
   */
  requeueIntervalMs: number;
}

/** Starts the worker role; returns the function that stops its timers (the queue closes with the gateway). */
export async function startWorkerRole(parts: WorkerRoleParts): Promise<() => void> {
  const { sweeper, queue, logger } = parts;
  await sweeper.sweepOnce();
  await sweeper.enqueueQueued();
  // Before consuming, so a task whose start deadline passed while no node ran is not started.
  await parts.queueServices.startWorker();
  queue.consume((taskId) => parts.runner.run(taskId), parts.concurrency);
  sweeper.start();
  parts.retention.start();
  let requeue: NodeJS.Timeout | null = null;
  if (parts.sharedQueue) {
    // A Redis that restarted without its data forgot queued ids: the database hands them over
    // again. The database may be coming back too (a host restart): a failed refill is tried again.
    const refill = (why: string, attempt = 1): void =>
      void sweeper.refillQueue().then(
        (counts) => logger.warn({ ...counts }, why),
        (error: unknown) => {
          logger.warn({ err: error, attempt }, 're-queueing tasks failed');
          if (attempt < 12) setTimeout(() => refill(why, attempt + 1), 5_000).unref();
        },
      );
    // Noticed on reconnect; the tick is the backstop for a loss no reconnect revealed.
    queue.onLost?.(() => refill('Redis came back without the task queue: refilled it from the database'));
    requeue = setInterval(() => void sweeper.enqueueQueued().catch((error: unknown) => logger.warn({ err: error }, 're-queueing queued tasks failed')), parts.requeueIntervalMs);
    requeue.unref();
  }
  return () => {
    sweeper.stop();
    parts.retention.stop();
    if (requeue) clearInterval(requeue);
  };
}
