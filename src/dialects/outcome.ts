/**
 * A sync route's wait, shared by the dialects: the task once it has ended, or a `timeout` error
 * (the task carries on) saying where to follow it; and the ending as the dialect answers it —
 * a succeeded task, or the error a failed or canceled one ended with.
 */
import { AppError, toAppError } from '../domain/errors.js';
import { isTerminal, type TaskRecord } from '../domain/task.js';
import type { Principal } from '../services/keys.js';
import type { DialectContext } from './context.js';

/** Waits for the task to end; past the sync wait, throws `timeout` with `stillRunning(seconds)` as its message. */
export async function awaitEnding(context: DialectContext, principal: Principal, task: TaskRecord, stillRunning: (seconds: number) => string): Promise<TaskRecord> {
  const done = await afterAcceptance(task, () => context.tasks.wait(principal, task.id, context.syncWaitMs));
  if (!done || !isTerminal(done.status)) throw new AppError('timeout', stillRunning(Math.round(context.syncWaitMs / 1000)));
  return done;
}

/**
 * Runs what follows a task's acceptance (waiting for it, reading its images). The task is in the
 * database and will be billed, so the infrastructure failing now must not read as "retry": a
 * client that resubmits would pay twice. Such a failure becomes a `timeout` (not retried by the
 * SDKs) naming the task, which carries on and can be read by its id.
 */
export async function afterAcceptance<T>(task: TaskRecord, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (thrown) {
    const error = toAppError(thrown);
    if (error.kind !== 'unavailable') throw thrown;
    throw new AppError('timeout', `Task ${task.id} was accepted and carries on, but could not be followed to its end here (${error.message.replace(/; retry.*$/, '')}); read it by its id instead of submitting again.`, { cause: thrown });
  }
}

/** The task if it succeeded; else the error it ended with (canceled, or its failure as recorded). */
export function succeededOrThrow(task: TaskRecord): TaskRecord {
  if (task.status === 'succeeded') return task;
  if (task.status === 'canceled') throw new AppError('canceled', `Task ${task.id} was canceled.`);
  const failure = task.error ?? { kind: 'internal' as const, message: 'The task failed.' };
  throw new AppError(failure.kind, failure.message, { field: failure.field, upstreamCode: failure.upstreamCode });
}
