/**
 * A channel as the router sees it: one engine over the channel's credentials. Each start picks a
 * usable credential by weight, preferring one that can start at once; an account error takes the
 * credential out of rotation at once (a model not opened on the account: for that model's family
 * only), tells the catalog, and moves the same call to another.
 * Pending operations remember their credential, so polls and cancels reach the account that owns
 * the upstream task.
 */
import { AppError } from '../../domain/errors.js';
import type { ModelSpec } from '../../domain/models.js';
import type { Engine, EngineCall, EngineCapabilities, EngineResult, JsonValue } from '../../engines/engine.js';
import type { Clock } from '../../lib/clock.js';
import type { EngineHealth, GuardOptions } from '../engine-guard.js';
import { accountErrorOf, type AccountErrorInfo } from './account-errors.js';
import type { ChannelTestResult, CredentialHealthView } from './catalog-api.js';
import { testSlot } from './channel-test.js';
import type { CredentialSlot } from './credential-slot.js';
import { pickWeighted, type Random } from './selection.js';

/** An account error of a call, with the model it was for (what the catalog records of a disable). */
export interface AccountFailure extends AccountErrorInfo {
  model: string;
}

export { CredentialSlot } from './credential-slot.js';

export interface ChannelEngineOptions {
  name: string;
  type: string;
  enabled: boolean;
  /** The channel's guard (its circuit settings, outputs and default concurrency); default: its first slot's. */
  guard?: GuardOptions | undefined;
  /** Empty only while a keyed channel has no credentials; a keyless channel has one slot of id null. */
  slots: readonly CredentialSlot[];
  clock: Clock;
  random?: Random | undefined;
  /** A credential just hit an account error (once per disable on this node). */
  onAccountError?: ((credentialId: string, failure: AccountFailure) => void) | undefined;
}

export interface ChannelHealth extends EngineHealth {
  usable: boolean;
  /** The channel's credentials on this node (a keyless channel has none). */
  credentials: Array<{ id: string; health: CredentialHealthView }>;
  /** Sums over every slot. */
  summary: CredentialHealthView;
}

const NO_CAPABILITIES: EngineCapabilities = { models: [], maxImagesPerCall: 1, watermark: false, negativePrompt: false, promptExtend: false, seed: false, cancelRunning: false };

function isCredentialHandle(value: JsonValue): value is { qigCredential: string; operation: JsonValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && typeof value.qigCredential === 'string' && 'operation' in value;
}

export class ChannelEngine implements Engine {
  readonly name: string;
  readonly type: string;
  readonly enabled: boolean;
  readonly capabilities: EngineCapabilities;
  readonly slots: readonly CredentialSlot[];
  private readonly random: Random;

  constructor(private readonly options: ChannelEngineOptions) {
    this.name = options.name;
    this.type = options.type;
    this.enabled = options.enabled;
    this.slots = options.slots;
    this.capabilities = options.slots[0]?.upstream.capabilities ?? NO_CAPABILITIES;
    this.random = options.random ?? Math.random;
  }

  /** Whether its images are handed out as the upstream's URLs. */
  get outputs(): GuardOptions['outputs'] {
    return (this.options.guard ?? this.slots[0]?.engine.options)?.outputs ?? 'rehost';
  }

  /** Whether a call (of `model`, when named) could be placed now: enabled, with a credential in rotation for it (or keyless). */
  usable(model?: string): boolean {
    return this.enabled && this.slots.some((slot) => slot.usable(model));
  }

  slot(credentialId: string | null): CredentialSlot | undefined {
    return this.slots.find((slot) => slot.id === credentialId);
  }

  async start(call: EngineCall): Promise<EngineResult> {
    if (!this.enabled) throw new AppError('engine_unavailable', `Channel ${this.name} is switched off.`, { retryable: false });
    const tried = new Set<CredentialSlot>();
    for (;;) {
      const slot = this.pick(call.model, tried);
      if (!slot) throw this.exhausted();
      tried.add(slot);
      try {
        return this.attributed(slot, await slot.start(call));
      } catch (error) {
        // An account error moves the call to another credential; anything else is the runner's.
        if (!this.disableOnAccountError(slot, error, call.model)) throw error;
        call.log(`channel ${this.name}: an upstream account failed (${slot.disabled?.kind ?? 'account error'}); trying another`);
      }
    }
  }

  async poll(operation: JsonValue, call: EngineCall): Promise<EngineResult> {
    const { slot, inner } = this.owner(operation);
    try {
      return this.attributed(slot, await slot.poll(inner, call));
    } catch (error) {
      this.disableOnAccountError(slot, error, call.model);
      throw error;
    }
  }

