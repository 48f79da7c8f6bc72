/**
 * One credential of a channel as this node runs it: its own engine behind a guard (concurrency
 * and circuit), its QPS bucket, its call statistics, and whether it is in rotation. A slot keeps
 * this running state across catalog reloads when the credential's settings did not change (the
 * catalog runtime hands the same slot to the rebuilt channel).
 */
import type { Engine, EngineCall, EngineResult, JsonValue } from '../../engines/engine.js';
import type { Clock } from '../../lib/clock.js';
import { toAppError } from '../../domain/errors.js';
import { GuardedEngine, type GuardOptions } from '../engine-guard.js';
import { NO_METRICS, type ServiceMetrics } from '../metrics.js';
import type { AccountFailure } from './account-errors.js';
import type { CredentialHealthView } from './catalog-api.js';
import { CallStats } from './call-stats.js';
import { QpsBucket, type Sleep } from './qps-bucket.js';

export interface CredentialSlotOptions {
  /** The credential's id; null for a keyless engine (one slot, always in rotation). */
  id: string | null;
  /** How messages name it, e.g. "…a1b2" (never the secret). */
  label: string;
  weight: number;
  /** The credential's own engine (its key, its region). */
  engine: Engine;
  /** The channel's guard; `maxConcurrent` is the credential's when it sets one. */
  guard: GuardOptions;
  maxConcurrent?: number | null | undefined;
  qps?: number | null | undefined;
  enabled?: boolean | undefined;
  /** An automatic disable already recorded in the catalog. */
  disabled?: AccountFailure | null | undefined;
  clock: Clock;
  metrics?: ServiceMetrics | undefined;
  /** How QPS waits sleep (tests). */
  sleep?: Sleep | undefined;
}

export class CredentialSlot {
  readonly id: string | null;
  readonly label: string;
  readonly weight: number;
  readonly engine: GuardedEngine;
  readonly stats: CallStats;
  private readonly bucket: QpsBucket | null;
  private enabled: boolean;
  private disabledBy: AccountFailure | null;

  constructor(private readonly options: CredentialSlotOptions) {
    this.id = options.id;
    this.label = options.label;
    this.weight = options.weight;
    const guard = { ...options.guard, maxConcurrent: options.maxConcurrent ?? options.guard.maxConcurrent };
    this.engine = new GuardedEngine(options.engine, guard, options.clock, options.metrics ?? NO_METRICS);
    this.stats = new CallStats(options.clock);
    this.bucket = options.qps === null || options.qps === undefined ? null : new QpsBucket(options.qps, options.clock, options.sleep);
    this.enabled = options.enabled ?? true;
    this.disabledBy = options.disabled ?? null;
  }

  /** In rotation: enabled by the operator and not automatically disabled (a keyless slot always is). */
  usable(): boolean {
    return this.id === null || (this.enabled && this.disabledBy === null);
  }

  /** Why it is out of rotation automatically, if it is. */
  get disabled(): AccountFailure | null {
    return this.disabledBy;
  }

  /** The catalog's state of the credential (after a reload, a re-test or an operator's change). */
  setUsable(enabled: boolean, disabled: AccountFailure | null = null): void {
    this.enabled = enabled;
    this.disabledBy = disabled;
  }

  /** Out of rotation on this node at once, after an account error. */
  markDisabled(failure: AccountFailure): void {
    this.disabledBy = failure;
  }

  /** Whether a call would start now without waiting: free concurrency, a QPS token, circuit not open. */
  ready(): boolean {
    const health = this.engine.health();
    if (health.state === 'open') return false;
    if (health.maxConcurrent !== null && health.inFlight >= health.maxConcurrent) return false;
    return this.bucket === null || this.bucket.ready();
  }

  /** Whether its circuit refuses calls now. */
  refusing(): boolean {
    return this.engine.state() === 'open';
  }

  async start(call: EngineCall): Promise<EngineResult> {
    if (this.bucket) await this.bucket.take(call.signal);
    return this.timed(call, () => this.engine.start(call));
  }

  poll(operation: JsonValue, call: EngineCall): Promise<EngineResult> {
    return this.timed(call, () => this.engine.poll(operation, call));
  }

  cancel(operation: JsonValue, call: EngineCall): Promise<void> {
    return this.engine.cancel(operation, call);
  }

  close(): Promise<void> {
    return this.engine.close();
  }

  health(): CredentialHealthView {
    const guard = this.engine.health();
    return { state: guard.state, inFlight: guard.inFlight, waiting: guard.waiting, ...this.stats.figures() };
  }

  /** The credential's engine without the guard (a re-test goes through whatever the circuit says). */
  get upstream(): Engine {
    return this.options.engine;
  }

  /**
   * Runs one upstream call, counting it in the statistics; neither a refusal of the open circuit
   * (no call was made) nor a cancel of our own counts as an error.
   */
  private async timed(call: EngineCall, run: () => Promise<EngineResult>): Promise<EngineResult> {
    const started = this.options.clock.now();
    const refused = this.refusing();
    try {
      const result = await run();
      this.stats.record({ latencyMs: this.options.clock.now() - started });
      return result;
    } catch (error) {
      if (!refused && !call.signal.aborted) this.stats.record({ error: toAppError(error).message });
      throw error;
    }
  }
}
