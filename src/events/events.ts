/**
 * Task events: status changes, log lines and progress. Sync waits, status streams and webhooks
 * read them. The in-process bus serves one node; a Redis bus carries them across nodes.
 */
import type { TaskRecord, TaskStatus } from '../domain/task.js';

export type TaskEvent =
  /** A status change; an ending carries the ended task, so waiters need not read it back. */
  | { type: 'status'; taskId: string; status: TaskStatus; at: number; task?: TaskRecord }
  | { type: 'log'; taskId: string; level: string; message: string; at: number }
  | { type: 'progress'; taskId: string; progress: number; at: number }
  /** A client asked to cancel a running task; its worker stops it. */
  | { type: 'cancel'; taskId: string; at: number }
  /** The catalog (channels, routes, prices) was saved at this version: every node reloads it. Sent to CATALOG_TOPIC. */
  | { type: 'catalog'; taskId: string; version: number; at: number };

/** The pseudo task id the catalog's change events go to (no task id looks like it). */
export const CATALOG_TOPIC = '~catalog';

export type TaskEventListener = (event: TaskEvent) => void;

export interface TaskEvents {
  publish(event: TaskEvent): Promise<void>;
  /** Listens to one task's events; returns the function that stops listening. */
  subscribe(taskId: string, listener: TaskEventListener): () => void;
  /** Listens to the events this node publishes (metrics); returns the function that stops listening. */
  subscribeLocal(listener: TaskEventListener): () => void;
  close?(): Promise<void>;
}

export class LocalTaskEvents implements TaskEvents {
  private readonly listeners = new Map<string, Set<TaskEventListener>>();
  private readonly localListeners = new Set<TaskEventListener>();

  async publish(event: TaskEvent): Promise<void> {
    for (const listener of this.localListeners) listener(event);
    this.deliver(event);
  }

  subscribeLocal(listener: TaskEventListener): () => void {
    this.localListeners.add(listener);
    return () => this.localListeners.delete(listener);
  }

  /** Hands an event to this node's listeners (also used by cross-node buses). */
  deliver(event: TaskEvent): void {
    const set = this.listeners.get(event.taskId);
    if (!set) return;
    for (const listener of [...set]) listener(event);
  }

  subscribe(taskId: string, listener: TaskEventListener): () => void {
    let set = this.listeners.get(taskId);
    if (!set) {
      set = new Set();
      this.listeners.set(taskId, set);
    }
    set.add(listener);
    return () => {
      const current = this.listeners.get(taskId);
      if (!current) return;
      current.delete(listener);
      if (current.size === 0) this.listeners.delete(taskId);
    };
  }

  /** The tasks someone here listens to. */
  taskIds(): string[] {
    return [...this.listeners.keys()];
  }

  listenerCount(): number {
    let count = 0;
    for (const set of this.listeners.values()) count += set.size;
    return count;
  }
}
