/**
 * The operator's changes to channels, credentials, routes and prices (the admin API and console),
 * each decided on the stored catalog, checked by the config's rules, audited and applied on every
 * node (catalog-store.ts). Keys entered here are encrypted before they are stored and never shown
 * again beyond their last 4 characters.
 */
import { randomBytes } from 'node:crypto';
import type { Catalog, CatalogContent, ChannelRecord, CredentialRecord, PriceSettings, RouteEntry } from '../../domain/channels.js';
import { AppError } from '../../domain/errors.js';
import { findModel, listModels } from '../../domain/models.js';
import type { Clock } from '../../lib/clock.js';
import { last4, type SecretBox } from '../../lib/secret-box.js';
import type { ChannelStore, MarginRow, TaskStore } from '../../store/ports.js';
import type { Actor, CatalogAdmin, CatalogView, ChannelInput, ChannelPatch, ChannelTestResult, ChannelView, CredentialInput, CredentialPatch, CredentialView } from './catalog-api.js';
import type { CatalogSync } from './catalog-sync.js';
import type { LiveChannels } from './live-channels.js';
import { credentialRecord, redactChannel, redactCredential } from './records.js';
import { catalogView, channelView, credentialNames, credentialView, type RecentUsage } from './views.js';

export interface CatalogServiceDeps {
  store: ChannelStore;
  /** Counts the tasks still running on a channel or credential (a delete waits for them). */
  tasks: Pick<TaskStore, 'countRunningOn'>;
  sync: CatalogSync;
  live: LiveChannels;
  /** Encrypts keys entered here; null when none is configured (then they are refused). */
  secrets: SecretBox | null;
  currency: string;
  clock: Clock;
  /** Usage grouped by channel and credential since a time (the ledger's margins), for each credential's recent figures. */
  usageSince(from: number): Promise<MarginRow[]>;
}

const RECENT_MS = 24 * 3_600_000;

const TEST_TIMEOUT_MS = 150_000;

function notFound(what: string): AppError {
  return new AppError('not_found', `${what} does not exist.`);
}

function channelOf(content: CatalogContent, name: string): ChannelRecord {
  const channel = content.channels.find((c) => c.name === name);
  if (!channel) throw notFound(`Channel "${name}"`);
  return channel;
}

function credentialOf(channel: ChannelRecord, id: string): CredentialRecord {
  const credential = channel.credentials.find((c) => c.id === id);
  if (!credential) throw notFound(`Credential "${id}" of channel "${channel.name}"`);
  return credential;
}

/** The catalog with one channel replaced (or removed when `next` is null). */
function withChannel(content: CatalogContent, name: string, next: ChannelRecord | null): CatalogContent {
  const channels = next === null ? content.channels.filter((c) => c.name !== name) : content.channels.map((c) => (c.name === name ? next : c));
  return { ...content, channels };
}

export class CatalogService implements CatalogAdmin {
  constructor(private readonly deps: CatalogServiceDeps) {}

  async view(): Promise<CatalogView> {
    return catalogView(this.deps.live.catalog, this.deps.currency, (name) => this.deps.live.router.get(name), await this.recentUsage());
  }

  /** Every node's last 24 hours by credential (a task split across credentials, "x+y", is left out). */
  private async recentUsage(): Promise<RecentUsage> {
    const rows = await this.deps.usageSince(this.deps.clock.now() - RECENT_MS);
    return new Map(rows.filter((row) => row.credential && !row.credential.includes('+')).map((row) => [`${row.channel ?? ''}/${row.credential ?? ''}`, { tasks: row.tasks, images: row.images }]));
  }

  async createChannel(input: ChannelInput, actor: Actor): Promise<ChannelView> {
    const now = this.deps.clock.now();
    const saved = await this.deps.sync.change((current) => {
      if (current.channels.some((c) => c.name === input.name)) throw new AppError('conflict', `A channel named "${input.name}" exists.`, { field: 'name' });
      const channel: ChannelRecord = {
        name: input.name,
        engine: { ...input.engine },
        enabled: input.enabled ?? true,
        cost: input.cost ?? {},
        test: input.test ?? 'query',
        credentials: (input.credentials ?? []).map((credential) => this.newCredential(credential, now)),
        createdAt: now,
        updatedAt: now,
      };
      return { content: { ...current, channels: [...current.channels, channel] }, audit: [{ actor, action: 'channel.create', subject: `channel:${input.name}`, before: null, after: redactChannel(channel) }] };
    });
    return this.channelViewOf(saved, input.name);
  }

