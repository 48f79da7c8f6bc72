/** The embedded queue: an in-process FIFO with delayed entries and bounded concurrency. */
import { AsyncResource } from 'node:async_hooks';
import type { EnqueueOptions, QueueStats, TaskHandler, TaskQueue } from './queue.js';

export class MemoryQueue implements TaskQueue {
  readonly driver = 'memory';
  private readonly waiting: string[] = [];
  /** Ids in `waiting`, so one id is not queued twice. */
  private readonly queued = new Set<string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly running = new Set<Promise<void>>();
  private handler: TaskHandler | null = null;
  private concurrency = 0;
  private closed = false;

  constructor(private readonly onError: (taskId: string, error: unknown) => void = () => {}) {}

  async enqueue(taskId: string, options: EnqueueOptions = {}): Promise<void> {
    if (this.closed) return;
    // An id already waiting runs soon anyway; a delayed one is replaced by the newer request.
    if (this.queued.has(taskId)) return;
    const existing = this.timers.get(taskId);
    if (existing) clearTimeout(existing);
    this.timers.delete(taskId);
    const delay = options.delayMs ?? 0;
    if (delay > 0) {
      const timer = setTimeout(() => {
        this.timers.delete(taskId);
        void this.enqueue(taskId);
      }, delay);
      timer.unref();
      this.timers.set(taskId, timer);
      return;
    }
    this.queued.add(taskId);
    this.waiting.push(taskId);
    this.pump();
  }

  consume(handler: TaskHandler, concurrency: number): void {
    // Bound to the consumer's async context: a task started from within a request (its enqueue
    // pumps the queue) must not run inside that request's context — its trace, its log notes.
    this.handler = AsyncResource.bind(handler);
    this.concurrency = Math.max(1, concurrency);
    this.pump();
  }

  async stats(): Promise<QueueStats> {
    return { waiting: this.waiting.length, delayed: this.timers.size, active: this.running.size };
  }

  async close(deadlineMs = 10_000): Promise<void> {
    this.closed = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.waiting.length = 0;
    this.queued.clear();
    if (this.running.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.running]),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, deadlineMs);
      }),
    ]);
    clearTimeout(timer);
  }

  private pump(): void {
    const handler = this.handler;
    if (!handler || this.closed) return;
    while (this.running.size < this.concurrency && this.waiting.length > 0) {
      const taskId = this.waiting.shift() as string;
      this.queued.delete(taskId);
      const run: Promise<void> = handler(taskId)
        .catch((error: unknown) => this.onError(taskId, error))
        .finally(() => {
          this.running.delete(run);
          this.pump();
        });
      this.running.add(run);
    }
  }
}
