/**
 * Holds a running task's lease while a worker works on it: renews it every third of its length,
 * and aborts the work when the lease is lost (another worker took the task over) or a cancel
 * arrives (as an event, or seen on the task's row when the event was missed).
 */
import type { TaskRecord } from '../../domain/task.js';
import type { TaskEvents } from '../../events/events.js';
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/logger.js';
import type { TaskStore } from '../../store/ports.js';

export interface LeaseDeps {
  store: Pick<TaskStore, 'saveProgress' | 'get'>;
  events: TaskEvents;
  clock: Clock;
  logger: Logger;
}

/** Starts holding the lease; returns the function that stops. */
export function holdLease(task: TaskRecord, deps: LeaseDeps, lease: { workerId: string; leaseMs: number }, controller: AbortController): () => void {
  const { store, events, clock } = deps;
  const unsubscribe = events.subscribe(task.id, (event) => {
    if (event.type === 'cancel') controller.abort();
  });
  const timer = setInterval(() => {
    void (async () => {
      const now = clock.now();
      const held = await store.saveProgress(task.id, lease.workerId, { leaseUntil: now + lease.leaseMs }, now);
      const current = held ? await store.get(task.id) : null;
      if (!held || current?.cancelRequested) controller.abort();
    })().catch((error: unknown) => deps.logger.warn({ taskId: task.id, requestId: task.requestId, err: error }, 'lease renewal failed'));
  }, Math.max(50, Math.floor(lease.leaseMs / 3)));
  timer.unref();
  return () => {
    clearInterval(timer);
    unsubscribe();
  };
}