  async updateChannel(name: string, patch: ChannelPatch, actor: Actor): Promise<ChannelView> {
    const saved = await this.deps.sync.change((current) => {
      const before = channelOf(current, name);
      const after: ChannelRecord = {
        ...before,
        ...(patch.engine === undefined ? {} : { engine: { ...patch.engine } }),
        ...(patch.enabled === undefined ? {} : { enabled: patch.enabled }),
        ...(patch.cost === undefined ? {} : { cost: patch.cost }),
        ...(patch.test === undefined ? {} : { test: patch.test }),
        updatedAt: this.deps.clock.now(),
      };
      return { content: withChannel(current, name, after), audit: [{ actor, action: 'channel.update', subject: `channel:${name}`, before: redactChannel(before), after: redactChannel(after) }] };
    });
    return this.channelViewOf(saved, name);
  }

  async deleteChannel(name: string, actor: Actor): Promise<void> {
    this.refuseWhileRunning(`Channel "${name}"`, await this.deps.tasks.countRunningOn(name));
    await this.deps.sync.change((current) => {
      const before = channelOf(current, name);
      const routes = Object.entries(current.routes).filter(([, entries]) => entries.some((e) => e.channel === name)).map(([model]) => model);
      if (routes.length > 0) throw new AppError('conflict', `Channel "${name}" is in the routes of ${routes.map((m) => `"${m}"`).join(', ')}: take it out of them first.`);
      const perEngine = Object.fromEntries(Object.entries(current.prices.perEngine).filter(([channel]) => channel !== name));
      return {
        content: { ...withChannel(current, name, null), prices: { ...current.prices, perEngine } },
        audit: [{ actor, action: 'channel.delete', subject: `channel:${name}`, before: redactChannel(before), after: null }],
      };
    });
  }

  async addCredential(channelName: string, input: CredentialInput, actor: Actor): Promise<CredentialView> {
    const now = this.deps.clock.now();
    const credential = this.newCredential(input, now);
    const saved = await this.deps.sync.change((current) => {
      const before = channelOf(current, channelName);
      const after = { ...before, credentials: [...before.credentials, credential], updatedAt: now };
      return { content: withChannel(current, channelName, after), audit: [{ actor, action: 'credential.create', subject: `credential:${channelName}/${credential.id}`, before: null, after: redactCredential(credential) }] };
    });
    return this.credentialViewOf(saved, channelName, credential.id);
  }

  async updateCredential(channelName: string, id: string, patch: CredentialPatch, actor: Actor): Promise<CredentialView> {
    const now = this.deps.clock.now();
    const secret = patch.apiKey === undefined ? null : this.seal(patch.apiKey);
    const saved = await this.deps.sync.change((current) => {
      const channel = channelOf(current, channelName);
      const before = credentialOf(channel, id);
      const after: CredentialRecord = {
        ...before,
        ...(secret ? { secret, last4: last4(patch.apiKey ?? '') } : {}),
        ...(patch.label === undefined ? {} : { label: patch.label }),
        ...(patch.region === undefined ? {} : { region: patch.region }),
        ...(patch.qps === undefined ? {} : { qps: patch.qps }),
        ...(patch.maxConcurrent === undefined ? {} : { maxConcurrent: patch.maxConcurrent }),
        ...(patch.weight === undefined ? {} : { weight: patch.weight }),
        ...(patch.cost === undefined ? {} : { cost: patch.cost }),
        ...(patch.enabled === undefined ? {} : { enabled: patch.enabled }),
        // Re-enabling (or a new key) clears an automatic disable: the operator vouches for it.
        ...(patch.enabled === true || secret ? { disabled: null, lastDisable: null } : {}),
        updatedAt: now,
      };
      const next = { ...channel, credentials: channel.credentials.map((c) => (c.id === id ? after : c)), updatedAt: now };
      return { content: withChannel(current, channelName, next), audit: [{ actor, action: 'credential.update', subject: `credential:${channelName}/${id}`, before: redactCredential(before), after: redactCredential(after) }] };
    });
    return this.credentialViewOf(saved, channelName, id);
  }

  async removeCredential(channelName: string, id: string, actor: Actor): Promise<void> {
    this.refuseWhileRunning(`Credential "${id}" of channel "${channelName}"`, await this.deps.tasks.countRunningOn(channelName, id));
    await this.deps.sync.change((current) => {
      const channel = channelOf(current, channelName);
      const before = credentialOf(channel, id);
      const next = { ...channel, credentials: channel.credentials.filter((c) => c.id !== id), updatedAt: this.deps.clock.now() };
      return { content: withChannel(current, channelName, next), audit: [{ actor, action: 'credential.delete', subject: `credential:${channelName}/${id}`, before: redactCredential(before), after: null }] };
    });
  }

