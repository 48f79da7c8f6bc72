/**
 * Which engines serve a model, in failover order, from the config's routes. Every engine is
 * guarded (concurrency limit, circuit breaker); an engine whose circuit is open is still listed —
 * it refuses at once and the runner fails over — so a probe can close it again.
 */
import type { ModelSpec } from '../domain/models.js';
import { servesModel } from '../engines/engine.js';
import type { EngineHealth, GuardedEngine } from './engine-guard.js';

export class EngineRouter {
  constructor(
    private readonly engines: ReadonlyMap<string, GuardedEngine>,
    private readonly routes: Readonly<Record<string, readonly string[]>>,
  ) {}

  /** The route of a model: its own entry, else its family's, else "*"; engines that cannot serve it left out. */
  route(model: ModelSpec): GuardedEngine[] {
    const names = this.routes[model.id] ?? this.routes[model.family] ?? this.routes['*'] ?? [];
    return names
      .map((name) => this.engines.get(name))
      .filter((engine): engine is GuardedEngine => engine !== undefined && servesModel(engine, model.id, model.family));
  }

  get(name: string): GuardedEngine | undefined {
    return this.engines.get(name);
  }

  health(): EngineHealth[] {
    return [...this.engines.values()].map((engine) => engine.health());
  }
}
