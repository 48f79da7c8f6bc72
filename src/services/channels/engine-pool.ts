/**
 * The engine instances of this node's credentials, apart from the slots built around them: a
 * reload that changes only how a credential is guarded (concurrency, circuit, QPS, weight) builds
 * a new slot around the same engine. An engine the current catalog no longer uses is closed only
 * once every slot built on it has drained and a grace period has passed, since a running task
 * keeps the route it computed at its start and may still call it; a catalog that takes the engine
 * back meanwhile keeps it.
 */
import type { Engine } from '../../engines/engine.js';
import type { Logger } from '../../lib/logger.js';
import type { CredentialSlot } from './credential-slot.js';

/** How long an engine no catalog uses is kept for the runs that still hold it. */
export const RETIRE_GRACE_MS = 10 * 60_000;

interface Pooled {
  engine: Engine;
  /** Every slot built on the engine (each one's calls in flight are awaited before it closes). */
  slots: Set<CredentialSlot>;
  /** Set while retired: the grace period's timer. */
  retiring: ReturnType<typeof setTimeout> | null;
}

export class EnginePool {
  private readonly pooled = new Map<string, Pooled>();

  constructor(
    private readonly logger: Logger,
    private readonly graceMs = RETIRE_GRACE_MS,
  ) {}

  /** The engine of `key`, built by `build` when there is none (one being retired is taken back). */
  engine(key: string, build: () => Engine): Engine {
    const found = this.pooled.get(key);
    if (found) {
      if (found.retiring) clearTimeout(found.retiring);
      found.retiring = null;
      return found.engine;
    }
    const engine = build();
    this.pooled.set(key, { engine, slots: new Set(), retiring: null });
    return engine;
  }

  /** A slot that runs its calls on the engine of `key`. */
  attach(key: string, slot: CredentialSlot): void {
    this.pooled.get(key)?.slots.add(slot);
  }

  /** After a reload: every engine whose key the catalog no longer uses is retired. */
  keepOnly(used: ReadonlySet<string>): void {
    for (const [key, entry] of this.pooled) {
      if (used.has(key) || entry.retiring) continue;
      const timer = setTimeout(() => void this.closeRetired(key, entry, timer), this.graceMs);
      timer.unref();
      entry.retiring = timer;
    }
  }

  /** Closes every engine at once (the node is stopping). */
  async close(): Promise<void> {
    const entries = [...this.pooled.values()];
    this.pooled.clear();
    for (const entry of entries) if (entry.retiring) clearTimeout(entry.retiring);
    await Promise.all(entries.map((entry) => this.closeEngine(entry.engine)));
  }

  /** Closes a retired engine once its slots are idle, unless a catalog took it back meanwhile. */
  private async closeRetired(key: string, entry: Pooled, timer: ReturnType<typeof setTimeout>): Promise<void> {
    await Promise.all([...entry.slots].map((slot) => slot.drained()));
    if (entry.retiring !== timer || this.pooled.get(key) !== entry) return;
    this.pooled.delete(key);
    await this.closeEngine(entry.engine);
  }

  private async closeEngine(engine: Engine): Promise<void> {
    try {
      await engine.close?.();
    } catch (error) {
      this.logger.warn({ err: error, engine: engine.name }, 'closing a retired channel engine failed');
    }
  }
}
