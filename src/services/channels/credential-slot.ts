/**
 * One credential of a channel as this node runs it: its own engine behind a guard (concurrency
 * and circuit), its QPS bucket, its call statistics, and whether it is in rotation. A slot keeps
 * this running state across catalog reloads when the credential's settings did not change (the
 * catalog runtime hands the same slot to the rebuilt channel). Nothing its engine throws carries
 * the credential's key.
 */
import type { Engine, EngineCall, EngineResult, JsonValue } from '../../engines/engine.js';
import type { Clock } from '../../lib/clock.js';
import { toAppError } from '../../domain/errors.js';
import { findModel } from '../../domain/models.js';
import { GuardedEngine, type GuardOptions } from '../engine-guard.js';
import { NO_METRICS, type ServiceMetrics } from '../metrics.js';
import type { AccountErrorInfo } from './account-errors.js';
import type { CredentialHealthView } from './catalog-api.js';
import { CallStats } from './call-stats.js';
import { QpsBucket, type Sleep } from './qps-bucket.js';
import { redactingEngine } from './secret-redaction.js';

export interface CredentialSlotOptions {
  /** The credential's id; null for a keyless engine (one slot, always in rotation). */
  id: string | null;
  /** How messages name it, e.g. "…a1b2" (never the secret); default: its id. */
  label?: string | undefined;
  /** The credential's own engine (its key, its region). */
  engine: Engine;
  /** The credential's key, redacted from every error its engine throws. */
  secret?: string | undefined;
  /** The guard of the credential's engine: the channel's, with the credential's `maxConcurrent` when it sets one. */
  guard: GuardOptions;
  qps?: number | null | undefined;
  clock: Clock;
  metrics?: ServiceMetrics | undefined;
  /** How QPS waits sleep (tests). */
  sleep?: Sleep | undefined;
}

/** Why a slot is out of rotation automatically: for every model, or (a model not opened on the account) for one model's family. */
export interface SlotDisable extends AccountErrorInfo {
  /** The model of the call that failed (null or absent: unknown). */
  model?: string | null | undefined;
}

const familyOf = (model: string) => findModel(model)?.family ?? model;

/** Whether a disable keeps a credential from serving `model` (any model, when none is named). */
function excludes(disable: SlotDisable, model: string | undefined): boolean {
  // A model not opened on the account leaves the account to every other model.
  if (disable.kind !== 'model_not_open' || disable.model === null || disable.model === undefined) return true;
  return model !== undefined && familyOf(model) === familyOf(disable.model);
}

/** What the catalog says of a credential, applied to its slot at each reload. */
export interface SlotState {
  /** Share of the channel's calls among its usable credentials. */
  weight?: number | undefined;
  /** The operator's switch. */
  enabled?: boolean | undefined;
  /** Set while automatically disabled. */
  disabled?: SlotDisable | null | undefined;
}

/** The engine with each start taking a QPS token first. */
function pacedEngine(engine: Engine, bucket: QpsBucket): Engine {
  return {
    name: engine.name,
    type: engine.type,
    capabilities: engine.capabilities,
    start: async (call) => {
      await bucket.take(call.signal);
      return engine.start(call);
    },
    poll: (operation, call) => engine.poll(operation, call),
    cancel: (operation, call) => engine.cancel(operation, call),
    close: async () => engine.close?.(),
  };
}

export class CredentialSlot {
  readonly id: string | null;
  readonly label: string;
  readonly engine: GuardedEngine;
  readonly stats: CallStats;
  /** The credential's engine without the guard, its key redacted from its errors. */
  readonly upstream: Engine;
  private readonly bucket: QpsBucket | null;
  private weightOf = 1;
  private enabled = true;
  private disabledBy: SlotDisable | null = null;
  /** Calls through this slot not yet finished (waiting for a QPS token included). */
  private active = 0;
  private idle: Array<() => void> = [];

  constructor(private readonly options: CredentialSlotOptions) {
    this.id = options.id;
    this.label = options.label ?? options.id ?? options.engine.name;
    this.upstream = redactingEngine(options.engine, options.secret);
    this.bucket = options.qps === null || options.qps === undefined ? null : new QpsBucket(options.qps, options.clock, options.sleep);
    // The QPS token is taken inside the guard, once the call holds its concurrency slot: calls that
    // waited for one would otherwise start together, above the QPS.
    const paced = this.bucket ? pacedEngine(this.upstream, this.bucket) : this.upstream;
    this.engine = new GuardedEngine(paced, options.guard, options.clock, options.metrics ?? NO_METRICS);
    this.stats = new CallStats(options.clock);
  }

  get weight(): number {
    return this.weightOf;
  }

  /**
   * In rotation for `model` (without one: for some model): enabled by the operator and not
   * automatically disabled for it (a keyless slot always is).
   */
  usable(model?: string): boolean {
    if (this.id === null) return true;
    if (!this.enabled) return false;
    return this.disabledBy === null || !excludes(this.disabledBy, model);
  }

  /** Why it is out of rotation automatically (for every model, or for one model's family), if it is. */
  get disabled(): SlotDisable | null {
    return this.disabledBy;
  }

  /** The catalog's state of the credential (at a reload, after a re-test or an operator's change); what is left out stays. */
  update(state: SlotState): void {
    if (state.weight !== undefined) this.weightOf = state.weight;
    if (state.enabled !== undefined) this.enabled = state.enabled;
    if (state.disabled !== undefined) {
      const disabled = state.disabled;
      this.disabledBy = disabled === null ? null : { kind: disabled.kind, code: disabled.code, reason: disabled.reason, model: disabled.model ?? null };
    }
  }

  /** Out of rotation on this node at once, after an account error (of a call for `failure.model`). */
  markDisabled(failure: SlotDisable): void {
    this.disabledBy = failure;
  }

  /** Resolves once no call runs through the slot (a slot a reload dropped is closed then). */
  drained(): Promise<void> {
    if (this.active === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
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

  start(call: EngineCall): Promise<EngineResult> {
    return this.tracked(() => this.timed(call, () => this.engine.start(call)));
  }

  poll(operation: JsonValue, call: EngineCall): Promise<EngineResult> {
    return this.tracked(() => this.timed(call, () => this.engine.poll(operation, call)));
  }

  cancel(operation: JsonValue, call: EngineCall): Promise<void> {
    return this.tracked(() => this.engine.cancel(operation, call));
  }

  close(): Promise<void> {
    return this.engine.close();
  }

  health(): CredentialHealthView {
    const guard = this.engine.health();
    return { state: guard.state, inFlight: guard.inFlight, waiting: guard.waiting, ...this.stats.figures() };
  }

  private async tracked<T>(run: () => Promise<T>): Promise<T> {
    this.active += 1;
    try {
      return await run();
    } finally {
      this.active -= 1;
      if (this.active === 0) for (const wake of this.idle.splice(0)) wake();
    }
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
