/**
 * The queue seam. The queue carries task ids only; the database holds every task's state, so a
 * lost or duplicated queue entry is harmless (the claim in the task store decides who runs it).
 */
export type TaskHandler = (taskId: string) => Promise<void>;

export interface EnqueueOptions {
  /** Run no sooner than this many milliseconds from now (re-polls of upstream operations). */
  delayMs?: number;
}

export interface QueueStats {
  waiting: number;
  delayed: number;
  active: number;
}

export interface TaskQueue {
  readonly driver: string;
  enqueue(taskId: string, options?: EnqueueOptions): Promise<void>;
  /** Starts running handlers, at most `concurrency` at a time. */
  consume(handler: TaskHandler, concurrency: number): void;
  stats(): Promise<QueueStats>;
  /**
   * Hears when ids may be missing from a shared queue: its Redis came back without its data (a
   * restart without persistence), or ids that could not be queued during an outage were more
   * than could be kept to send again. The listener refills the queue from the database. An
   * in-process queue loses nothing while the process lives, so it never calls it.
   */
  onLost?(listener: () => void): void;
  /** Stops taking work and waits for running handlers, at most `deadlineMs`. */
  close(deadlineMs?: number): Promise<void>;
}