  cancel(operation: JsonValue, call: EngineCall): Promise<void> {
    const { slot, inner } = this.owner(operation);
    return slot.cancel(inner, call);
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.map((slot) => slot.close()));
  }

  /**
   * A real request through one credential (or the one a call would take), its latency measured:
   * the engine's cheap authenticated query, or a one-image task (`task`, or no query to make).
   */
  async test(credentialId: string | null, mode: 'query' | 'task', model: ModelSpec, signal: AbortSignal): Promise<ChannelTestResult & { failure: AccountErrorInfo | null }> {
    const slot = credentialId === null ? (this.pick(model.id) ?? this.slots[0]) : this.slot(credentialId);
    if (!slot) {
      const error = new AppError('not_found', credentialId === null ? `Channel ${this.name} has no credentials.` : `Channel ${this.name} has no credential ${credentialId}.`);
      return { ok: false, channel: this.name, credential: credentialId, model: model.id, mode, latencyMs: 0, answer: null, error: { code: error.kind, message: error.message }, failure: null };
    }
    return { channel: this.name, ...(await testSlot(slot, mode, model, signal, this.options.clock)) };
  }

  health(): ChannelHealth {
    const guards = this.slots.map((slot) => ({ slot, guard: slot.engine.health() }));
    const inRotation = guards.filter(({ slot }) => slot.usable());
    const considered = (inRotation.length > 0 ? inRotation : guards).map(({ guard }) => guard);
    const state = considered.some((g) => g.state === 'closed') ? 'closed' : considered.some((g) => g.state === 'half-open') ? 'half-open' : considered.length > 0 ? 'open' : 'closed';
    const retryAts = considered.flatMap((g) => (g.retryAt === null ? [] : [g.retryAt]));
    const credentials = this.slots.flatMap((slot) => (slot.id === null ? [] : [{ id: slot.id, health: slot.health() }]));
    return {
      name: this.name,
      type: this.type,
      models: this.capabilities.models,
      state,
      consecutiveFailures: considered.length > 0 ? Math.min(...considered.map((g) => g.consecutiveFailures)) : 0,
      retryAt: state === 'open' && retryAts.length > 0 ? Math.min(...retryAts) : null,
      inFlight: guards.reduce((sum, { guard }) => sum + guard.inFlight, 0),
      waiting: guards.reduce((sum, { guard }) => sum + guard.waiting, 0),
      maxConcurrent: guards.length > 0 && guards.every(({ guard }) => guard.maxConcurrent !== null) ? guards.reduce((sum, { guard }) => sum + (guard.maxConcurrent ?? 0), 0) : null,
      outputs: this.outputs,
      usable: this.usable(),
      credentials,
      summary: sumHealth(this.slots.map((slot) => slot.health()), state),
    };
  }

  /** A credential usable for `model` by weight: among those that can start at once, else those whose circuit lets calls through, else any. */
  private pick(model: string, tried?: ReadonlySet<CredentialSlot>): CredentialSlot | undefined {
    const usable = this.slots.filter((slot) => slot.usable(model) && !tried?.has(slot));
    if (usable.length <= 1) return usable[0];
    const ready = usable.filter((slot) => slot.ready());
    const open = ready.length > 0 ? ready : usable.filter((slot) => !slot.refusing());
    return pickWeighted(open.length > 0 ? open : usable, (slot) => slot.weight, this.random);
  }

  /** The result with the credential that made it: on the images, or in the pending operation's handle. */
  private attributed(slot: CredentialSlot, result: EngineResult): EngineResult {
    if (slot.id === null) return result;
    if (result.status === 'done') return { ...result, credential: slot.id };
    // The pending operation's handle names the credential that started it.
    return { ...result, operation: { qigCredential: slot.id, operation: result.operation } };
  }

  /** The slot that owns an operation (a handle from before channels belongs to the first). */
  private owner(operation: JsonValue): { slot: CredentialSlot; inner: JsonValue } {
    if (!isCredentialHandle(operation)) {
      const first = this.slots[0];
      if (!first) throw new AppError('engine_unavailable', `Channel ${this.name} has no credentials to reach its upstream operation.`, { retryable: false });
      return { slot: first, inner: operation };
    }
    const slot = this.slot(operation.qigCredential);
    if (!slot) {
      throw new AppError('engine_unavailable', `The upstream account of channel ${this.name} that started this operation is no longer configured.`, { retryable: false });
    }
    return { slot, inner: operation.operation };
  }

  /**
   * Takes the slot out of rotation after an account error (telling the catalog once); false for
   * any other error. A model not opened takes it out for that model's family only; an error of the
   * account itself then takes it out for every model. A second family not opened leaves the first
   * disable as it is (its calls move on at each failure).
   */
  private disableOnAccountError(slot: CredentialSlot, error: unknown, model: string): boolean {
    if (slot.id === null) return false;
    const failure = accountErrorOf(error);
    if (!failure) return false;
    const current = slot.disabled;
    const widens = current !== null && failure.kind !== 'model_not_open' && slot.usable();
    if (current === null || widens) {
      slot.markDisabled({ ...failure, model });
      this.options.onAccountError?.(slot.id, { ...failure, model });
    }
    return true;
  }

  /** No credential left in rotation. Which and why is the console's (clients never see credentials or upstream messages). */
  private exhausted(): AppError {
    if (this.slots.length === 0) return new AppError('engine_unavailable', `Channel ${this.name} has no credentials.`, { retryable: false });
    return new AppError('engine_unavailable', `Channel ${this.name} has no upstream account available right now.`, { retryable: false });
  }
}

function sumHealth(views: readonly CredentialHealthView[], state: CredentialHealthView['state']): CredentialHealthView {
  const calls = views.reduce((sum, v) => sum + v.calls, 0);
  const errors = views.reduce((sum, v) => sum + v.errors, 0);
  return {
    state,
    inFlight: views.reduce((sum, v) => sum + v.inFlight, 0),
    waiting: views.reduce((sum, v) => sum + v.waiting, 0),
    calls,
    errors,
    errorRate: calls === 0 ? 0 : errors / calls,
    lastError: views.find((v) => v.lastError !== null)?.lastError ?? null,
    lastLatencyMs: views.find((v) => v.lastLatencyMs !== null)?.lastLatencyMs ?? null,
  };
}
