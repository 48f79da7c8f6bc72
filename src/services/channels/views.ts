/** The catalog's records as the admin API shows them: keys as their last 4 characters, times as ISO 8601, with this node's health. */
import type { Catalog, ChannelRecord, CredentialRecord } from '../../domain/channels.js';
import type { CatalogView, ChannelView, CredentialHealthView, CredentialView } from './catalog-api.js';
import type { ChannelEngine } from './channel-engine.js';

const iso = (ms: number) => new Date(ms).toISOString();

export const IDLE_HEALTH: CredentialHealthView = { state: 'closed', inFlight: 0, waiting: 0, calls: 0, errors: 0, errorRate: 0, lastError: null, lastLatencyMs: null };

/** Tasks and images by `channel/credential` over a recent window (every node's, from the usage records). */
export type RecentUsage = ReadonlyMap<string, { tasks: number; images: number }>;

const NONE = { tasks: 0, images: 0 };

/** How a report names a credential: its label and key tail, by `channel/credential id`. */
export function credentialNames(channels: readonly Pick<ChannelRecord, 'name' | 'credentials'>[]): Map<string, string> {
  return new Map(channels.flatMap((channel) => channel.credentials.map((c) => [`${channel.name}/${c.id}`, [c.label, c.last4 === '' ? '' : `…${c.last4}`].filter((part) => part !== '').join(' ')] as const)));
}

export function credentialView(credential: CredentialRecord, health: CredentialHealthView | undefined, recent: { tasks: number; images: number } = NONE): CredentialView {
  const { disabled } = credential;
  return {
    id: credential.id,
    label: credential.label,
    key: credential.last4 === '' ? '' : `…${credential.last4}`,
    source: credential.secret.source,
    region: credential.region,
    qps: credential.qps,
    maxConcurrent: credential.maxConcurrent,
    weight: credential.weight,
    cost: credential.cost ? { ...credential.cost } : null,
    enabled: credential.enabled,
    disabled: disabled ? { kind: disabled.kind, code: disabled.code, reason: disabled.reason, model: disabled.model, at: iso(disabled.at), nextTestAt: iso(disabled.nextTestAt), strikes: disabled.strikes } : null,
    usable: credential.enabled && disabled === null,
    health: health ?? IDLE_HEALTH,
    recent: { ...recent },
    createdAt: iso(credential.createdAt),
    updatedAt: iso(credential.updatedAt),
  };
}

/** Sums the credentials' figures; the worst circuit state. */
function channelHealth(credentials: readonly CredentialHealthView[]): CredentialHealthView {
  const sum = (pick: (h: CredentialHealthView) => number) => credentials.reduce((total, h) => total + pick(h), 0);
  const calls = sum((h) => h.calls);
  const errors = sum((h) => h.errors);
  const states = credentials.map((h) => h.state);
  return {
    state: states.length > 0 && states.every((s) => s === 'open') ? 'open' : states.includes('half-open') ? 'half-open' : 'closed',
    inFlight: sum((h) => h.inFlight),
    waiting: sum((h) => h.waiting),
    calls,
    errors,
    errorRate: calls === 0 ? 0 : errors / calls,
    lastError: credentials.find((h) => h.lastError !== null)?.lastError ?? null,
    lastLatencyMs: credentials.find((h) => h.lastLatencyMs !== null)?.lastLatencyMs ?? null,
  };
}

export function channelView(channel: ChannelRecord, catalog: Catalog, running: ChannelEngine | undefined, recent: RecentUsage = new Map()): ChannelView {
  const health = running?.health();
  const byId = new Map((health?.credentials ?? []).map((c) => [c.id, c.health]));
  const credentials = channel.credentials.map((c) => credentialView(c, byId.get(c.id), recent.get(`${channel.name}/${c.id}`)));
  return {
    name: channel.name,
    type: String(channel.engine.type),
    engine: { ...channel.engine },
    enabled: channel.enabled,
    cost: { ...channel.cost },
    test: channel.test,
    models: running ? (running.capabilities.models === '*' ? '*' : [...running.capabilities.models]) : Array.isArray(channel.engine.models) ? channel.engine.models.map(String) : '*',
    usable: running?.usable() ?? false,
    health: channelHealth(health ? health.credentials.map((c) => c.health) : []),
    credentials,
    routes: Object.entries(catalog.routes)
      .filter(([, entries]) => entries.some((e) => e.channel === channel.name))
      .map(([model]) => model),
    createdAt: iso(channel.createdAt),
    updatedAt: iso(channel.updatedAt),
  };
}

export function catalogView(catalog: Catalog, currency: string, running: (name: string) => ChannelEngine | undefined, recent: RecentUsage = new Map()): CatalogView {
  return {
    version: catalog.version,
    currency,
    channels: catalog.channels.map((channel) => channelView(channel, catalog, running(channel.name), recent)),
    routes: Object.fromEntries(Object.entries(catalog.routes).map(([model, entries]) => [model, entries.map((e) => ({ ...e }))])),
    prices: { perImage: { ...catalog.prices.perImage }, perEngine: Object.fromEntries(Object.entries(catalog.prices.perEngine).map(([k, v]) => [k, { ...v }])) },
  };
}

/**
 * Every credential out of rotation after an account error, for /readyz — which answers anyone:
 * ids and codes only, never a label, key tail or the upstream's message (it may echo the key).
 */
export function disabledCredentials(catalog: Catalog): Array<{ channel: string; credential: string; kind: string; code: string; since: string; nextTestAt: string }> {
  return catalog.channels.flatMap((channel) =>
    channel.credentials.flatMap((credential) => {
      const { disabled } = credential;
      if (!disabled) return [];
      return [{ channel: channel.name, credential: credential.id, kind: disabled.kind, code: disabled.code, since: iso(disabled.at), nextTestAt: iso(disabled.nextTestAt) }];
    }),
  );
}
