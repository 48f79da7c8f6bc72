/**
 * The task runner: claims a task from the store, holds its lease while working, drives it
 * through its engines (execution.ts), and records exactly one ending. Upstream operations that
 * are still pending park the task and come back through the queue after a delay.
 */
import { AppError, throwIfAborted, toAppError } from '../domain/errors.js';
import { mayBeDatabaseOutage } from '../domain/infrastructure-errors.js';
import { findModel } from '../domain/models.js';
import type { TaskOutcome, TaskOutput, TaskRecord } from '../domain/task.js';
import type { Engine, EngineCall, EngineDone, EngineInput } from '../engines/engine.js';
import type { BlobStore } from '../blobs/blob-store.js';
import type { UrlSigner } from '../blobs/signing.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { TaskQueue } from '../queue/queue.js';
import type { TaskStore } from '../store/ports.js';
import type { TaskEvents } from '../events/events.js';
import { executeTask, type CallState, type RetryPolicy, type RunState } from './execution.js';
import type { OutputWriter } from './outputs.js';
import type { EngineRouter } from './router.js';

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
  router: EngineRouter;
  outputs: OutputWriter;
  clock: Clock;
  logger: Logger;
}

function isRunState(value: unknown): value is RunState {
  return typeof value === 'object' && value !== null && Array.isArray((value as RunState).calls) && typeof (value as RunState).engine === 'string';
}

export class TaskRunner {
  /** Each task's log writes, chained so its log reads as it happened; tasks do not wait on each other. */
  private readonly logChains = new Map<string, Promise<void>>();

  constructor(
    private readonly deps: RunnerDeps,
    private readonly options: RunnerOptions,
  ) {}

  /** The queue's handler: runs (or resumes) one task if this worker can claim it. */
  async run(taskId: string): Promise<void> {
    const { store, clock, events } = this.deps;
    const now = clock.now();
    const task = await store.claim(taskId, this.options.workerId, now, now + this.options.leaseMs);
    if (!task) return;
    if (task.status === 'running' && task.operation === null) {
      await events.publish({ type: 'status', taskId, status: 'running', at: now });
    }
    const controller = new AbortController();
    const stopWatching = this.watch(task, controller);
    try {
      if (task.cancelRequested) {
        await this.cancelParked(task);
        return;
      }
      await this.execute(task, controller);
    } catch (thrown) {
      if (mayBeDatabaseOutage(thrown)) {
        // Not the task's ending: the database could not take it (or its progress). The job is
        // tried again, and claims the task once this run's lease lapses.
        this.deps.logger.warn({ taskId, requestId: task.requestId, error: thrown instanceof Error ? thrown.message : String(thrown) }, 'the database failed under a task; its job is retried');
        throw thrown;
      }
      const error = toAppError(thrown);
      this.deps.logger.error({ taskId, requestId: task.requestId, err: thrown }, 'task failed unexpectedly');
      await this.finish(task, { status: 'failed', error: error.toRecord(), outputs: [], warnings: task.warnings });
    } finally {
      stopWatching();
    }
  }

  private async execute(task: TaskRecord, controller: AbortController): Promise<void> {
    const model = findModel(task.model);
    if (!model) throw new AppError('internal', `Task ${task.id} names unknown model ${task.model}.`);
    const route = this.deps.router.route(model);
    const resumed = this.resumeState(task, route);
    const inputs = this.engineInputs(task);
    const log = (message: string) => this.log(task.id, 'info', message);
    const fresh: TaskOutput[] = []; // images stored by this run, deleted if a cancel wins after all

    if (task.startedAt !== null && this.deps.clock.now() - task.startedAt > this.options.taskTimeoutMs) {
      await this.cancelPending(resumed, route, task, inputs, controller.signal);
      const error = new AppError('engine_timeout', `The task did not finish within ${Math.round(this.options.taskTimeoutMs / 1000)} s.`);
      await this.finish(task, { status: 'failed', error: error.toRecord(), outputs: task.outputs, warnings: task.warnings });
      return;
    }

    try {
      const result = await executeTask(
        {
          task,
          route,
          signal: controller.signal,
          retry: this.options.retry,
          makeCall: (_engine, slice) => this.makeCall(task, slice, inputs, controller.signal, log),
          storeImages: (engine, done, slice) => this.storeImages(task, engine, done, slice, controller.signal, fresh),
          save: async (state, outputs, warnings) => {
            await this.deps.store.saveProgress(task.id, this.options.workerId, { engine: state.engine, operation: state, outputs, warnings }, this.deps.clock.now());
          },
          log,
          progress: (value) => void this.deps.events.publish({ type: 'progress', taskId: task.id, progress: value, at: this.deps.clock.now() }),
        },
        resumed,
      );
      if (result.kind === 'pending') {
        const dueAt = this.deps.clock.now() + result.delayMs;
        await this.deps.store.saveProgress(
          task.id,
          this.options.workerId,
          { engine: result.state.engine, operation: result.state, outputs: result.outputs, warnings: result.warnings, leaseUntil: dueAt, release: true },
          this.deps.clock.now(),
        );
        await this.deps.queue.enqueue(task.id, { delayMs: result.delayMs });
        return;
      }
      if (result.kind === 'done' || result.outputs.length > 0) {
        const warnings = result.kind === 'failed'
          ? [...result.warnings, `${task.spec.n - result.outputs.length} of ${task.spec.n} images failed: ${result.error.message}`]
          : result.warnings;
        const first = result.outputs[0] as TaskOutput;
        await this.finish(task, {
          status: 'succeeded',
          outputs: result.outputs,
          usage: { imageCount: result.outputs.length, width: first.width, height: first.height },
          actualPrompt: result.kind === 'done' ? result.actualPrompt : null,
          warnings,
          engine: result.engine,
        }, controller.signal);
        return;
      }
      await this.finish(task, { status: 'failed', error: result.error.toRecord(), outputs: [], warnings: result.warnings, engine: result.engine }, controller.signal);
    } catch (thrown) {
      const error = toAppError(thrown);
      if (error.kind !== 'canceled' && !controller.signal.aborted) throw thrown;
      const latest = await this.deps.store.get(task.id);
      await this.cancelPending(latest && isRunState(latest.operation) ? latest.operation : resumed, route, task, inputs, new AbortController().signal);
      const ended = await this.finish(task, { status: 'canceled', warnings: task.warnings });
      if (ended) await this.discard(ended, fresh);
    }
  }

