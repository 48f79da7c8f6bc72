/**
 * The channel store's contract (the catalog of decision 0011), on SQLite and (when DATABASE_URL is
 * set) Postgres: an empty catalog at version 0, a save read back field for field, the optimistic
 * version check (of concurrent saves from one version, exactly one wins), a smaller catalog
 * dropping the rows it no longer has, and the audit log.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Kysely } from 'kysely';
import type { CatalogContent, ChannelRecord, CredentialRecord } from '../../src/domain/channels.js';
import { PRICE_KEYS } from '../../src/domain/prices.js';
import { checkCatalog, MAX_CATALOG_CREDENTIALS, MAX_CHANNELS, MAX_CREDENTIALS } from '../../src/services/channels/catalog-rules.js';
import { SqlChannelStore } from '../../src/store/channel-store.js';
import type { Database } from '../../src/store/schema.js';
import { storeTargets } from '../helpers/stores.js';

function credential(id: string, overrides: Partial<CredentialRecord> = {}): CredentialRecord {
  return {
    id,
    label: `account ${id}`,
    last4: 'a1b2',
    secret: { source: 'config', path: 'engines.cloud.apiKey' },
    region: null,
    qps: null,
    maxConcurrent: null,
    weight: 1,
    cost: null,
    enabled: true,
    disabled: null,
    lastDisable: null,
    createdAt: 1_000,
    updatedAt: 1_000,
    ...overrides,
  };
}

function channel(name: string, overrides: Partial<ChannelRecord> = {}): ChannelRecord {
  return { name, engine: { type: 'local' }, enabled: true, cost: {}, test: 'query', credentials: [], createdAt: 1_000, updatedAt: 1_000, ...overrides };
}

/** A catalog using every field: both kinds of secret, a disabled credential, routes in an order, prices and seeds. */
function fullCatalog(): CatalogContent {
  return {
    channels: [
      channel('cloud', {
        engine: { type: 'dashscope', region: 'beijing', maxConcurrent: 4, models: ['qwen-image-edit-plus'], nested: { a: [1, 2] } },
        cost: { '*': '0.14', 'qwen-image-edit-plus': '0.2' },
        test: 'task',
        credentials: [
          credential('cloud~0', { secret: { source: 'config', path: 'engines.cloud.credentials.0.apiKey' }, region: 'singapore', qps: 2.5, maxConcurrent: 3, weight: 7, cost: { '*': '0.1' }, lastDisable: { strikes: 3, endedAt: 4_000 } }),
          credential('cr_x1', {
            label: 'second',
            last4: 'z9y8',
            secret: { source: 'stored', ciphertext: 'v1.abcd1234.aXY.dGFn.ZGF0YQ' },
            enabled: false,
            disabled: { kind: 'arrears', code: 'Arrearage', reason: 'Access denied, please make sure your account is in good standing.', model: 'qwen-image-edit-plus', at: 5_000, nextTestAt: 65_000, strikes: 1 },
            createdAt: 2_000,
            updatedAt: 5_000,
          }),
        ],
        createdAt: 900,
        updatedAt: 5_000,
      }),
      channel('local', { enabled: false }),
      channel('comfy', { engine: { type: 'comfyui', url: 'http://127.0.0.1:8188' } }),
    ],
    routes: {
      'qwen-image-edit-plus': [
        { channel: 'cloud', priority: 10, weight: 3 },
        { channel: 'comfy', priority: 10, weight: 1 },
        { channel: 'local', priority: -1, weight: 1 },
      ],
      '*': [{ channel: 'local', priority: 0, weight: 1 }],
      'qwen-image': [{ channel: 'cloud', priority: 0, weight: 0.5 }],
    },
    prices: { perImage: { '*': '0.2', 'qwen-image': '0.25' }, perEngine: { local: { '*': '0' }, cloud: { 'qwen-image-edit-plus': '0.3' } } },
    seeds: { 'channel:cloud': 'h1', 'route:*': 'h2', prices: 'h3' },
  };
}

