/**
 * An in-memory CatalogAdmin for the admin API's and the console's tests: channels with
 * credentials (keys kept as their last 4 only), routes, prices and an audit log, with the
 * service's main refusals (a duplicate name, a channel a route names, an unknown channel in a route).
 * It records every call, and can disable a credential as the auto-disable would.
 */
import { AppError } from '../../src/domain/errors.js';
import type { AuditEntry, DisableKind, PriceSettings, RouteEntry } from '../../src/domain/channels.js';
import type {
  CatalogAdmin,
  CatalogView,
  ChannelInput,
  ChannelPatch,
  ChannelTestResult,
  ChannelView,
  CredentialHealthView,
  CredentialInput,
  CredentialPatch,
  CredentialView,
} from '../../src/services/channels/catalog-api.js';

const T0 = Date.parse('2026-01-05T02:00:00.000Z');

export function idleHealth(): CredentialHealthView {
  return { state: 'closed', inFlight: 0, waiting: 0, calls: 0, errors: 0, errorRate: 0, lastError: null, lastLatencyMs: null };
}

export interface FakeCatalogAdmin extends CatalogAdmin {
  calls: Array<{ method: string; args: unknown[] }>;
  /** Takes a credential out of rotation as an account error would. */
  disable(channel: string, id: string, kind: DisableKind, code: string, reason: string): void;
  /** What the next testChannel answers. */
  nextTest: Partial<ChannelTestResult> | null;
}

