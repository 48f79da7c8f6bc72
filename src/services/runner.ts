/**
 * The task runner: the queue's handler. It claims a task, holds its lease while working, and
 * sequences the steps of a run, each its own module under run/: the engine's inputs
 * (engine-calls), the execution on the route's engines with retries, failover and split calls
 * (execution), the images kept as each call finishes (run-outputs), and the one ending with its
 * settlement (ending). An upstream operation still pending parks the task, which comes back
 * through the queue after a delay.
 */
import { AppError, toAppError } from '../domain/errors.js';
import { mayBeDatabaseOutage } from '../domain/infrastructure-errors.js';
import { findModel } from '../domain/models.js';
import type { TaskRecord } from '../domain/task.js';
import type { Engine, EngineInput } from '../engines/engine.js';
import type { BlobStore } from '../blobs/blob-store.js';
import type { UrlSigner } from '../blobs/signing.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { TaskQueue } from '../queue/queue.js';
import type { TaskStore } from '../store/ports.js';
import type { TaskEvents } from '../events/events.js';
import type { OutputWriter } from './outputs.js';
import type { EngineRouter } from './router.js';
import { engineCall, engineInputs } from './run/engine-calls.js';
import { outcomeOf, TaskEnding, type UnitCost, type UnitPrice } from './run/ending.js';
import { executeTask, type CallState, type RetryPolicy, type RunState } from './run/execution.js';
import { holdLease } from './run/lease.js';
import { RunOutputs } from './run/run-outputs.js';
import { TaskLog } from './run/task-log.js';
import { cancelUpstream, isRunState, resumeState, withPendingEngine } from './run/upstream-state.js';
import { inRootSpan } from '../lib/tracing.js';

export interface RunnerOptions {
  workerId: string;
  leaseMs: number;
  retry: RetryPolicy;
  /** A task running longer than this (polls included) fails with a timeout. */
  taskTimeoutMs: number;
  /** Lifetime of the signed input URLs handed to upstreams. */
  inputUrlTtlMs: number;
}

export interface RunnerDeps {
  store: TaskStore;
  queue: TaskQueue;
  events: TaskEvents;
  blobs: BlobStore;
  signer: UrlSigner;
  router: Pick<EngineRouter, 'route' | 'get'>;
  outputs: OutputWriter;
  /** Prices each image at its engine's price when the task ends (left out: at the hold's unit price). */
  unitPrice?: UnitPrice | undefined;
  /** The upstream cost of each image (its channel's and credential's cost table), recorded with its price. */
  unitCost?: UnitCost | undefined;
  clock: Clock;
  logger: Logger;
}

/** What one run of a task works with, once its model's route is known. */
interface Run {
  task: TaskRecord;
  route: readonly Engine[];
  /** Why the route is empty, when channels serve the model but none is usable now. */
  unavailable: string | undefined;
  inputs: EngineInput[];
  log: (message: string) => void;
}

export class TaskRunner {
  private readonly log: TaskLog;
  private readonly ending: TaskEnding;

  constructor(
    private readonly deps: RunnerDeps,
    private readonly options: RunnerOptions,
  ) {
    this.log = new TaskLog(deps);
    this.ending = new TaskEnding({ ...deps, log: this.log }, options.workerId);
  }

  /** The queue's handler: runs (or resumes) one task if this worker can claim it. */
  async run(taskId: string): Promise<void> {
    const { store, clock, events } = this.deps;
    const now = clock.now();
    const task = await store.claim(taskId, this.options.workerId, now, now + this.options.leaseMs);
    if (!task) return;
    const transition = { taskId, requestId: task.requestId, model: task.model, attempt: task.attempts };
    if (task.status === 'running' && task.operation === null) {
      this.deps.logger.info({ ...transition, queuedMs: now - task.createdAt }, 'task started');
      await events.publish({ type: 'status', taskId, status: 'running', at: now });
    } else {
      // Back from a park (the next poll of its upstream operations) or from a dead worker.
      this.deps.logger.debug({ ...transition, engine: task.engine }, 'task resumed');
    }
    // The run's spans (engine calls, stored outputs) nest under one span per run of the task.
    await inRootSpan('task run', { 'qig.task_id': taskId, 'qig.request_id': task.requestId, 'qig.model': task.model, 'qig.attempt': task.attempts }, async () => {
      const controller = new AbortController();
      const stopHolding = holdLease(task, this.deps, this.options, controller);
      try {
        const run = this.prepare(task);
        if (task.cancelRequested) await this.cancelParked(task, run);
        // An unknown model is a bug (the rules admitted it), or a model an upgrade removed.
        else if (!run) throw new AppError('internal', `Task ${task.id} names unknown model ${task.model}.`);
        else if (task.startedAt !== null && clock.now() - task.startedAt > this.options.taskTimeoutMs) await this.timeOut(run);
        else await this.execute(run, controller);
      } catch (thrown) {
        if (mayBeDatabaseOutage(thrown)) {
          // Not the task's ending: the database could not take it (or its progress). The job is
          // tried again, and claims the task once this run's lease lapses.
          this.deps.logger.warn({ taskId, requestId: task.requestId, error: thrown instanceof Error ? thrown.message : String(thrown) }, 'the database failed under a task; its job is retried');
          throw thrown;
        }
        const error = toAppError(thrown);
        this.deps.logger.error({ taskId, requestId: task.requestId, err: thrown }, 'task failed unexpectedly');
        await this.ending.end(task, { status: 'failed', error: error.toRecord(), outputs: [], warnings: task.warnings });
      } finally {
        stopHolding();
      }
    });
  }