  /** After this worker recorded a canceled ending: deletes this run's images its row does not keep. */
  private async discard(ended: TaskRecord, fresh: readonly TaskOutput[]): Promise<void> {
    const kept = new Set(ended.outputs.map((output) => output.blobId));
    for (const output of fresh) {
      if (output.blobId === null || kept.has(output.blobId)) continue;
      await this.deps.blobs.delete(output.blobId).catch((error: unknown) => this.deps.logger.warn({ taskId: ended.id, requestId: ended.requestId, err: error }, 'deleting an image of a canceled task failed'));
    }
  }

  /**
   * Keeps one call's images: encoded, watermarked when the engine did not, stored. An engine in
   * passthrough mode has its URLs handed out as they are (no watermark can be drawn on them).
   */
  private async storeImages(task: TaskRecord, engine: Engine, done: EngineDone, slice: CallState, signal: AbortSignal, fresh: TaskOutput[]): Promise<TaskOutput[]> {
    const watermark = task.spec.watermark && !(done.watermarked ?? engine.capabilities.watermark);
    const passthrough = this.deps.router.get(engine.name)?.options.outputs === 'passthrough';
    const stored: TaskOutput[] = [];
    for (const [i, image] of done.images.entries()) {
      throwIfAborted(signal);
      const seed = slice.seed + i;
      if (passthrough && image.kind === 'url') {
        if (watermark) this.log(task.id, 'warn', `engine ${engine.name} passes its URLs through: no watermark could be drawn`);
        const { width, height } = task.spec.size;
        stored.push({ blobId: null, url: image.url, contentType: `image/${task.spec.outputFormat}`, width, height, bytes: 0, seed });
      } else {
        const output = await this.deps.outputs.write(image, { owner: task.id, spec: task.spec, watermark, seed, signal });
        fresh.push(output);
        stored.push(output);
      }
    }
    return stored;
  }

  /** Ends a task whose cancel arrived while it was parked, stopping its upstream operations. */
  private async cancelParked(task: TaskRecord): Promise<void> {
    const model = findModel(task.model);
    if (model && isRunState(task.operation)) {
      const route = this.deps.router.route(model);
      await this.cancelPending(task.operation, route, task, this.engineInputs(task), new AbortController().signal);
    }
    await this.finish(task, { status: 'canceled', warnings: task.warnings });
  }

  /** The persisted state to resume, if its engine is still in the route. */
  private resumeState(task: TaskRecord, route: readonly Engine[]): RunState | null {
    if (!isRunState(task.operation)) return null;
    const state = task.operation;
    const index = route.findIndex((engine) => engine.name === state.engine);
    if (index < 0) return { ...state, engineIndex: 0, engine: '', calls: state.calls.map((c) => (c.done ? c : { ...c, handle: null })) };
    return { ...state, engineIndex: index };
  }

  private async cancelPending(state: RunState | null, route: readonly Engine[], task: TaskRecord, inputs: EngineInput[], signal: AbortSignal): Promise<void> {
    const engine = state ? route.find((e) => e.name === state.engine) : undefined;
    if (!state || !engine) return;
    for (const slice of state.calls) {
      if (slice.done || slice.handle === null) continue;
      try {
        await engine.cancel(slice.handle, this.makeCall(task, slice, inputs, signal, () => {}));
        this.log(task.id, 'info', `engine ${engine.name}: upstream operation canceled`);
      } catch (error) {
        this.log(task.id, 'warn', `engine ${engine.name}: cancel failed: ${toAppError(error).message}`);
      }
    }
  }

