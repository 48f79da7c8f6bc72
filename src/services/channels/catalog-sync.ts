/**
 * The catalog as this node knows it, and every change to it: a change reads the stored catalog,
 * decides, checks the rules and saves in one optimistic transaction (a lost race decides again),
 * then this node applies it at once and tells the others through the task-events bus. A node also
 * compares versions every few seconds, so a lost message costs seconds, not a stale catalog.
 */
import type { AuditDraft, Catalog, CatalogContent } from '../../domain/channels.js';
import { AppError } from '../../domain/errors.js';
import { CATALOG_TOPIC, type TaskEvents } from '../../events/events.js';
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/logger.js';
import type { ChannelStore } from '../../store/ports.js';
import { checkCatalog } from './catalog-rules.js';

/** A decision on the current catalog: the next content and its audit, or null for no change. */
export type Change = (current: Catalog) => { content: CatalogContent; audit: AuditDraft[] } | null;

const MAX_RACES = 8;

export class CatalogSync {
  private stopPolling: (() => void) | null = null;
  private stopListening: (() => void) | null = null;
  private refreshing: Promise<void> | null = null;

  constructor(
    private readonly store: ChannelStore,
    private readonly events: TaskEvents,
    /** Applies a catalog to this node (ignores one not newer than what runs). */
    private readonly apply: (catalog: Catalog) => void,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /** Loads and applies the stored catalog, then follows changes: the bus, and a version check every `pollMs`. */
  async start(pollMs: number): Promise<void> {
    this.apply(await this.store.load());
    this.stopListening = this.events.subscribe(CATALOG_TOPIC, (event) => {
      if (event.type === 'catalog') this.refresh();
    });
    const timer = setInterval(() => this.refresh(), pollMs);
    timer.unref();
    this.stopPolling = () => clearInterval(timer);
  }

  stop(): void {
    this.stopPolling?.();
    this.stopListening?.();
  }

  /** Reloads if the stored version is not the one applied (one reload at a time). */
  refresh(): void {
    if (this.refreshing) return;
    this.refreshing = this.store
      .load()
      .then((catalog) => this.apply(catalog))
      .catch((error: unknown) => this.logger.warn({ err: error }, 'reloading the channel catalog failed; retrying at the next check'))
      .finally(() => (this.refreshing = null));
  }

  /** Decides and saves a change (see Change); the saved catalog, or the current one when nothing changed. */
  async change(decide: Change): Promise<Catalog> {
    for (let race = 0; race < MAX_RACES; race += 1) {
      const current = await this.store.load();
      const next = decide(current);
      if (next === null) {
        this.apply(current);
        return current;
      }
      checkCatalog(next.content);
      const version = await this.store.save(next.content, current.version, next.audit, this.clock.now());
      if (version === null) continue;
      const saved: Catalog = { ...next.content, version };
      this.apply(saved);
      await this.events.publish({ type: 'catalog', taskId: CATALOG_TOPIC, version, at: this.clock.now() });
      return saved;
    }
    throw new AppError('conflict', 'The channel catalog kept changing under this edit; try again.');
  }
}
