/**
 * Auto-disable and recovery against a loopback DashScope fake serving several accounts, through
 * the real pieces (the SQLite channel store, the catalog sync, the live channels, the DashScope
 * engine) on a clock the test moves: a revoked key is disabled on its first call, its re-test
 * waits 1 minute, fails while the key is still revoked (the next waits 2), and passes once the
 * account is fixed; two nodes never re-test the same credential at once.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Catalog } from '../../../../src/domain/channels.js';
import { findModel, type ModelSpec } from '../../../../src/domain/models.js';
import { createEngine } from '../../../../src/engines/registry.js';
import { LocalTaskEvents } from '../../../../src/events/events.js';
import { silentLogger } from '../../../../src/lib/logger.js';
import { CatalogService } from '../../../../src/services/channels/catalog-service.js';
import { CatalogSync } from '../../../../src/services/channels/catalog-sync.js';
import { applySeed } from '../../../../src/services/channels/config-seed.js';
import { CredentialHealth, STRIKE_MEMORY_MS, strikesAfter } from '../../../../src/services/channels/credential-health.js';
import { LiveChannels } from '../../../../src/services/channels/live-channels.js';
import { configSecret } from '../../../../src/services/channels/records.js';
import { NO_METRICS } from '../../../../src/services/metrics.js';
import type { EngineConfig } from '../../../../src/engines/options.js';
import { SqlChannelStore } from '../../../../src/store/channel-store.js';
import { openStore, type SqlStore } from '../../../../src/store/db.js';
import { startFakeDashScope, type FakeDashScope } from '../../../fakes/dashscope.js';
import { tempDir } from '../../../helpers/stores.js';

const GOOD = 'sk-good-account-1111';
const REVOKED = 'sk-revoked-account-2222';
const BROKE = 'sk-in-arrears-3333';
/** A config key's credential id. */
const idOf = (apiKey: string) => `cloud~${createHash('sha256').update(apiKey).digest('hex').slice(0, 8)}`;
const MODEL = findModel('qwen-image-2.0-pro') as ModelSpec;

let fake: FakeDashScope;
let store: SqlStore;
const dir = tempDir();

before(async () => {
  fake = await startFakeDashScope({ apiKey: GOOD, keys: { [REVOKED]: 'InvalidApiKey', [BROKE]: 'Arrearage' }, pendingQueries: 0, runningQueries: 0 });
  store = await openStore({ databaseUrl: null, dataDir: dir.path });
});

after(async () => {
  await store?.close();
  await fake?.close();
  dir.remove();
});

/** One node: its live channels over the shared store, on a clock the test moves. */
async function node(engines: Record<string, EngineConfig>, clock: { now: () => number }) {
  const logger = silentLogger();
  let health: CredentialHealth | null = null;
  const live = new LiveChannels({
    build: (name, options) => createEngine(name, options, { logger, fetch: { allowHosts: [fake.hostPort] } }),
    secretOf: (credential) => (credential.secret.source === 'config' ? (configSecret(engines, credential.secret.path) as string) : ''),
    onAccountError: (channel, id, failure) => health?.disable(channel, id, failure),
    currency: 'CNY',
    clock,
    metrics: NO_METRICS,
    logger,
  });
  const events = new LocalTaskEvents();
  const sync = new CatalogSync(new SqlChannelStore(store.db), events, (catalog) => live.apply(catalog), clock, logger);
  health = new CredentialHealth(sync, live, clock, logger);
  const seed = { engines, routes: { '*': [{ channel: 'cloud', priority: 1, weight: 1 }] }, prices: { perImage: {}, perEngine: {} } };
  await sync.change((current) => applySeed(current, seed, clock.now()));
  return { live, sync, health, close: () => live.close() };
}

const labelled = (label: string) => (catalog: Catalog) => catalog.channels[0]?.credentials.find((c) => c.label === label);
const revokedOf = labelled('revoked');
const brokeOf = labelled('broke');

function callOf(taskId: string) {
  return { taskId, requestId: taskId, model: MODEL.id, family: MODEL.family, kind: 'generate' as const, prompt: 'a boat', negativePrompt: null, n: 1, size: { width: 512, height: 512 }, sizeSource: 'request' as const, seed: 1, promptExtend: false, watermark: false, inputs: [], signal: new AbortController().signal, log: () => {} };
}

