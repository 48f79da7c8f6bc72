/**
 * The channels of this node (decision 0011): the secret box for stored keys, the catalog seeded
 * from the config file, loaded and followed, the running channels, the auto-disable and re-tests,
 * and the admin service over them.
 */
import type { AppConfig } from '../config/load.js';
import type { CredentialRecord } from '../domain/channels.js';
import { AppError } from '../domain/errors.js';
import type { Engine } from '../engines/engine.js';
import { createEngine, type EngineDeps } from '../engines/registry.js';
import type { TaskEvents } from '../events/events.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { createSecretBox, loadOrCreateKeyFile, type SecretBox } from '../lib/secret-box.js';
import { CatalogService } from '../services/channels/catalog-service.js';
import { CatalogSync } from '../services/channels/catalog-sync.js';
import { applySeed, type CatalogSeed } from '../services/channels/config-seed.js';
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
  await applyConfigSeed(sync, seed, clock, logger);
  if (secrets) await rewrapKeys(sync, secrets, clock, logger);
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

/**
 * The config file's changed items. A seed that breaks the catalog's rules (say, a key too many)
 * must not keep the server from starting: it says which rule, and the stored catalog runs.
 */
async function applyConfigSeed(sync: CatalogSync, seed: CatalogSeed, clock: Clock, logger: Logger): Promise<void> {
  try {
    await sync.change((current) => applySeed(current, seed, clock.now()));
  } catch (error) {
    if (!(error instanceof AppError) || error.kind !== 'invalid_parameter') throw error;
    logger.error({ err: error, field: error.field }, `the config file's channels, routes or prices break a catalog rule and were not applied (${error.message}); running the stored catalog — fix the config file, or make the change in the admin console`);
  }
}

/**
 * Re-encrypts keys stored under QIG_SECRET_KEY_PREVIOUS with the current key (rotation). A key this
 * node cannot decrypt (stored under a key it was not given) stays as it is and is logged: it never
 * stops a start, and a node that has its key can still use it.
 */
async function rewrapKeys(sync: CatalogSync, secrets: SecretBox, clock: Clock, logger: Logger): Promise<void> {
  const unreadable = new Set<string>();
  await sync.change((current) => {
    let changed = 0;
    const rewrap = (channel: string, credential: CredentialRecord): CredentialRecord => {
      if (credential.secret.source !== 'stored' || !secrets.needsRewrap(credential.secret.ciphertext)) return credential;
      let plain: string;
      try {
        plain = secrets.decrypt(credential.secret.ciphertext);
      } catch (error) {
        unreadable.add(`${channel}/${credential.id}: ${error instanceof Error ? error.message : String(error)}`);
        return credential;
      }
      changed += 1;
      return { ...credential, secret: { source: 'stored', ciphertext: secrets.encrypt(plain) }, updatedAt: clock.now() };
    };
    const channels = current.channels.map((channel) => ({ ...channel, credentials: channel.credentials.map((credential) => rewrap(channel.name, credential)) }));
    if (changed === 0) return null;
    return { content: { ...current, channels }, audit: [{ actor: 'secret rotation', action: 'secrets.rewrap', subject: 'credentials', before: null, after: { reencrypted: changed, keyId: secrets.keyId } }] };
  });
  for (const line of unreadable) logger.error(`credential ${line}; left as it is (re-encrypted by a node that has its key)`);
}
