/**
 * Which channels serve a model, in the order a task tries them (decision 0011): the model's route
 * (its own entry, else its family's, else "*"), grouped by priority, higher first, in weighted
 * random order within a priority, seeded by the task id so a resumed task sees the same order.
 * Channels that cannot serve the model, or have no credential in rotation, are left out; one
 * whose circuit is open stays (it refuses at once and the runner fails over, so a probe can close it).
 */
import type { RouteEntry } from '../domain/channels.js';
import type { ModelSpec } from '../domain/models.js';
import { servesModel } from '../engines/engine.js';
import type { ChannelEngine, ChannelHealth } from './channels/channel-engine.js';
import type { EngineHealth } from './engine-guard.js';
import { orderRoute, seededRandom } from './channels/selection.js';

/** A task's channels in the order it tries them; when there is none although channels of the route serve the model, why. */
export type Route = ChannelEngine[] & { unavailable?: string };

export class EngineRouter {
  constructor(
    private readonly channels: ReadonlyMap<string, ChannelEngine>,
    private readonly routes: Readonly<Record<string, readonly RouteEntry[]>>,
  ) {}

  /** The channels a task of `model` tries, in order; the order is the same for the same task id. */
  route(model: ModelSpec, taskId?: string): Route {
    const random = taskId === undefined ? Math.random : seededRandom(taskId);
    const usable = (name: string) => this.serving(name, model)?.usable(model.id) ?? false;
    const route: Route = orderRoute(this.entries(model), usable, random).map((entry) => this.channels.get(entry.channel) as ChannelEngine);
    if (route.length > 0 || !this.entries(model).some((entry) => this.serving(entry.channel, model))) return route;
    route.unavailable = `No channel of the route of ${model.id} is available right now (every upstream account is disabled or switched off).`;
    return route;
  }

  /**
   * The channels of the model's route that serve it, by priority (the hold's price is the dearest
   * of these): those in rotation, or all of them when none is.
   */
  names(model: ModelSpec): string[] {
    const serving = [...this.entries(model)]
      .sort((a, b) => b.priority - a.priority)
      .flatMap((entry) => {
        const channel = this.serving(entry.channel, model);
        return channel ? [channel] : [];
      });
    const usable = serving.filter((channel) => channel.usable(model.id));
    return [...new Set((usable.length > 0 ? usable : serving).map((channel) => channel.name))];
  }

  get(name: string): ChannelEngine | undefined {
    return this.channels.get(name);
  }

  /** Each channel's guard figures as engines always reported them (/readyz, metrics, the admin API document them). */
  health(): EngineHealth[] {
    return this.channelHealth().map(({ usable: _usable, credentials: _credentials, summary: _summary, ...engine }) => engine);
  }

  /** Each channel's figures with its credentials' (the catalog's views). */
  channelHealth(): ChannelHealth[] {
    return [...this.channels.values()].map((channel) => channel.health());
  }

  private entries(model: ModelSpec): readonly RouteEntry[] {
    return this.routes[model.id] ?? this.routes[model.family] ?? this.routes['*'] ?? [];
  }

  private serving(name: string, model: ModelSpec): ChannelEngine | undefined {
    const channel = this.channels.get(name);
    return channel && servesModel(channel, model.id, model.family) ? channel : undefined;
  }
}
