/**
 * The BullMQ driver: task ids on a queue in Redis, shared by every node. The database stays the
 * source of truth, so BullMQ's own recovery is kept light: a few retries with backoff for a
 * handler that throws, and its stalled-job check hands a dead worker's jobs to another one,
 * whose claim in the task store decides whether there is anything left to do.
 *
 * One job per task id at a time: BullMQ's deduplication keyed by the task id ignores an id that
 * is already waiting, moves a delayed one to the newer time (as the embedded queue does), and for
 * an id whose job is running — the runner re-enqueues a parked task from inside its handler —
 * keeps the request and adds it when that job ends.
 */
import { Queue, WaitingError, Worker, type ConnectionOptions, type Job, type JobsOptions } from 'bullmq';
import type { EnqueueOptions, QueueStats, TaskHandler, TaskQueue } from './queue.js';

export interface BullMqQueueOptions {
  url: string;
  /** Key prefix of this deployment in Redis. */
  prefix: string;
  /** Queue name under the prefix (default "tasks"). */
  name?: string;
  /**
   * How long a worker's hold on a job lasts unrenewed; a dead worker's jobs go back to the queue
   * after it. Follows the task lease, so both recoveries run on the same clock.
   */
  lockMs?: number;
  /** A handler threw (the job is retried with backoff, then kept as failed). */
  onHandlerError?: (taskId: string, error: unknown) => void;
  /** Redis trouble: a connection error, or an id that could not be queued. */
  onRedisError?: (error: unknown, taskId?: string) => void;
}

interface TaskJobData {
  taskId: string;
}

const JOB_OPTIONS: JobsOptions = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 1_000 },
  removeOnComplete: true,
  removeOnFail: { age: 24 * 3600, count: 1_000 },
};

/** Whether the promise settles within `ms`. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const settled = await Promise.race([
    promise.then(() => true, () => true),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    }),
  ]);
  clearTimeout(timer);
  return settled;
}

function connection(url: string, failFast: boolean): ConnectionOptions {
  // Producers fail fast (a submit must not hang on Redis); the worker's blocking client waits.
  return failFast ? { url, enableOfflineQueue: false, enableAutoPipelining: true, connectionName: 'qig-queue' } : { url, connectionName: 'qig-worker' };
}

export class BullMqQueue implements TaskQueue {
  readonly driver = 'bullmq';
  private readonly queue: Queue<TaskJobData>;
  private worker: Worker<TaskJobData> | null = null;
  /** No more jobs are taken once closing; ids are still queued until the producer closes. */
  private closing = false;
  private producerClosed = false;
  /** Hands the jobs of running handlers back to the queue (a close past its deadline). */
  private readonly handBacks = new Set<() => void>();
  private readonly name: string;

  constructor(private readonly options: BullMqQueueOptions) {
    this.name = options.name ?? 'tasks';
    this.queue = new Queue<TaskJobData>(this.name, { connection: connection(options.url, true), prefix: options.prefix, defaultJobOptions: JOB_OPTIONS });
    this.queue.on('error', (error) => this.options.onRedisError?.(error));
  }

  /** Resolves once the queue's Redis connection is ready. */
  async ready(): Promise<void> {
    await this.queue.waitUntilReady();
  }

  /**
   * Queues an id. When Redis cannot take it the id is not lost: the task is in the database, and
   * the sweeper hands queued and parked tasks to the queue again.
   */
  async enqueue(taskId: string, options: EnqueueOptions = {}): Promise<void> {
    if (this.producerClosed) return;
    const delay = Math.max(0, Math.round(options.delayMs ?? 0));
    try {
      await this.queue.add('task', { taskId }, {
        deduplication: { id: taskId, keepLastIfActive: true, reschedule: true },
        ...(delay > 0 ? { delay } : {}),
      });
    } catch (error) {
      this.options.onRedisError?.(error, taskId);
    }
  }

  consume(handler: TaskHandler, concurrency: number): void {
    if (this.worker || this.closing) return;
    const lockMs = Math.max(1_000, this.options.lockMs ?? 30_000);
    const worker = new Worker<TaskJobData>(
      this.name,
      (job: Job<TaskJobData>, token?: string) => this.process(handler, job, token),
      {
        connection: connection(this.options.url, false),
        prefix: this.options.prefix,
        concurrency: Math.max(1, concurrency),
        lockDuration: lockMs,
        stalledInterval: lockMs,
        // A job that keeps stalling is harmless (the claim decides), so it is not failed early.
        maxStalledCount: 5,
      },
    );
    worker.on('error', (error) => this.options.onRedisError?.(error));
    this.worker = worker;
  }

  /** Runs the handler, unless a closing deadline hands the job back to the queue first. */
  private async process(handler: TaskHandler, job: Job<TaskJobData>, token: string | undefined): Promise<void> {
    const { taskId } = job.data;
    let handBack: () => void = () => {};
    const handedBack = new Promise<'hand-back'>((resolve) => {
      handBack = () => resolve('hand-back');
    });
    this.handBacks.add(handBack);
    try {
      const outcome = await Promise.race([handler(taskId).then(() => 'done' as const), handedBack]);
      if (outcome === 'hand-back') {
        await job.moveToWait(token);
        throw new WaitingError();
      }
    } catch (error) {
      if (!(error instanceof WaitingError)) this.options.onHandlerError?.(taskId, error);
      throw error;
    } finally {
      this.handBacks.delete(handBack);
    }
  }

  async stats(): Promise<QueueStats> {
    const counts = await this.queue.getJobCounts('wait', 'prioritized', 'delayed', 'active');
    return {
      waiting: (counts.wait ?? 0) + (counts.prioritized ?? 0),
      delayed: counts.delayed ?? 0,
      active: counts.active ?? 0,
    };
  }

  /**
   * Stops taking jobs and waits for running handlers, at most `deadlineMs`. The jobs of handlers
   * still running then go back to the queue; their tasks are taken up by another worker once
   * this one's task lease lapses (through that job or the sweeper). Waiting and delayed jobs stay
   * in Redis for the other workers.
   */
  async close(deadlineMs = 10_000): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const worker = this.worker;
    if (worker) {
      const closed = worker.close();
      if (!(await settlesWithin(closed, deadlineMs))) {
        for (const handBack of this.handBacks) handBack();
        // Handing back needs Redis; without it the locks lapse and BullMQ's stalled check does it.
        if (!(await settlesWithin(closed, 5_000))) await worker.disconnect().catch((error: unknown) => this.options.onRedisError?.(error));
      }
    }
    this.producerClosed = true;
    await this.queue.close();
  }
}