async function rowCounts(db: Kysely<Database>): Promise<Record<string, number>> {
  const count = async (table: 'channels' | 'channel_credentials' | 'channel_routes') =>
    Number((await db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  return { channels: await count('channels'), credentials: await count('channel_credentials'), routes: await count('channel_routes') };
}

for (const target of storeTargets()) {
  describe(`channel store contract: ${target.name}`, () => {
    let store: SqlChannelStore;
    let db: Kysely<Database>;
    let cleanup: () => Promise<void>;
    before(async () => {
      const opened = await target.open();
      db = opened.store.db;
      store = new SqlChannelStore(db);
      cleanup = opened.cleanup;
    });
    after(async () => cleanup());

    it('starts empty, at version 0', async () => {
      assert.equal(await store.version(), 0);
      assert.deepEqual(await store.load(), { version: 0, channels: [], routes: {}, prices: { perImage: {}, perEngine: {} }, seeds: {} });
      assert.deepEqual(await store.audit(10, 0), { entries: [], total: 0 });
    });

    it('reads a saved catalog back field for field, in its order', async () => {
      const content = fullCatalog();
      assert.equal(await store.save(content, 0, [], 10_000), 1);
      assert.equal(await store.version(), 1);
      const loaded = await store.load();
      assert.deepEqual(loaded, { ...content, version: 1 });
      assert.deepEqual(loaded.channels.map((c) => c.name), ['cloud', 'local', 'comfy'], 'channels in their order');
      assert.deepEqual(loaded.channels[0]?.credentials.map((c) => c.id), ['cloud~0', 'cr_x1'], 'credentials in their order');
      assert.deepEqual(Object.keys(loaded.routes), ['qwen-image-edit-plus', '*', 'qwen-image'], 'routes in their order');
      assert.deepEqual(loaded.routes['qwen-image-edit-plus']?.map((e) => e.channel), ['cloud', 'comfy', 'local'], "a route's entries in their order");
    });

    it('lets exactly one of several saves from the same version win, and keeps its catalog whole', async () => {
      const expected = await store.version();
      const candidates = Array.from({ length: 6 }, (_, i) => ({ ...fullCatalog(), channels: [channel(`only-${i}`, { credentials: [credential(`cr_${i}`)] })], seeds: { winner: String(i) } }));
      // Concurrent: on Postgres each runs on its own connection and the losers wait for the winner's lock.
      const results = await Promise.all(candidates.map((content, i) => store.save(content, expected, [{ actor: 'admin', action: 'channel.create', subject: `channel:only-${i}`, before: null, after: i }], 20_000)));
      const winners = results.flatMap((version, i) => (version === null ? [] : [i]));
      assert.equal(winners.length, 1, 'one save wins');
      assert.equal(results[winners[0] ?? -1], expected + 1);
      const loaded = await store.load();
      const winner = winners[0] ?? -1;
      assert.deepEqual(loaded, { ...candidates[winner], version: expected + 1 }, "the winner's catalog, none of the losers' rows");
      const audit = await store.audit(50, 0);
      assert.deepEqual(audit.entries.filter((e) => e.at === 20_000).map((e) => e.subject), [`channel:only-${winner}`], "only the winner's audit rows");
      assert.equal(await store.save(fullCatalog(), expected, [], 21_000), null, 'a stale version loses later too');
      assert.equal(await store.version(), expected + 1);
    });

    it('drops the rows a smaller catalog no longer has', async () => {
      const full = fullCatalog();
      const version = await store.save(full, await store.version(), [], 30_000);
      assert.ok(version !== null);
      assert.deepEqual(await rowCounts(db), { channels: 3, credentials: 2, routes: 5 });
      const [cloud] = full.channels;
      assert.ok(cloud);
      const smaller: CatalogContent = {
        ...full,
        channels: [{ ...cloud, credentials: cloud.credentials.slice(1) }],
        routes: { '*': [{ channel: 'cloud', priority: 0, weight: 1 }] },
        prices: { perImage: { '*': '0.3' }, perEngine: {} },
        seeds: {},
      };
      assert.equal(await store.save(smaller, version, [], 31_000), version + 1);
      assert.deepEqual(await store.load(), { ...smaller, version: version + 1 });
      assert.deepEqual(await rowCounts(db), { channels: 1, credentials: 1, routes: 1 });
      const empty: CatalogContent = { channels: [], routes: {}, prices: { perImage: {}, perEngine: {} }, seeds: {} };
      assert.equal(await store.save(empty, version + 1, [], 32_000), version + 2);
      assert.deepEqual(await store.load(), { ...empty, version: version + 2 });
      assert.deepEqual(await rowCounts(db), { channels: 0, credentials: 0, routes: 0 });
    });

    it('saves and reads back a catalog at the limits of the rules, and a store-level one far past them', async () => {
      const keyed = Array.from({ length: MAX_CATALOG_CREDENTIALS / MAX_CREDENTIALS }, (_, c) =>
        channel(`cloud-${c}`, { engine: { type: 'dashscope' }, credentials: Array.from({ length: MAX_CREDENTIALS }, (_, i) => credential(`cr_${c}_${i}`, { secret: { source: 'stored', ciphertext: `v1.k.${c}.${i}.x` } })) }),
      );
      const keyless = Array.from({ length: MAX_CHANNELS - keyed.length }, (_, i) => channel(`cpu-${i}`));
      const channels = [...keyed, ...keyless];
      const routes = Object.fromEntries(PRICE_KEYS.map((model, r) => [model, Array.from({ length: 100 }, (_, i) => ({ channel: (channels[(r + i) % channels.length] as ChannelRecord).name, priority: i % 3, weight: 1 + (i % 7) }))]));
      const atLimits: CatalogContent = { channels, routes, prices: { perImage: { '*': '0.2' }, perEngine: {} }, seeds: {} };
      checkCatalog(atLimits);
      let version = await store.save(atLimits, await store.version(), [], 50_000);
      assert.ok(version !== null);
      assert.deepEqual(await store.load(), { ...atLimits, version });
      // The store itself is not what limits the size: 2,500 credentials fit in one save (over many INSERTs).
      const huge: CatalogContent = { ...atLimits, routes: {}, channels: Array.from({ length: 25 }, (_, c) => channel(`big-${c}`, { credentials: Array.from({ length: 100 }, (_, i) => credential(`cr_big_${c}_${i}`)) })) };
      version = await store.save(huge, version, [], 51_000);
      assert.ok(version !== null);
      assert.equal((await rowCounts(db)).credentials, 2_500);
    });

    it('appends audit entries with the save, lists them newest first, by subject, with a total', async () => {
      const base = (await store.audit(1, 0)).total;
      let version = await store.version();
      const content = fullCatalog();
      const saved = await store.save(
        content,
        version,
        [
          { actor: 'config file', action: 'seed.apply', subject: 'channel:cloud', before: null, after: { name: 'cloud', key: '…a1b2' } },
          { actor: 'config file', action: 'seed.apply', subject: 'route:*', before: undefined, after: [{ channel: 'local', priority: 0, weight: 1 }] },
        ],
        40_000,
      );
      assert.ok(saved !== null);
      version = saved;
      assert.equal(await store.save(content, version, [{ actor: 'admin 127.0.0.1', action: 'credential.disable', subject: 'credential:cloud/cr_x1', before: { enabled: true }, after: { enabled: false } }], 41_000), version + 1);
      assert.equal(await store.save(content, version + 1, [{ actor: 'auto-disable', action: 'channel.update', subject: 'channel:cloud', before: { enabled: true }, after: { enabled: false } }], 42_000), version + 2);

      const all = await store.audit(3, 0);
      assert.equal(all.total, base + 4);
      assert.deepEqual(all.entries.map((e) => [e.at, e.subject]), [[42_000, 'channel:cloud'], [41_000, 'credential:cloud/cr_x1'], [40_000, 'route:*']], 'newest first, the later of one save first');
      const [newest] = all.entries;
      assert.deepEqual(newest && { ...newest, id: 0 }, { id: 0, at: 42_000, actor: 'auto-disable', action: 'channel.update', subject: 'channel:cloud', before: { enabled: true }, after: { enabled: false } });
      assert.equal(typeof newest?.id, 'number');
      const page = await store.audit(2, 2);
      assert.deepEqual(page.entries.map((e) => e.at), [40_000, 40_000]);
      assert.equal(page.total, base + 4);

      const cloud = await store.audit(10, 0, 'channel:cloud');
      assert.equal(cloud.total, 2);
      assert.deepEqual(cloud.entries.map((e) => [e.at, e.action, e.after]), [[42_000, 'channel.update', { enabled: false }], [40_000, 'seed.apply', { name: 'cloud', key: '…a1b2' }]]);
      const route = await store.audit(10, 0, 'route:*');
      assert.deepEqual(route.entries.map((e) => [e.before, e.after]), [[null, [{ channel: 'local', priority: 0, weight: 1 }]]], 'an absent "before" reads back as null');
      assert.deepEqual(await store.audit(10, 0, 'channel:nothing'), { entries: [], total: 0 });
    });
  });
}