export function fakeCatalogAdmin(currency = 'CNY'): FakeCatalogAdmin {
  const channels = new Map<string, ChannelView>();
  const routes = new Map<string, RouteEntry[]>([['*', [{ channel: 'local', priority: 0, weight: 1 }]]]);
  let prices: PriceSettings = { perImage: { '*': '0.20' }, perEngine: {} };
  const audit: AuditEntry[] = [];
  const calls: FakeCatalogAdmin['calls'] = [];
  let version = 1;
  let ids = 0;
  let now = T0;
  const iso = () => new Date((now += 1000)).toISOString();

  const record = (actor: string, action: string, subject: string, before: unknown, after: unknown) => {
    version += 1;
    audit.unshift({ id: audit.length + 1, at: now, actor, action, subject, before, after });
  };
  const channelOf = (name: string) => {
    const channel = channels.get(name);
    if (!channel) throw new AppError('not_found', `No channel "${name}".`);
    return channel;
  };
  const credentialOf = (channel: ChannelView, id: string) => {
    const credential = channel.credentials.find((c) => c.id === id);
    if (!credential) throw new AppError('not_found', `No credential ${id} on channel "${channel.name}".`);
    return credential;
  };
  const routesNaming = (name: string) => [...routes].filter(([, entries]) => entries.some((e) => e.channel === name)).map(([model]) => model);
  const refresh = (channel: ChannelView) => {
    for (const c of channel.credentials) c.usable = c.enabled && c.disabled === null;
    channel.usable = channel.enabled && (channel.credentials.length === 0 || channel.credentials.some((c) => c.usable));
    channel.routes = routesNaming(channel.name);
  };
  const credential = (input: CredentialInput): CredentialView => ({
    id: `cr_${(ids += 1)}`,
    label: input.label ?? '',
    key: `…${input.apiKey.slice(-4)}`,
    source: 'stored',
    region: input.region ?? null,
    qps: input.qps ?? null,
    maxConcurrent: input.maxConcurrent ?? null,
    weight: input.weight ?? 1,
    cost: input.cost ?? null,
    enabled: input.enabled ?? true,
    disabled: null,
    usable: true,
    health: idleHealth(),
    recent: { tasks: 0, images: 0 },
    createdAt: iso(),
    updatedAt: iso(),
  });
  const addChannel = (input: ChannelInput): ChannelView => {
    const type = input.engine.type;
    if (typeof type !== 'string' || !['local', 'dashscope', 'openai-compatible', 'fal', 'comfyui'].includes(type)) {
      throw new AppError('invalid_parameter', `engine.type: unknown engine type ${JSON.stringify(type)}.`, { field: 'engine.type' });
    }
    const channel: ChannelView = {
      name: input.name,
      type,
      engine: { ...input.engine },
      enabled: input.enabled ?? true,
      cost: input.cost ?? {},
      test: input.test ?? 'query',
      models: Array.isArray(input.engine.models) ? (input.engine.models as string[]) : '*',
      usable: true,
      health: idleHealth(),
      credentials: (input.credentials ?? []).map(credential),
      routes: [],
      createdAt: iso(),
      updatedAt: iso(),
    };
    channels.set(channel.name, channel);
    refresh(channel);
    return channel;
  };
  addChannel({ name: 'local', engine: { type: 'local' } });

  const fake: FakeCatalogAdmin = {
    calls,
    nextTest: null,
    credentialNames() {
      return new Map([...channels.values()].flatMap((channel) => channel.credentials.map((c) => [`${channel.name}/${c.id}`, [c.label, c.key].filter((part) => part !== '').join(' ')] as const)));
    },
    async view(): Promise<CatalogView> {
      calls.push({ method: 'view', args: [] });
      for (const channel of channels.values()) refresh(channel);
      return structuredClone({ version, currency, channels: [...channels.values()], routes: Object.fromEntries(routes), prices });
    },
    async createChannel(input, actor) {
      calls.push({ method: 'createChannel', args: [input, actor] });
      if (channels.has(input.name)) throw new AppError('conflict', `A channel "${input.name}" exists.`, { field: 'name' });
      const channel = addChannel(input);
      record(actor, 'channel.create', `channel:${input.name}`, null, { type: channel.type });
      return structuredClone(channel);
    },
    async updateChannel(name, patch: ChannelPatch, actor) {
      calls.push({ method: 'updateChannel', args: [name, patch, actor] });
      const channel = channelOf(name);
      const before = { enabled: channel.enabled };
      if (patch.engine) channel.engine = { ...patch.engine };
      if (patch.enabled !== undefined) channel.enabled = patch.enabled;
      if (patch.cost) channel.cost = { ...patch.cost };
      if (patch.test) channel.test = patch.test;
      channel.updatedAt = iso();
      refresh(channel);
      record(actor, 'channel.update', `channel:${name}`, before, { enabled: channel.enabled });
      return structuredClone(channel);
    },
    async deleteChannel(name, actor) {
      calls.push({ method: 'deleteChannel', args: [name, actor] });
      channelOf(name);
      const naming = routesNaming(name);
      if (naming.length > 0) throw new AppError('conflict', `Channel "${name}" is in the routes ${naming.join(', ')}: take it out first.`);
      channels.delete(name);
      record(actor, 'channel.delete', `channel:${name}`, { name }, null);
    },
    async addCredential(name, input, actor) {
      calls.push({ method: 'addCredential', args: [name, { ...input, apiKey: `…${input.apiKey.slice(-4)}` }, actor] });
      const channel = channelOf(name);
      const added = credential(input);
      channel.credentials.push(added);
      refresh(channel);
      record(actor, 'credential.add', `credential:${name}/${added.id}`, null, { key: added.key, label: added.label });
      return structuredClone(added);
    },
    async updateCredential(name, id, patch: CredentialPatch, actor) {
      calls.push({ method: 'updateCredential', args: [name, id, patch, actor] });
      const channel = channelOf(name);
      const found = credentialOf(channel, id);
      const before = { enabled: found.enabled, disabled: found.disabled?.code ?? null };
      if (patch.apiKey !== undefined) found.key = `…${patch.apiKey.slice(-4)}`;
      if (patch.label !== undefined) found.label = patch.label;
      if (patch.region !== undefined) found.region = patch.region;
      if (patch.qps !== undefined) found.qps = patch.qps;
      if (patch.maxConcurrent !== undefined) found.maxConcurrent = patch.maxConcurrent;
      if (patch.weight !== undefined) found.weight = patch.weight;
      if (patch.cost !== undefined) found.cost = patch.cost;
      if (patch.enabled !== undefined) found.enabled = patch.enabled;
      if (patch.enabled === true) found.disabled = null;
      found.updatedAt = iso();
      refresh(channel);
      record(actor, patch.enabled === true && before.disabled !== null ? 'credential.enable' : 'credential.update', `credential:${name}/${id}`, before, { enabled: found.enabled });
      return structuredClone(found);
    },
    async removeCredential(name, id, actor) {
      calls.push({ method: 'removeCredential', args: [name, id, actor] });
      const channel = channelOf(name);
      const found = credentialOf(channel, id);
      channel.credentials = channel.credentials.filter((c) => c !== found);
      refresh(channel);
      record(actor, 'credential.remove', `credential:${name}/${id}`, { key: found.key }, null);
    },
    async setRoute(model, entries, actor) {
      calls.push({ method: 'setRoute', args: [model, entries, actor] });
      entries.forEach((entry, i) => {
        if (!channels.has(entry.channel)) throw new AppError('invalid_parameter', `entries[${i}].channel: no channel "${entry.channel}".`, { field: `entries[${i}].channel` });
      });
      const before = routes.get(model) ?? null;
      routes.set(model, entries.map((e) => ({ ...e })));
      record(actor, 'route.set', `route:${model}`, before, entries);
      return structuredClone(entries);
    },
    async deleteRoute(model, actor) {
      calls.push({ method: 'deleteRoute', args: [model, actor] });
      if (!routes.has(model)) throw new AppError('not_found', `No route for "${model}".`);
      const before = routes.get(model);
      routes.delete(model);
      record(actor, 'route.delete', `route:${model}`, before, null);
    },
    async setPrices(next, actor) {
      calls.push({ method: 'setPrices', args: [next, actor] });
      const before = prices;
      prices = structuredClone(next);
      record(actor, 'prices.set', 'prices', before, next);
      return structuredClone(prices);
    },
    async testChannel(name, options) {
      calls.push({ method: 'testChannel', args: [name, options] });
      const channel = channelOf(name);
      const credentialId = options.credential ?? channel.credentials.find((c) => c.usable)?.id ?? null;
      return {
        ok: true,
        channel: name,
        credential: credentialId,
        model: options.model ?? 'qwen-image-edit-plus',
        mode: channel.test,
        latencyMs: 123,
        answer: { images: 0, firstImage: null, warnings: [] },
        error: null,
        ...fake.nextTest,
      };
    },
    async audit(limit, offset, subject) {
      calls.push({ method: 'audit', args: [limit, offset, subject] });
      const matching = audit.filter((entry) => subject === undefined || entry.subject === subject);
      return { entries: structuredClone(matching.slice(offset, offset + limit)), total: matching.length };
    },
    disable(name, id, kind, code, reason) {
      const found = credentialOf(channelOf(name), id);
      found.disabled = { kind, code, reason, model: 'qwen-image-edit-plus', at: new Date(now).toISOString(), nextTestAt: new Date(now + 60_000).toISOString(), strikes: 1 };
      refresh(channelOf(name));
      record('auto-disable', 'credential.disable', `credential:${name}/${id}`, null, { kind, code });
    },
  };
  return fake;
}
