/**
 * The channels of this node (decision 0011): the secret box for stored keys, the catalog seeded
 * from the config file, loaded and followed, the running channels, the auto-disable and re-tests,
 * and the admin service over them.
 */
import type { AppConfig } from '../config/load.js';
import type { CredentialRecord } from '../domain/channels.js';
import type { Engine } from '../engines/engine.js';
import { createEngine, type EngineDeps } from '../engines/registry.js';
import type { TaskEvents } from '../events/events.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { createSecretBox, loadOrCreateKeyFile, type SecretBox } from '../lib/secret-box.js';
import { CatalogService } from '../services/channels/catalog-service.js';
import { CatalogSync } from '../services/channels/catalog-sync.js';
import { applySeed } from '../services/channels/config-seed.js';
import { CredentialHealth } from '../services/channels/credential-health.js';
import { LiveChannels } from '../services/channels/live-channels.js';
import { configSecret } from '../services/channels/records.js';
import type { ServiceMetrics } from '../services/metrics.js';
import type { ChannelStore, Ledger, TaskStore } from '../store/ports.js';

/** How often a node compares its catalog's version with the stored one (a lost change event costs at most this). */
const VERSION_CHECK_MS = 5_000;
/** How often due re-tests of disabled credentials are looked for. */
const RETEST_CHECK_MS = 15_000;

export interface Channels {
  live: LiveChannels;
  admin: CatalogService;
  close(): Promise<void>;
}

/** QIG_SECRET_KEY; else, on one SQLite node, a key file beside the data; else none (keys can then only come from the config file). */
async function secretBoxOf(config: AppConfig, logger: Logger): Promise<SecretBox | null> {
  if (config.secretKey) return createSecretBox(config.secretKey);
  if (config.databaseUrl) return null;
  const key = await loadOrCreateKeyFile(config.dataDir);
  logger.info(`QIG_SECRET_KEY is not set: upstream keys entered in the admin console are encrypted with the key in ${config.dataDir}/secret.key`);
  return createSecretBox({ current: key });
}

export async function openChannels(
  config: AppConfig,
  deps: { store: ChannelStore; ledger: Pick<Ledger, 'margins'>; tasks: Pick<TaskStore, 'countRunningOn'>; events: TaskEvents; engineDeps: EngineDeps; injected?: ReadonlyMap<string, Engine> | undefined; metrics: ServiceMetrics; clock: Clock; logger: Logger; runsTasks: boolean },
): Promise<Channels> {
  const { clock, logger } = deps;
  const secrets = await secretBoxOf(config, logger);
  const secretOf = (credential: CredentialRecord): string => {
    if (credential.secret.source === 'config') {
      const key = configSecret(config.engines, credential.secret.path);
      if (key === null) throw new Error(`the config file no longer has ${credential.secret.path}`);
      return key;
    }
    if (!secrets) throw new Error('this key was stored encrypted: set QIG_SECRET_KEY (the key it was stored with) on this node');
    return secrets.decrypt(credential.secret.ciphertext);
  };
  let health: CredentialHealth | null = null;
  const live = new LiveChannels({
    build: (name, options) => createEngine(name, options, deps.engineDeps),
    injected: deps.injected,
    secretOf,
    onAccountError: (channel, id, failure) => health?.disable(channel, id, failure),
    currency: config.prices.currency,
    clock,
    metrics: deps.metrics,
    logger,
  });
  const sync = new CatalogSync(deps.store, deps.events, (catalog) => live.apply(catalog), clock, logger);
  health = new CredentialHealth(sync, live, clock, logger);

  // The config file's changed items, then keys stored under a previous QIG_SECRET_KEY re-encrypted.
  const seed = { engines: config.engines, routes: config.routes, prices: { perImage: config.prices.perImage, perEngine: config.prices.perEngine } };
  await sync.change((current) => applySeed(current, seed, clock.now()));
  if (secrets) await rewrapKeys(sync, secrets, clock);
  await sync.start(VERSION_CHECK_MS);
  if (deps.runsTasks) health.start(RETEST_CHECK_MS);

  const usageSince = (from: number) => deps.ledger.margins({ from, groupBy: ['channel', 'credential'], limit: 10_000 });
  const admin = new CatalogService({ store: deps.store, tasks: deps.tasks, sync, live, secrets, currency: config.prices.currency, clock, usageSince });
  return {
    live,
    admin,
    async close() {
      health?.stop();
      sync.stop();
      await live.close();
    },
  };
}

/** Re-encrypts keys stored under QIG_SECRET_KEY_PREVIOUS with the current key (rotation). */
async function rewrapKeys(sync: CatalogSync, secrets: SecretBox, clock: Clock): Promise<void> {
  await sync.change((current) => {
    let changed = 0;
    const channels = current.channels.map((channel) => ({
      ...channel,
      credentials: channel.credentials.map((credential) => {
        if (credential.secret.source !== 'stored' || !secrets.needsRewrap(credential.secret.ciphertext)) return credential;
        changed += 1;
        return { ...credential, secret: { source: 'stored' as const, ciphertext: secrets.encrypt(secrets.decrypt(credential.secret.ciphertext)) }, updatedAt: clock.now() };
      }),
    }));
    if (changed === 0) return null;
    return { content: { ...current, channels }, audit: [{ actor: 'secret rotation', action: 'secrets.rewrap', subject: 'credentials', before: null, after: { reencrypted: changed, keyId: secrets.keyId } }] };
  });
}
