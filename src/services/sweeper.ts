/**
 * Recovery: tasks a dead worker left running are queued again (or failed once they used up
 * their attempts), parked polls whose queue entry was lost are re-enqueued, and at start every
 * queued task is handed to the queue again (the embedded queue forgets them on a crash). Ended
 * tasks left unsettled are settled.
 */
import type { TaskError } from '../domain/errors.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { TaskQueue } from '../queue/queue.js';
import type { TaskStore } from '../store/ports.js';
import type { BillingService } from './billing.js';
import type { TaskEvents } from '../events/events.js';

export interface SweeperOptions {
  /** How long past its lease a task must be before it counts as abandoned. */
  graceMs: number;
  maxAttempts: number;
  intervalMs: number;
}

export class Sweeper {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly store: TaskStore,
    private readonly queue: TaskQueue,
    private readonly events: TaskEvents,
    private readonly billing: BillingService,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly options: SweeperOptions,
  ) {}

  /** Re-enqueues every queued task (paged by creation time). */
  async enqueueQueued(): Promise<number> {
    let count = 0;
    let after: { createdAt: number; id: string } | undefined;
    for (;;) {
      const page = await this.store.findQueued(500, after);
      for (const task of page) await this.queue.enqueue(task.id);
      count += page.length;
      const last = page.at(-1);
      if (!last || page.length < 500) return count;
      after = { createdAt: last.createdAt, id: last.id };
    }
  }

  /**
   * Hands the queue every task it should hold: the queued ones, and the parked ones at the time
   * their next poll is due (a Redis that lost its data forgot both).
   */
  async refillQueue(): Promise<{ queued: number; parked: number }> {
    const queued = await this.enqueueQueued();
    let parked = 0;
    let after: string | undefined;
    for (;;) {
      const page = await this.store.findParked(500, after);
      const now = this.clock.now();
      for (const task of page) await this.queue.enqueue(task.id, { delayMs: Math.max(0, (task.leaseUntil ?? now) - now) });
      parked += page.length;
      after = page.at(-1)?.id;
      if (!after || page.length < 500) return { queued, parked };
    }
  }

  async sweepOnce(): Promise<{ requeued: number; failed: number; resumed: number; settled: number }> {
    const now = this.clock.now();
    const before = now - this.options.graceMs;
    const result = { requeued: 0, failed: 0, resumed: 0, settled: 0 };
    for (const task of await this.store.findExpired(before, 200)) {
      if (task.workerId === null) {
        // Parked for a poll whose queue entry was lost: nobody held it, so no attempt was spent.
        await this.queue.enqueue(task.id);
        result.resumed += 1;
      } else if (task.attempts >= this.options.maxAttempts) {
        const error: TaskError = {
          kind: 'engine_failed',
          message: `The worker running this task stopped responding ${task.attempts} times; giving up.`,
        };
        const failed = await this.store.failExpired(task.id, before, error, now);
        if (failed) {
          result.failed += 1;
          await this.billing.settle(task.id);
          await this.store.appendLog(task.id, { at: now, level: 'error', message: `failed: ${error.message}` });
          await this.events.publish({ type: 'status', taskId: task.id, status: 'failed', at: now });
        }
      } else if (await this.store.requeueExpired(task.id, before, now)) {
        result.requeued += 1;
        await this.store.appendLog(task.id, { at: now, level: 'warn', message: `worker ${task.workerId} stopped responding; task queued again (attempt ${task.attempts + 1})` });
        await this.events.publish({ type: 'status', taskId: task.id, status: 'queued', at: now });
        await this.queue.enqueue(task.id);
      }
    }
    // Tasks that ended without being settled (a crash between the two) are settled now.
    result.settled = await this.billing.settleAll();
    if (result.requeued + result.failed + result.resumed + result.settled > 0) this.logger.warn(result, 'sweeper recovered abandoned tasks');
    return result;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.sweepOnce().catch((error: unknown) => this.logger.error({ err: error }, 'sweep failed'));
    }, this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
