/**
 * A running task's log: each line is appended to the task's log in the store and published as an
 * event, in the background, one task's lines in the order they were written (tasks never wait on
 * each other). Its ending waits for the lines so far, so a reader of the ending sees them.
 */
import type { TaskEvents } from '../../events/events.js';
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/logger.js';
import type { TaskStore } from '../../store/ports.js';

export type TaskLogLevel = 'info' | 'warn' | 'error';

export class TaskLog {
  /** Each task's pending writes, chained. */
  private readonly chains = new Map<string, Promise<void>>();

  constructor(
    private readonly deps: { store: Pick<TaskStore, 'appendLog'>; events: TaskEvents; clock: Clock; logger: Logger },
  ) {}

  write(taskId: string, level: TaskLogLevel, message: string): void {
    const at = this.deps.clock.now();
    const chain = (this.chains.get(taskId) ?? Promise.resolve())
      .then(() => this.deps.store.appendLog(taskId, { at, level, message }))
      .then(() => this.deps.events.publish({ type: 'log', taskId, level, message, at }))
      .catch((error: unknown) => this.deps.logger.warn({ taskId, err: error }, 'task log write failed'))
      .finally(() => {
        if (this.chains.get(taskId) === chain) this.chains.delete(taskId);
      });
    this.chains.set(taskId, chain);
  }

  /** Resolves once the task's lines written so far are in the store. */
  async written(taskId: string): Promise<void> {
    await this.chains.get(taskId);
  }
}