  private engineInputs(task: TaskRecord): EngineInput[] {
    const cache = new Map<string, Promise<Buffer>>();
    return task.inputs.map((input, index) => ({
      index,
      contentType: input.contentType,
      width: input.width,
      height: input.height,
      bytes: input.bytes,
      read: () => {
        let pending = cache.get(input.blobId);
        if (!pending) {
          pending = this.deps.blobs.get(input.blobId).then((data) => {
            if (!data) throw new AppError('internal', `Input image ${index + 1} of task ${task.id} is missing from the blob store.`);
            return data;
          });
          cache.set(input.blobId, pending);
        }
        return pending;
      },
      signedUrl: () => this.deps.signer.fileUrl(input.blobId, this.deps.clock.now() + this.options.inputUrlTtlMs),
    }));
  }

  private makeCall(task: TaskRecord, slice: CallState, inputs: EngineInput[], signal: AbortSignal, log: (m: string) => void): EngineCall {
    const model = findModel(task.model);
    return {
      taskId: task.id,
      requestId: task.requestId,
      model: task.model,
      family: model?.family ?? task.model,
      kind: task.kind,
      prompt: task.spec.prompt,
      negativePrompt: task.spec.negativePrompt,
      n: slice.n,
      size: task.spec.size,
      sizeSource: task.spec.sizeSource,
      seed: slice.seed,
      promptExtend: task.spec.promptExtend,
      watermark: task.spec.watermark,
      inputs,
      signal,
      log,
    };
  }

  /** Keeps the lease alive while working and aborts the work when a cancel arrives. */
  private watch(task: TaskRecord, controller: AbortController): () => void {
    const { store, events, clock } = this.deps;
    const unsubscribe = events.subscribe(task.id, (event) => {
      if (event.type === 'cancel') controller.abort();
    });
    const timer = setInterval(() => {
      void (async () => {
        const now = clock.now();
        const held = await store.saveProgress(task.id, this.options.workerId, { leaseUntil: now + this.options.leaseMs }, now);
        const current = held ? await store.get(task.id) : null;
        if (!held || current?.cancelRequested) controller.abort();
      })().catch((error: unknown) => this.deps.logger.warn({ taskId: task.id, requestId: task.requestId, err: error }, 'lease renewal failed'));
    }, Math.max(50, Math.floor(this.options.leaseMs / 3)));
    timer.unref();
    return () => {
      clearInterval(timer);
      unsubscribe();
    };
  }

  /**
   * Records the task's one ending; null if another worker took it over. With `signal`, a cancel
   * that arrived up to the moment of recording wins: it throws `canceled` and records nothing.
   */
  private async finish(task: TaskRecord, outcome: TaskOutcome, signal?: AbortSignal): Promise<TaskRecord | null> {
    // The task's log lines so far are written before it ends, so a reader of the ending sees them.
    await this.logChains.get(task.id);
    if (signal) throwIfAborted(signal);
    const now = this.deps.clock.now();
    const finished = await this.deps.store.finish(task.id, this.options.workerId, outcome, this.deps.clock.now());
    if (!finished) {
      this.deps.logger.warn({ taskId: task.id, requestId: task.requestId }, 'task was taken over by another worker; its ending is theirs to record');
      return null;
    }
    if (finished.cancelRequested && outcome.status !== 'canceled') {
      // Accepted in the instant between the last check and this ending, its event still on the way.
      this.log(task.id, 'warn', `a cancellation arrived as the task ended ${outcome.status}; the ending stands`);
    }
    const detail = outcome.status === 'failed' ? `: ${outcome.error.message}` : outcome.status === 'succeeded' ? `: ${outcome.outputs.length} image(s)` : '';
    this.log(task.id, outcome.status === 'failed' ? 'error' : 'info', `${outcome.status}${detail}`);
    await this.deps.events.publish({ type: 'status', taskId: task.id, status: outcome.status, at: now, task: finished });
    return finished;
  }

  private log(taskId: string, level: string, message: string): void {
    const at = this.deps.clock.now();
    const chain = (this.logChains.get(taskId) ?? Promise.resolve())
      .then(() => this.deps.store.appendLog(taskId, { at, level, message }))
      .then(() => this.deps.events.publish({ type: 'log', taskId, level, message, at }))
      .catch((error: unknown) => this.deps.logger.warn({ taskId, err: error }, 'task log write failed'))
      .finally(() => {
        if (this.logChains.get(taskId) === chain) this.logChains.delete(taskId);
      });
    this.logChains.set(taskId, chain);
  }
}
