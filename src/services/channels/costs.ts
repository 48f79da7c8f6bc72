/**
 * Upstream costs: what one image costs us at the upstream, by the channel's cost table or the
 * credential's own (an account on another plan), by model id, then family, then "*"; 0 when
 * neither says. Tables were validated on save, so every amount parses.
 */
import type { ChannelRecord } from '../../domain/channels.js';
import { parsePrice, type PricedModel } from '../../domain/prices.js';

type Table = ReadonlyMap<string, number>;

function table(amounts: Readonly<Record<string, string>>): Table {
  return new Map(Object.entries(amounts).map(([key, text]) => [key, parsePrice(text) ?? 0]));
}

const lookup = (prices: Table, model: PricedModel) => prices.get(model.id) ?? prices.get(model.family) ?? prices.get('*');

export class CostBook {
  private readonly channels = new Map<string, Table>();
  private readonly credentials = new Map<string, Table>();

  constructor(records: readonly ChannelRecord[]) {
    for (const channel of records) {
      this.channels.set(channel.name, table(channel.cost));
      for (const credential of channel.credentials) if (credential.cost) this.credentials.set(credential.id, table(credential.cost));
    }
  }

  /** Micros per image; a credential's table wins over its channel's for the models it names. */
  unitCost(model: PricedModel, channel: string | null, credential: string | null): number {
    const own = credential === null ? undefined : this.credentials.get(credential);
    const fromCredential = own === undefined ? undefined : lookup(own, model);
    if (fromCredential !== undefined) return fromCredential;
    const shared = channel === null ? undefined : this.channels.get(channel);
    return (shared === undefined ? undefined : lookup(shared, model)) ?? 0;
  }
}
