/**
 * The BullMQ driver: task ids on a queue in Redis, shared by every node. The database stays the
 * source of truth, so BullMQ's own recovery is kept light: retries every few seconds for a
 * handler that throws (the database away), and its stalled-job check hands a dead worker's jobs
 * to another one, whose claim in the task store decides whether there is anything left to do.
 *
 * One job per task id at a time: BullMQ's deduplication keyed by the task id ignores an id that
 * is already waiting, moves a delayed one to the newer time (as the embedded queue does), and for
 * an id whose job is running — the runner re-enqueues a parked task from inside its handler —
 * keeps the request and adds it when that job ends.
 *
 * Redis outages: an id that cannot be queued is kept (up to MAX_UNSENT) and sent again when the
 * connection is back; a Redis that comes back without its data is noticed on reconnect by a
 * marker key gone missing, and the `onLost` listeners refill the queue from the database.
 */
import { Queue, WaitingError, Worker, type ConnectionOptions, type Job, type JobsOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { closeRedis, failFastOptions, retryStrategy } from '../lib/redis.js';
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

/**
 * A handler throws when the database is away (a bug aside): its job is tried again every few
 * seconds for about two minutes, so the task starts within seconds of the database's return; the
 * claim makes a repeat harmless. Past that, the workers' periodic re-queue from the database.
 */
const JOB_OPTIONS: JobsOptions = {
  attempts: 30,
  backoff: { type: 'capped' },
  removeOnComplete: true,
  removeOnFail: { age: 24 * 3600, count: 1_000 },
};

/** Ids kept through an outage to be queued again; past this many the database refills the queue. */
const MAX_UNSENT = 10_000;

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

/** The worker's blocking client waits out an outage, reconnecting as promptly as the others. */
function workerConnection(url: string): ConnectionOptions {
  return { url, connectionName: 'qig-worker', retryStrategy };
}

export class BullMqQueue implements TaskQueue {
  readonly driver = 'bullmq';
  private readonly queue: Queue<TaskJobData>;
  /** The producer's own client (it fails fast: a submit must not hang on Redis), so its reconnects are heard. */
  private readonly producer: Redis;
  private connected = false;
  /** Ids that could not be queued, with when each was due, to send once Redis is back. */
  private readonly unsent = new Map<string, number>();
  private unsentOverflowed = false;
  private readonly lostListeners = new Set<() => void>();
  /** Present while Redis keeps its data; a reconnect that finds it gone means the queue was lost. */
  private readonly marker: string;
  private worker: Worker<TaskJobData> | null = null;
  /** No more jobs are taken once closing; ids are still queued until the producer closes. */
  private closing = false;
  private producerClosed = false;
  /** Hands the jobs of running handlers back to the queue (a close past its deadline). */
  private readonly handBacks = new Set<() => void>();
  private readonly name: string;

  constructor(private readonly options: BullMqQueueOptions) {
    this.name = options.name ?? 'tasks';
    this.marker = `${options.prefix}:${this.name}:qig-present`;
    this.producer = new Redis(options.url, failFastOptions('qig-queue'));
    this.producer.on('ready', () => {
      if (this.connected) void this.reconnected();
      this.connected = true;
    });
    this.queue = new Queue<TaskJobData>(this.name, { connection: this.producer, prefix: options.prefix, defaultJobOptions: JOB_OPTIONS });
    this.queue.on('error', (error) => this.options.onRedisError?.(error));
  }

  onLost(listener: () => void): void {
    this.lostListeners.add(listener);
    this.producer.set(this.marker, '1').catch((error: unknown) => this.options.onRedisError?.(error));
  }

  /** Back after an outage: tells the listeners if Redis lost its data, then queues the kept ids. */
  private async reconnected(): Promise<void> {
    try {
      // Only a node that refills checks (and so sets) the marker; another would hide the loss.
      let lost = this.lostListeners.size > 0 && (await this.producer.set(this.marker, '1', 'NX')) === 'OK';
      // Read once Redis answered: an overflow is not forgotten if it drops again before that.
      lost ||= this.unsentOverflowed;
      this.unsentOverflowed = false;
      const unsent = [...this.unsent];
      this.unsent.clear();
      const now = Date.now();
      // At once, so the client pipelines them; one that fails again is kept again.
      await Promise.all(unsent.map(([taskId, dueAt]) => this.enqueue(taskId, { delayMs: dueAt - now })));
      if (lost) for (const listener of this.lostListeners) listener();
    } catch (error) {
      this.options.onRedisError?.(error);
    }
  }

  /** Resolves once the queue's Redis connection is ready. */
  async ready(): Promise<void> {
    await this.queue.waitUntilReady();
  }

  /**
   * Queues an id. When Redis cannot take it the id is kept and queued once Redis is back (and in
   * any case the task is in the database, which the sweeper and `onLost` refill the queue from).
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
      if (this.unsent.size < MAX_UNSENT || this.unsent.has(taskId)) this.unsent.set(taskId, Date.now() + delay);
      else this.unsentOverflowed = true;
    }
  }

  consume(handler: TaskHandler, concurrency: number): void {
    if (this.worker || this.closing) return;
    const lockMs = Math.max(1_000, this.options.lockMs ?? 30_000);
    const worker = new Worker<TaskJobData>(
      this.name,
      (job: Job<TaskJobData>, token?: string) => this.process(handler, job, token),
      {
        connection: workerConnection(this.options.url),
        prefix: this.options.prefix,
        concurrency: Math.max(1, concurrency),
        lockDuration: lockMs,
        stalledInterval: lockMs,
        // A job that keeps stalling is harmless (the claim decides), so it is not failed early.
        maxStalledCount: 5,
        settings: { backoffStrategy: (attemptsMade: number) => Math.min(1_000 * 2 ** Math.max(0, attemptsMade - 1), 5_000) },
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
    await closeRedis(this.producer);
  }
}
