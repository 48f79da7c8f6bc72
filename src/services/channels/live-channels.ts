/**
 * This node's running channels, rebuilt from each catalog version: the router over them, the
 * price list and the upstream costs, swapped in one assignment. A credential whose settings did
 * not change keeps its slot (in-flight calls, circuit, statistics); one whose guard settings
 * changed gets a new slot around the same engine. Engines no longer used are closed by the pool
 * (engine-pool), never under a run that may still call them.
 */
import { createHash } from 'node:crypto';
import type { Catalog, ChannelRecord, CredentialRecord } from '../../domain/channels.js';
import { findModel } from '../../domain/models.js';
import { PriceList, type PricedModel } from '../../domain/prices.js';
import type { Engine } from '../../engines/engine.js';
import type { EngineConfig } from '../../engines/options.js';
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/logger.js';
import type { GuardOptions } from '../engine-guard.js';
import type { ServiceMetrics } from '../metrics.js';
import { EngineRouter } from '../router.js';
import { ChannelEngine, CredentialSlot, type AccountFailure } from './channel-engine.js';
import { CostBook } from './costs.js';
import { EnginePool } from './engine-pool.js';
import { engineConfigFor, KEYED_TYPES } from './records.js';

export interface LiveChannelsDeps {
  /** Builds one engine instance of a channel (engines/registry createEngine). */
  build(name: string, config: EngineConfig): Engine;
  /** Engines by channel name replacing what the catalog would build (tests). */
  injected?: ReadonlyMap<string, Engine> | undefined;
  /** A credential's key in clear (the config file's, or decrypted); throws when it cannot be read. */
  secretOf(credential: CredentialRecord): string;
  onAccountError(channel: string, credentialId: string, failure: AccountFailure): void;
  currency: string;
  clock: Clock;
  metrics: ServiceMetrics;
  logger: Logger;
}

interface Running {
  version: number;
  catalog: Catalog;
  router: EngineRouter;
  prices: PriceList;
  costs: CostBook;
}

function guardOptions(engine: Readonly<Record<string, unknown>>): GuardOptions {
  const circuit = (engine.circuit ?? {}) as { failures?: number; openSeconds?: number };
  return {
    maxConcurrent: typeof engine.maxConcurrent === 'number' ? engine.maxConcurrent : null,
    failureThreshold: circuit.failures ?? 5,
    openMs: (circuit.openSeconds ?? 30) * 1000,
    outputs: engine.outputs === 'passthrough' ? 'passthrough' : 'rehost',
  };
}

const digest = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('hex');

/** An engine's options without those only its guard reads: a change of these keeps the engine. */
function engineOnly(config: EngineConfig | null): Record<string, unknown> | null {
  if (config === null) return null;
  const { maxConcurrent: _maxConcurrent, circuit: _circuit, outputs: _outputs, ...engine } = config as Record<string, unknown>;
  return engine;
}

export class LiveChannels {
  private running: Running | null = null;
  /** Slots by credential (or keyless channel), with the fingerprint of what built them. */
  private slots = new Map<string, { fingerprint: string; slot: CredentialSlot }>();
  private readonly engines: EnginePool;

  constructor(private readonly deps: LiveChannelsDeps) {
    this.engines = new EnginePool(deps.logger);
  }

  get version(): number {
    return this.running?.version ?? -1;
  }

  get catalog(): Catalog {
    return this.current().catalog;
  }

  get router(): EngineRouter {
    return this.current().router;
  }

  get prices(): PriceList {
    return this.current().prices;
  }

  /** The upstream cost of one image of `model` made by `channel` through `credential`, in micros. */
  unitCost(model: string, channel: string | null, credential: string | null): number {
    const priced: PricedModel = findModel(model) ?? { id: model, family: model };
    return this.current().costs.unitCost(priced, channel, credential);
  }

  /** Rebuilds from a catalog newer than the running one (an older or equal one is ignored). */
  apply(catalog: Catalog): void {
    if (this.running && catalog.version <= this.running.version) return;
    const kept = new Map<string, { fingerprint: string; slot: CredentialSlot }>();
    const used = new Set<string>();
    const channels = new Map<string, ChannelEngine>();
    for (const record of catalog.channels) {
      const engine = this.channelEngine(record, kept, used);
      if (engine) channels.set(record.name, engine);
    }
    const engineTypes = Object.fromEntries([...channels].map(([name, engine]) => [name, engine.type]));
    const running: Running = {
      version: catalog.version,
      catalog,
      router: new EngineRouter(channels, catalog.routes),
      prices: new PriceList(this.deps.currency, catalog.prices.perImage, { perEngine: catalog.prices.perEngine, engineTypes }),
      costs: new CostBook(catalog.channels),
    };
    this.slots = kept;
    this.running = running;
    this.engines.keepOnly(used);
  }

  async close(): Promise<void> {
    this.slots.clear();
    await this.engines.close();
  }

  private current(): Running {
    if (!this.running) throw new Error('the channels are not loaded yet');
    return this.running;
  }

  private channelEngine(record: ChannelRecord, kept: Map<string, { fingerprint: string; slot: CredentialSlot }>, used: Set<string>): ChannelEngine | null {
    const guard = guardOptions(record.engine);
    const injected = this.deps.injected?.get(record.name);
    const slots: CredentialSlot[] = [];
    // Keyless channels (and injected engines) run one slot; keyed ones a slot per credential.
    const type = injected?.type ?? String(record.engine.type);
    // A keyed channel without a credential cannot call its upstream: it is shown, never routed to.
    if (!injected && KEYED_TYPES.has(type) && record.credentials.length === 0) return null;
    const credentials: Array<CredentialRecord | null> = injected || record.credentials.length === 0 ? [null] : record.credentials;
    for (const credential of credentials) {
      const key = `${record.name}\u0000${credential?.id ?? ''}`;
      try {
        const secret = credential && !injected ? this.deps.secretOf(credential) : null;
        const config = injected ? null : engineConfigFor(record, credential, secret);
        const maxConcurrent = credential?.maxConcurrent ?? guard.maxConcurrent;
        const engineKey = digest([key, engineOnly(config), injected ? 'injected' : '', secret === null ? '' : digest(secret)]);
        const fingerprint = digest([engineKey, credential?.qps ?? null, maxConcurrent, guard]);
        const reused = this.slots.get(key);
        let slot = reused?.fingerprint === fingerprint ? reused.slot : null;
        if (!slot) {
          slot = new CredentialSlot({
            id: credential?.id ?? null,
            engine: this.engines.engine(engineKey, () => injected ?? this.deps.build(record.name, config as EngineConfig)),
            secret: secret ?? undefined,
            guard: { ...guard, maxConcurrent },
            qps: credential?.qps ?? null,
            clock: this.deps.clock,
            metrics: this.deps.metrics,
          });
          this.engines.attach(engineKey, slot);
        }
        slot.update({ weight: credential?.weight ?? 1, enabled: credential?.enabled ?? true, disabled: credential?.disabled ?? null });
        used.add(engineKey);
        kept.set(key, { fingerprint, slot });
        slots.push(slot);
      } catch (error) {
        this.deps.logger.error({ err: error, channel: record.name, credential: credential?.id }, `channel ${record.name}: credential ${credential?.id ?? ''} cannot be used`);
      }
    }
    if (slots.length === 0) return null;
    return new ChannelEngine({
      name: record.name,
      type,
      enabled: record.enabled,
      slots,
      onAccountError: (credentialId, failure) => this.deps.onAccountError(record.name, credentialId, failure),
      clock: this.deps.clock,
    });
  }
}