  async setRoute(model: string, entries: RouteEntry[], actor: Actor): Promise<RouteEntry[]> {
    await this.deps.sync.change((current) => ({
      content: { ...current, routes: { ...current.routes, [model]: entries } },
      audit: [{ actor, action: 'route.set', subject: `route:${model}`, before: current.routes[model] ?? null, after: entries }],
    }));
    return entries;
  }

  async deleteRoute(model: string, actor: Actor): Promise<void> {
    await this.deps.sync.change((current) => {
      const before = current.routes[model];
      if (!before) throw notFound(`The route of "${model}"`);
      if (model === '*') throw new AppError('conflict', 'The "*" route is the fallback of every model: change it instead of deleting it.');
      const routes = Object.fromEntries(Object.entries(current.routes).filter(([key]) => key !== model));
      return { content: { ...current, routes }, audit: [{ actor, action: 'route.delete', subject: `route:${model}`, before, after: null }] };
    });
  }

  async setPrices(prices: PriceSettings, actor: Actor): Promise<PriceSettings> {
    await this.deps.sync.change((current) => ({ content: { ...current, prices }, audit: [{ actor, action: 'prices.set', subject: 'prices', before: current.prices, after: prices }] }));
    return prices;
  }

  async testChannel(name: string, options: { credential?: string | undefined; model?: string | undefined }): Promise<ChannelTestResult> {
    const record = channelOf(this.deps.live.catalog, name);
    if (options.credential !== undefined) credentialOf(record, options.credential);
    const running = this.deps.live.router.get(name);
    if (!running) throw new AppError('conflict', `Channel "${name}" cannot run: it has no usable credential (add one, or check the server log).`);
    const model = options.model === undefined ? this.testModel(running) : findModel(options.model);
    if (!model) throw new AppError('invalid_parameter', `model: unknown model "${options.model ?? ''}"`, { field: 'model' });
    const { failure: _failure, ...result } = await running.test(options.credential ?? null, 'task', model, AbortSignal.timeout(TEST_TIMEOUT_MS));
    return { ...result, channel: name, model: model.id, mode: 'task' };
  }

  credentialNames(): ReadonlyMap<string, string> {
    return credentialNames(this.deps.live.catalog.channels);
  }

  async audit(limit: number, offset: number, subject?: string) {
    return this.deps.store.audit(limit, offset, subject);
  }

  /**
   * A delete while tasks run on it would abandon their pending upstream operations (billed) and
   * start them again elsewhere (billed twice): the operator switches it off and deletes once they end.
   */
  private refuseWhileRunning(what: string, running: number): void {
    if (running === 0) return;
    throw new AppError('conflict', `${what} has ${running} task${running === 1 ? '' : 's'} still running on it: switch it off (enabled: false) so no new task starts there, and delete it once they have ended.`);
  }

  /** The cheapest model to test with: a generation model the channel serves, else its first. */
  private testModel(running: { capabilities: { models: readonly string[] | '*' } }) {
    const serves = (id: string, family: string) => running.capabilities.models === '*' || running.capabilities.models.includes(id) || running.capabilities.models.includes(family);
    const models = listModels().filter((m) => serves(m.id, m.family));
    return models.find((m) => m.generate && !m.edit) ?? models[0];
  }

  private seal(apiKey: string): CredentialRecord['secret'] {
    if (!this.deps.secrets) {
      throw new AppError('conflict', 'Upstream keys can be stored only with QIG_SECRET_KEY set on every node (it encrypts them); put the key in the config file instead, or set QIG_SECRET_KEY and restart.');
    }
    return { source: 'stored', ciphertext: this.deps.secrets.encrypt(apiKey) };
  }

  private newCredential(input: CredentialInput, now: number): CredentialRecord {
    const identity = { id: `cr_${randomBytes(6).toString('base64url')}`, label: input.label ?? '', last4: last4(input.apiKey), secret: this.seal(input.apiKey) };
    return credentialRecord(identity, input, now);
  }

  private channelViewOf(catalog: Catalog, name: string): ChannelView {
    return channelView(channelOf(catalog, name), catalog, this.deps.live.router.get(name));
  }

  private credentialViewOf(catalog: Catalog, channelName: string, id: string): CredentialView {
    const view = this.channelViewOf(catalog, channelName);
    const credential = view.credentials.find((c) => c.id === id);
    return credential ?? credentialView(credentialOf(channelOf(catalog, channelName), id), undefined);
  }
}

