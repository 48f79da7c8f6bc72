/** Which engines serve a model, in failover order, from the config's routes. */
import type { ModelSpec } from '../domain/models.js';
import { servesModel, type Engine } from '../engines/engine.js';

export class EngineRouter {
  constructor(
    private readonly engines: ReadonlyMap<string, Engine>,
    private readonly routes: Readonly<Record<string, readonly string[]>>,
  ) {}

  /** The route of a model: its own entry, else its family's, else "*"; engines that cannot serve it left out. */
  route(model: ModelSpec): Engine[] {
    const names = this.routes[model.id] ?? this.routes[model.family] ?? this.routes['*'] ?? [];
    return names
      .map((name) => this.engines.get(name))
      .filter((engine): engine is Engine => engine !== undefined && servesModel(engine, model.id, model.family));
  }

  get(name: string): Engine | undefined {
    return this.engines.get(name);
  }

  all(): Engine[] {
    return [...this.engines.values()];
  }
}