  /** The run's route and engine inputs; null when the task's model is unknown. */
  private prepare(task: TaskRecord): Run | null {
    const model = findModel(task.model);
    if (!model) return null;
    const { blobs, signer, clock } = this.deps;
    const route = this.deps.router.route(model, task.id);
    return {
      task,
      route: withPendingEngine(route, task.operation, (name) => this.deps.router.get(name)),
      unavailable: route.unavailable,
      inputs: engineInputs(task, blobs, (blobId) => signer.fileUrl(blobId, clock.now() + this.options.inputUrlTtlMs)),
      log: (message) => this.log.write(task.id, 'info', message),
    };
  }

  private async execute(run: Run, controller: AbortController): Promise<void> {
    const { task, route } = run;
    const { store, clock } = this.deps;
    const { signal } = controller;
    const resumed = resumeState(task.operation, route);
    const outputs = new RunOutputs(task, {
      ...this.deps,
      passesThrough: (engine) => this.deps.router.get(engine)?.outputs === 'passthrough',
      warn: (message) => this.log.write(task.id, 'warn', message),
    });
    try {
      const result = await executeTask(
        {
          task,
          route,
          unavailable: run.unavailable,
          signal,
          retry: this.options.retry,
          makeCall: (_engine, slice) => engineCall(task, slice, run.inputs, signal, run.log),
          storeImages: (engine, done, slice) => outputs.store(engine, done, slice, signal),
          save: async (state, made, warnings) => {
            await store.saveProgress(task.id, this.options.workerId, { engine: state.engine, operation: state, outputs: made, warnings }, clock.now());
          },
          log: run.log,
          progress: (value) => void this.deps.events.publish({ type: 'progress', taskId: task.id, progress: value, at: clock.now() }),
        },
        resumed,
      );
      if (result.kind === 'pending') {
        await this.park(task, result.state, { outputs: result.outputs, warnings: result.warnings, delayMs: result.delayMs });
        return;
      }
      await this.ending.end(task, outcomeOf(task, result), signal);
    } catch (thrown) {
      if (toAppError(thrown).kind !== 'canceled' && !signal.aborted) throw thrown;
      // Canceled: stop what is pending upstream (as last saved), then end the task canceled.
      const latest = await store.get(task.id);
      await this.cancelUpstream(run, latest && isRunState(latest.operation) ? latest.operation : resumed);
      const ended = await this.ending.end(task, { status: 'canceled', warnings: task.warnings });
      if (ended) await outputs.discardUnkept(ended);
    }
  }

  /** Lets go of a task whose upstream operations are pending until their next poll is due. */
  private async park(task: TaskRecord, state: RunState, progress: { outputs: TaskRecord['outputs']; warnings: string[]; delayMs: number }): Promise<void> {
    const now = this.deps.clock.now();
    await this.deps.store.saveProgress(
      task.id,
      this.options.workerId,
      { engine: state.engine, operation: state, outputs: progress.outputs, warnings: progress.warnings, leaseUntil: now + progress.delayMs, release: true },
      now,
    );
    await this.deps.queue.enqueue(task.id, { delayMs: progress.delayMs });
    this.deps.logger.debug({ taskId: task.id, requestId: task.requestId, engine: state.engine, delayMs: progress.delayMs }, 'task parked until its next poll');
  }

  /** Fails a task that ran past its time limit (polls included), stopping its upstream operations. */
  private async timeOut(run: Run): Promise<void> {
    await this.cancelUpstream(run, resumeState(run.task.operation, run.route));
    const error = new AppError('engine_timeout', `The task did not finish within ${Math.round(this.options.taskTimeoutMs / 1000)} s.`);
    await this.ending.end(run.task, { status: 'failed', error: error.toRecord(), outputs: run.task.outputs, warnings: run.task.warnings });
  }

  /** Ends a task whose cancel arrived while it was parked, stopping its upstream operations. */
  private async cancelParked(task: TaskRecord, run: Run | null): Promise<void> {
    if (run && isRunState(task.operation)) await this.cancelUpstream(run, task.operation);
    await this.ending.end(task, { status: 'canceled', warnings: task.warnings });
  }

  /** Cancels the pending upstream operations of `state`; its calls get a signal of their own, since the run's may be aborted. */
  private cancelUpstream(run: Run, state: RunState | null): Promise<void> {
    const signal = new AbortController().signal;
    return cancelUpstream(state, run.route, (slice: CallState) => engineCall(run.task, slice, run.inputs, signal, () => {}), (level, message) => this.log.write(run.task.id, level, message));
  }
}
