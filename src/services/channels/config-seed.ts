/**
 * The config file as the catalog's seed (decision 0011): each of its items — a channel, a route,
 * the prices — is applied when its text changed since it was last applied, so a change made at
 * runtime lasts until the config file's own entry changes. An item's hash covers its whole text,
 * keys included; only the hash is stored.
 */
import { createHash } from 'node:crypto';
import type { AuditDraft, CatalogContent, ChannelRecord, CredentialRecord, PriceSettings, RouteEntry } from '../../domain/channels.js';
import type { EngineConfig } from '../../engines/options.js';
import { credentialRecord, redactChannel, splitEngineConfig } from './records.js';

/** What the config file says of the catalog. */
export interface CatalogSeed {
  engines: Readonly<Record<string, EngineConfig>>;
  routes: Readonly<Record<string, readonly RouteEntry[]>>;
  prices: PriceSettings;
}

export const SEED_ACTOR = 'config file';

/** JSON with object keys sorted, so the hash does not depend on the file's key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

const hashOf = (value: unknown) => createHash('sha256').update(canonical(value)).digest('hex').slice(0, 32);

/**
 * A config engine as a channel: its key(s) become credentials referring back to the file. Over an
 * existing channel, the file gives the engine options, cost, test mode and its own keys; what the
 * console added stays — the keys entered there (stored encrypted) and the channel's switch — and a
 * key still in the file keeps its disable state.
 */
export function channelFromConfig(name: string, config: EngineConfig, now: number, existing?: ChannelRecord): ChannelRecord {
  const { engine, keys, cost, test } = splitEngineConfig(name, config);
  const fromFile: CredentialRecord[] = keys.map((key, index) => {
    const before = existing?.credentials.find((c) => c.id === key.id && c.secret.source === 'config');
    const identity = { id: key.id, label: key.label ?? (keys.length === 1 ? 'config' : `config #${index + 1}`), last4: key.last4, secret: { source: 'config' as const, path: key.path } };
    return credentialRecord(identity, key, now, before);
  });
  const entered = (existing?.credentials ?? []).filter((c) => c.secret.source === 'stored');
  return {
    name,
    engine,
    enabled: existing?.enabled ?? true,
    cost: cost ?? {},
    test: test ?? 'query',
    credentials: [...fromFile, ...entered],
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
  };
}

/** The catalog with every changed config item applied, and the audit of what changed; null when nothing did. */
export function applySeed(current: CatalogContent, seed: CatalogSeed, now: number): { content: CatalogContent; audit: AuditDraft[] } | null {
  const seeds: Record<string, string> = { ...current.seeds };
  const channels = [...current.channels];
  const routes: Record<string, readonly RouteEntry[]> = { ...current.routes };
  let prices = current.prices;
  const audit: AuditDraft[] = [];

  for (const [name, config] of Object.entries(seed.engines)) {
    const key = `channel:${name}`;
    const hash = hashOf(config);
    if (seeds[key] === hash) continue;
    seeds[key] = hash;
    const index = channels.findIndex((c) => c.name === name);
    const before = index >= 0 ? channels[index] : undefined;
    const after = channelFromConfig(name, config, now, before);
    if (index >= 0) channels[index] = after;
    else channels.push(after);
    audit.push({ actor: SEED_ACTOR, action: before ? 'channel.update' : 'channel.create', subject: key, before: before ? redactChannel(before) : null, after: redactChannel(after) });
  }
  for (const [model, entries] of Object.entries(seed.routes)) {
    const key = `route:${model}`;
    const hash = hashOf(entries);
    if (seeds[key] === hash) continue;
    seeds[key] = hash;
    audit.push({ actor: SEED_ACTOR, action: 'route.set', subject: key, before: routes[model] ?? null, after: entries });
    routes[model] = entries;
  }
  // A route the file names keeps its channels: one deleted at runtime comes back from the file.
  for (const entries of Object.values(routes)) {
    for (const { channel } of entries) {
      const config = seed.engines[channel];
      if (config === undefined || channels.some((c) => c.name === channel)) continue;
      const after = channelFromConfig(channel, config, now);
      channels.push(after);
      audit.push({ actor: SEED_ACTOR, action: 'channel.create', subject: `channel:${channel}`, before: null, after: redactChannel(after) });
    }
  }
  const pricesHash = hashOf(seed.prices);
  if (seeds.prices !== pricesHash) {
    seeds.prices = pricesHash;
    // Prices of a channel deleted at runtime (and not brought back by a route) have nothing to price.
    const gone = Object.keys(seed.prices.perEngine).filter((name) => !channels.some((c) => c.name === name));
    const perEngine = Object.fromEntries(Object.entries(seed.prices.perEngine).filter(([name]) => !gone.includes(name)));
    const next = { ...seed.prices, perEngine };
    audit.push({ actor: SEED_ACTOR, action: 'prices.set', subject: 'prices', before: prices, after: next });
    if (gone.length > 0) audit.push({ actor: SEED_ACTOR, action: 'seed.skip', subject: 'prices', before: null, after: { perEngine: gone, reason: 'no such channel (deleted at runtime)' } });
    prices = next;
  }
  if (audit.length === 0) return null;
  return { content: { channels, routes, prices, seeds }, audit };
}
