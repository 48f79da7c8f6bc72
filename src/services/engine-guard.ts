/**
 * What the router puts around every engine: a concurrency limit (upstream account limits turn
 * into queueing here, not 429 storms) and a circuit breaker (after consecutive failures the
 * engine is skipped for a while, then one probe call decides whether it is back).
 */
import { AppError, canceled, throwIfAborted, toAppError } from '../domain/errors.js';
import { infrastructureFailure } from '../domain/infrastructure-errors.js';
import type { Engine, EngineCall, EngineResult, JsonValue } from '../engines/engine.js';
import type { Clock } from '../lib/clock.js';
import { NO_METRICS, type ServiceMetrics } from './metrics.js';

export type CircuitState = 'closed' | 'open' | 'half-open';

export interface GuardOptions {
  maxConcurrent: number | null;
  failureThreshold: number;
  openMs: number;
  outputs: 'rehost' | 'passthrough';
}

export interface EngineHealth {
  name: string;
  type: string;
  models: readonly string[] | '*';
  state: CircuitState;
  consecutiveFailures: number;
  /** When the next probe is let through, while open (epoch ms). */
  retryAt: number | null;
  inFlight: number;
  waiting: number;
  maxConcurrent: number | null;
  outputs: 'rehost' | 'passthrough';
}

/**
 * Errors that say the engine is in trouble: not the request's, not a cancel, and not the gateway's
 * own infrastructure failing under the call (its storage failing to read an input image, say),
 * which would otherwise close every engine of the route for a while after the storage is back.
 */
function countsAgainstEngine(error: unknown): boolean {
  if (infrastructureFailure(error) !== null) return false;
  if (!(error instanceof AppError)) return true;
  if (error.kind === 'unavailable') return false;
  return error.retryable || error.kind === 'engine_unavailable';
}

export class GuardedEngine implements Engine {
  readonly name: string;
  readonly type: string;
  readonly capabilities: Engine['capabilities'];
  private failures = 0;
  private openedAt: number | null = null;
  private probing = false;
  private inFlight = 0;
  private readonly waiters: Array<{ wake: () => void; signal: AbortSignal }> = [];

  constructor(
    private readonly inner: Engine,
    readonly options: GuardOptions,
    private readonly clock: Clock,
    private readonly metrics: ServiceMetrics = NO_METRICS,
  ) {
    this.name = inner.name;
    this.type = inner.type;
    this.capabilities = inner.capabilities;
  }

  start(call: EngineCall): Promise<EngineResult> {
    return this.guarded(call, 'start', () => this.inner.start(call));
  }

  poll(operation: JsonValue, call: EngineCall): Promise<EngineResult> {
    return this.guarded(call, 'poll', () => this.inner.poll(operation, call));
  }

  /** Cancels go through whatever the circuit says: stopping upstream work is always right. */
  cancel(operation: JsonValue, call: EngineCall): Promise<void> {
    return this.inner.cancel(operation, call);
  }

  async close(): Promise<void> {
    await this.inner.close?.();
  }

  state(): CircuitState {
    if (this.openedAt === null) return 'closed';
    return this.clock.now() >= this.openedAt + this.options.openMs ? 'half-open' : 'open';
  }

  health(): EngineHealth {
    const state = this.state();
    return {
      name: this.name,
      type: this.type,
      models: this.capabilities.models,
      state,
      consecutiveFailures: this.failures,
      retryAt: state === 'open' && this.openedAt !== null ? this.openedAt + this.options.openMs : null,
      inFlight: this.inFlight,
      waiting: this.waiters.length,
      maxConcurrent: this.options.maxConcurrent,
      outputs: this.options.outputs,
    };
  }

  private async guarded(call: EngineCall, kind: 'start' | 'poll', run: () => Promise<EngineResult>): Promise<EngineResult> {
    const state = this.state();
    const probe = state === 'half-open';
    if (state === 'open' || (probe && this.probing)) {
      const seconds = Math.max(1, Math.ceil(((this.openedAt ?? 0) + this.options.openMs - this.clock.now()) / 1000));
      throw new AppError('engine_unavailable', `Engine ${this.name} is unavailable after ${this.failures} failures in a row (circuit open; next try in about ${seconds} s).`, {
        retryable: false,
        retryAfterSeconds: seconds,
      });
    }
    if (probe) this.probing = true;
    try {
      await this.acquire(call.signal);
      try {
        const result = await this.counted(kind, run);
        this.failures = 0;
        this.openedAt = null;
        return result;
      } finally {
        this.release();
      }
    } catch (error) {
      if (countsAgainstEngine(error) && !call.signal.aborted) {
        this.failures += 1;
        if (probe || this.failures >= this.options.failureThreshold) this.openedAt = this.clock.now();
      }
      throw error;
    } finally {
      if (probe) this.probing = false;
    }
  }

  /** Runs one call to the engine itself (a refusal by the open circuit is none), counting how it ended. */
  private async counted(kind: 'start' | 'poll', run: () => Promise<EngineResult>): Promise<EngineResult> {
    try {
      const result = await run();
      this.metrics.upstreamCall(this.name, kind, null);
      return result;
    } catch (error) {
      const failure = toAppError(error);
      this.metrics.upstreamCall(this.name, kind, { kind: failure.kind, upstreamCode: failure.upstreamCode });
      throw error;
    }
  }

  private async acquire(signal: AbortSignal): Promise<void> {
    const limit = this.options.maxConcurrent;
    if (limit === null || this.inFlight < limit) {
      this.inFlight += 1;
      return;
    }
    throwIfAborted(signal);
    await new Promise<void>((resolve, reject) => {
      const waiter = {
        signal,
        wake: () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        reject(canceled());
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** Hands the slot straight to the next waiter, or frees it. */
  private release(): void {
    const next = this.waiters.shift();
    if (next) next.wake();
    else this.inFlight -= 1;
  }
}
