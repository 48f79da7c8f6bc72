/**
 * Waiters (sync requests, status streams) hear a task end through its events, and a bus across
 * nodes can lose one: an ending published while Redis was unreachable never reaches the other
 * nodes. This watch reads the tasks someone waits on from the database every interval, in one
 * query per page of ids, and hands each ending it finds to their listeners as the status event
 * it would have been. Listeners already take an ending more than once (the first one counts).
 */
import { isTerminal, type TaskRecord } from '../domain/task.js';
import { LocalTaskEvents, type TaskEventListener, type TaskEvents } from '../events/events.js';

/** Ids per query. */
const PAGE = 500;

export interface EndingSource {
  /** Those of these tasks that have ended. */
  findEnded(ids: readonly string[]): Promise<TaskRecord[]>;
}

export class EndingWatch {
  /** The watchers, by task (the in-process bus keeps them, and hands them what is found). */
  private readonly watchers = new LocalTaskEvents();
  private timer: NodeJS.Timeout | null = null;
  private reading = false;

  constructor(
    private readonly source: EndingSource,
    private readonly intervalMs: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Watches one task for its ending; returns the function that stops. */
  watch(taskId: string, listener: TaskEventListener): () => void {
    const stop = this.watchers.subscribe(taskId, listener);
    if (!this.timer) {
      this.timer = setInterval(() => void this.read(), this.intervalMs);
      this.timer.unref();
    }
    return () => {
      stop();
      if (this.watchers.listenerCount() === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = null;
      }
    };
  }

  private async read(): Promise<void> {
    if (this.reading) return;
    this.reading = true;
    try {
      const ids = this.watchers.taskIds();
      for (let i = 0; i < ids.length; i += PAGE) {
        for (const task of await this.source.findEnded(ids.slice(i, i + PAGE))) {
          if (isTerminal(task.status)) this.watchers.deliver({ type: 'status', taskId: task.id, status: task.status, at: task.finishedAt ?? task.updatedAt, task });
        }
      }
    } catch (error) {
      this.onError(error);
    } finally {
      this.reading = false;
    }
  }
}

/** The events, with every subscription also watched for its task's ending. */
export function withEndingWatch(events: TaskEvents, watch: EndingWatch): TaskEvents {
  return {
    publish: (event) => events.publish(event),
    subscribeLocal: (listener) => events.subscribeLocal(listener),
    subscribe(taskId, listener) {
      const stopEvents = events.subscribe(taskId, listener);
      const stopWatch = watch.watch(taskId, listener);
      return () => {
        stopEvents();
        stopWatch();
      };
    },
  };
}
