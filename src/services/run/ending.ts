/**
 * A task's one ending: what an execution's result records (outcomeOf), and recording it — with
 * its settlement, in the task store's one transaction — conditional on this worker still holding
 * the task, then logging it and waking whoever waits for it.
 */
import { applyMultiplier } from '../../domain/users.js';
import { throwIfAborted } from '../../domain/errors.js';
import type { ChargePart, TaskCharge, TaskOutcome, TaskOutput, TaskRecord } from '../../domain/task.js';
import type { TaskEvents } from '../../events/events.js';
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/logger.js';
import type { TaskStore } from '../../store/ports.js';
import type { ExecutionResult } from './execution.js';
import type { TaskLog } from './task-log.js';

/**
 * The outcome of a finished execution: succeeded with every image made (a partial failure keeps,
 * and bills, what was made, and says how many failed), or failed.
 */
export function outcomeOf(task: TaskRecord, result: Exclude<ExecutionResult, { kind: 'pending' }>): TaskOutcome {
  if (result.kind === 'failed' && result.outputs.length === 0) {
    return { status: 'failed', error: result.error.toRecord(), outputs: [], warnings: result.warnings, engine: result.engine };
  }
  const warnings = result.kind === 'failed'
    ? [...result.warnings, `${task.spec.n - result.outputs.length} of ${task.spec.n} images failed: ${result.error.message}`]
    : result.warnings;
  const first = result.outputs[0] as TaskOutput;
  return {
    status: 'succeeded',
    outputs: result.outputs,
    usage: { imageCount: result.outputs.length, width: first.width, height: first.height },
    actualPrompt: result.kind === 'done' ? result.actualPrompt : null,
    warnings,
    engine: result.engine,
  };
}

/** The unit price, in micros, of an image of `model` made by `engine` (see domain/prices.ts). */
export type UnitPrice = (model: string, engine: string | null) => number;

/** What the upstream bills, in micros, for an image of `model` made by `engine` through `credential` (the channel's cost table). */
export type UnitCost = (model: string, engine: string | null, credential: string | null) => number;

/**
 * What the images of a succeeded ending cost: one part per engine and credential that made them,
 * each image at its engine's price and, with `unitCost`, at its upstream cost (an image stored
 * before engines were recorded per image counts as the ending's engine's).
 */
export function chargeOf(model: string, outputs: readonly TaskOutput[], endingEngine: string | null, unitPrice: UnitPrice, unitCost?: UnitCost): TaskCharge {
  const parts: ChargePart[] = [];
  for (const output of outputs) {
    const engine = output.engine ?? endingEngine;
    const credential = output.credential ?? null;
    const part = parts.find((p) => p.engine === engine && (p.credential ?? null) === credential);
    if (part) {
      part.images += 1;
      continue;
    }
    parts.push({
      engine,
      images: 1,
      unitPriceMicros: unitPrice(model, engine),
      ...(credential === null ? {} : { credential }),
      ...(unitCost ? { unitCostMicros: unitCost(model, engine, credential) } : {}),
    });
  }
  return { parts };
}

export interface TaskEndingDeps {
  store: Pick<TaskStore, 'finish'>;
  /** Prices the images at the ending; left out, they are settled at the hold's unit price. */
  unitPrice?: UnitPrice | undefined;
  /** The upstream cost of each image, recorded with the price (left out: none recorded). */
  unitCost?: UnitCost | undefined;
  events: TaskEvents;
  log: TaskLog;
  clock: Clock;
  logger: Logger;
}

export class TaskEnding {
  constructor(
    private readonly deps: TaskEndingDeps,
    private readonly workerId: string,
  ) {}

  /**
   * Records the task's one ending; null if another worker took it over. With `signal`, a cancel
   * that arrived up to the moment of recording wins: it throws `canceled` and records nothing.
   */
  async end(task: TaskRecord, outcome: TaskOutcome, signal?: AbortSignal): Promise<TaskRecord | null> {
    const { store, events, log, clock } = this.deps;
    await log.written(task.id);
    if (signal) throwIfAborted(signal);
    const now = clock.now();
    const { unitPrice, unitCost } = this.deps;
    // Each image at its engine's list price times the multiplier the task was held at.
    const groupPrice: UnitPrice | undefined = unitPrice && ((model, engine) => applyMultiplier(unitPrice(model, engine), task.priceMultiplierPpm));
    const priced = outcome.status === 'succeeded' && groupPrice ? { ...outcome, charge: chargeOf(task.model, outcome.outputs, outcome.engine ?? null, groupPrice, unitCost) } : outcome;
    const finished = await store.finish(task.id, this.workerId, priced, clock.now());
    if (!finished) {
      this.deps.logger.warn({ taskId: task.id, requestId: task.requestId }, 'task was taken over by another worker; its ending is theirs to record');
      return null;
    }
    if (finished.cancelRequested && outcome.status !== 'canceled') {
      // Accepted in the instant between the last check and this ending, its event still on the way.
      log.write(task.id, 'warn', `a cancellation arrived as the task ended ${outcome.status}; the ending stands`);
    }
    this.deps.logger.info(
      {
        taskId: task.id,
        requestId: task.requestId,
        model: task.model,
        engine: finished.engine,
        attempt: finished.attempts,
        ...(finished.startedAt === null ? {} : { ms: now - finished.startedAt }),
        outcome: outcome.status,
        ...(outcome.status === 'succeeded' ? { images: outcome.outputs.length } : {}),
        ...(outcome.status === 'failed' ? { errorCode: outcome.error.kind, ...(outcome.error.upstreamCode ? { upstreamCode: outcome.error.upstreamCode } : {}) } : {}),
      },
      'task ended',
    );
    const detail = outcome.status === 'failed' ? `: ${outcome.error.message}` : outcome.status === 'succeeded' ? `: ${outcome.outputs.length} image(s)` : '';
    log.write(task.id, outcome.status === 'failed' ? 'error' : 'info', `${outcome.status}${detail}`);
    await events.publish({ type: 'status', taskId: task.id, status: outcome.status, at: now, task: finished });
    return finished;
  }
}