describe('credentials out of rotation and back', () => {
  it('disables a revoked key on its first call, re-tests it on a doubling schedule, and brings it back when fixed', async () => {
    let now = 1_000_000;
    const clock = { now: () => now };
    const engines: Record<string, EngineConfig> = {
      cloud: { type: 'dashscope', baseUrl: fake.url, credentials: [{ apiKey: REVOKED, label: 'revoked', weight: 1000 }, { apiKey: GOOD, label: 'good' }] },
    };
    const one = await node(engines, clock);
    const other = await node(engines, clock);
    try {
      const channel = one.live.router.get('cloud');
      assert.ok(channel);
      // The heavy revoked key is picked first, fails with InvalidApiKey, and the call moves on.
      const call = { taskId: 't1', requestId: 't1', model: MODEL.id, family: MODEL.family, kind: 'generate' as const, prompt: 'a boat', negativePrompt: null, n: 1, size: { width: 512, height: 512 }, sizeSource: 'request' as const, seed: 1, promptExtend: false, watermark: false, inputs: [], signal: new AbortController().signal, log: () => {} };
      const result = await channel.start(call);
      assert.equal(result.status, 'done');
      assert.equal(result.status === 'done' ? result.credential : null, idOf(GOOD));
      await waitFor(async () => revokedOf(await new SqlChannelStore(store.db).load())?.disabled !== null);
      await one.sync.change(() => null);
      const disabled = revokedOf(one.live.catalog)?.disabled;
      assert.deepEqual([disabled?.kind, disabled?.code, disabled?.strikes, disabled?.nextTestAt], ['auth', 'InvalidApiKey', 1, now + 60_000]);

      // Not due yet: nothing happens.
      await one.health.retestDue();
      assert.equal(revokedOf(one.live.catalog)?.disabled?.strikes, 1);

      // Due, still revoked: one node tests it (both try), it fails, the next wait doubles.
      now += 61_000;
      const probesBefore = fake.requests.filter((r) => r.method === 'GET' && r.headers.authorization === `Bearer ${REVOKED}`).length;
      await Promise.all([one.health.retestDue(), other.health.retestDue()]);
      const probes = fake.requests.filter((r) => r.method === 'GET' && r.headers.authorization === `Bearer ${REVOKED}`).length - probesBefore;
      assert.equal(probes, 1, 'exactly one node re-tested it');
      await one.sync.change(() => null);
      const again = revokedOf(one.live.catalog)?.disabled;
      assert.deepEqual([again?.strikes, again?.nextTestAt], [2, now + 120_000]);

      // Fixed upstream: the next due re-test brings it back on every node.
      fake.keys.set(REVOKED, 'ok');
      now += 121_000;
      await one.health.retestDue();
      await other.sync.change(() => null);
      assert.equal(revokedOf(other.live.catalog)?.disabled, null);
      assert.equal(other.live.router.get('cloud')?.slot(idOf(REVOKED))?.usable(), true);
    } finally {
      await one.close();
      await other.close();
    }
  });

  it('waits longer each time an account in arrears passes its query re-test and fails its next real call', async () => {
    let now = 50_000_000;
    const clock = { now: () => now };
    const engines: Record<string, EngineConfig> = {
      cloud: { type: 'dashscope', baseUrl: fake.url, credentials: [{ apiKey: BROKE, label: 'broke', weight: 1000 }, { apiKey: GOOD, label: 'good' }] },
    };
    const one = await node(engines, clock);
    try {
      const waits: number[] = [];
      for (let round = 0; round < 3; round += 1) {
        const result = await one.live.router.get('cloud')?.start(callOf(`arrears-${round}`));
        assert.equal(result?.status, 'done', 'the call moved to the good account');
        await waitFor(async () => brokeOf(await new SqlChannelStore(store.db).load())?.disabled != null);
        await one.sync.change(() => null);
        const disabled = brokeOf(one.live.catalog)?.disabled;
        assert.equal(disabled?.strikes, round + 1);
        waits.push((disabled?.nextTestAt ?? 0) - now);
        // The query re-test passes (an account in arrears still reads its tasks): back in rotation.
        now = (disabled?.nextTestAt ?? now) + 1_000;
        await one.health.retestDue();
        await one.sync.change(() => null);
        assert.equal(brokeOf(one.live.catalog)?.disabled, null);
        assert.equal(brokeOf(one.live.catalog)?.lastDisable?.strikes, round + 1);
      }
      assert.deepEqual(waits, [60_000, 120_000, 240_000]);

      // The operator's re-enable wipes the slate: the next disable waits 1 minute again.
      const admin = new CatalogService({ store: new SqlChannelStore(store.db), tasks: { countRunningOn: async () => 0 }, sync: one.sync, live: one.live, secrets: null, currency: 'CNY', clock, usageSince: async () => [] });
      const id = brokeOf(one.live.catalog)?.id ?? '';
      await admin.updateCredential('cloud', id, { enabled: true }, 'admin');
      assert.equal(brokeOf(one.live.catalog)?.lastDisable, null);
      await one.live.router.get('cloud')?.start(callOf('arrears-after-reenable'));
      await waitFor(async () => brokeOf(await new SqlChannelStore(store.db).load())?.disabled != null);
      await one.sync.change(() => null);
      assert.equal(brokeOf(one.live.catalog)?.disabled?.strikes, 1);
    } finally {
      await one.close();
    }
  });

  it('starts the strikes over when the last disable ended over an hour ago, or never was', () => {
    assert.equal(strikesAfter(null, 10_000), 1);
    assert.equal(strikesAfter({ strikes: 3, endedAt: 10_000 }, 10_000 + STRIKE_MEMORY_MS), 4);
    assert.equal(strikesAfter({ strikes: 3, endedAt: 10_000 }, 10_001 + STRIKE_MEMORY_MS), 1);
  });
});

async function waitFor(probe: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i += 1) {
    if (await probe()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('timed out waiting');
}
