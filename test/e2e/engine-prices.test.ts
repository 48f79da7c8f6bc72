/**
 * Prices by engine, end to end: with no price configuration the built-in local engine is free; an
 * upstream engine (the fake DashScope) charges its configured price; a failover from a dear engine
 * to a cheap one holds the dear price and charges the cheap one; after a failover halfway through
 * a split task each image is charged at its own engine's price. The ledger invariant is checked
 * after each.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { AppError } from '../../src/domain/errors.js';
import { editBody, SYNC_PATH } from '../fakes/dashscope-client.js';
import { startFakeDashScope, type FakeDashScope } from '../fakes/dashscope.js';
import { createScriptedEngine } from '../fakes/scripted-engine.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { gradientImage } from '../helpers/images.js';
import { assertLedgerInvariant } from '../helpers/ledger.js';

const ADMIN = 'admin-token-for-price-tests';
let png: Buffer;
let server: TestGateway | null = null;

before(async () => {
  png = await gradientImage(320, 240);
});

afterEach(async () => {
  if (!server) return;
  await assertLedgerInvariant(server.gateway.store.db);
  await server.close();
  server = null;
});

async function request(path: string, options: { key?: string; body?: unknown; method?: string } = {}) {
  const response = await fetch(`${server!.url}${path}`, {
    method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
    headers: { authorization: `Bearer ${options.key ?? ADMIN}`, ...(options.body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: options.body === undefined ? null : JSON.stringify(options.body),
  });
  return { status: response.status, json: (await response.json()) as any };
}

/** A metered key with this balance: its id and secret. */
async function meteredKey(balance: string): Promise<{ id: string; key: string }> {
  const created = await request('/admin/v1/keys', { body: { name: `k-${balance}`, balance } });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  return created.json;
}

async function edit(key: string, model: string, n: number): Promise<any> {
  const answer = await request(SYNC_PATH, { key, body: editBody(model, [png], 'make it sepia', { n, size: '768*512', watermark: false }) });
  assert.equal(answer.status, 200, JSON.stringify(answer.json));
  return answer.json;
}

async function ledgerOf(keyId: string) {
  return server!.gateway.store.db.selectFrom('ledger').selectAll().where('key_id', '=', keyId).where('task_id', 'is not', null).orderBy('id').execute();
}

describe('prices by engine', () => {
  it('with the default config an edit on the local engine costs nothing, and usage says local at 0', async () => {
    server = await startTestGateway({ env: { QIG_ADMIN_TOKEN: ADMIN } });
    const key = await meteredKey('1.00');
    await edit(key.key, 'qwen-image-edit-plus', 2);
    const balance = await request('/v1/balance', { key: key.key });
    assert.equal(balance.json.balance, '1.00');
    assert.equal(balance.json.held, '0.00');
    const usage = await request('/v1/usage', { key: key.key });
    assert.equal(usage.json.data.length, 1);
    assert.deepEqual(
      { engine: usage.json.data[0].engine, images: usage.json.data[0].images, unitPrice: usage.json.data[0].unitPrice, amount: usage.json.data[0].amount },
      { engine: 'local', images: 2, unitPrice: '0.00', amount: '0.00' },
    );
    assert.equal((await request(`/admin/v1/usage?keyId=${key.id}&engine=local`)).json.total, 1);
    const model = await request('/v1/models/qwen-image-edit-plus');
    assert.deepEqual(model.json.price, { perImage: '0.00', currency: 'CNY', byEngine: { local: '0.00' } });
  });

  describe('with upstream engines', () => {
    let fake: FakeDashScope;
    before(async () => {
      fake = await startFakeDashScope({ pendingQueries: 0, runningQueries: 1 });
    });
    after(async () => fake.close());

    async function startPriced(): Promise<void> {
      server = await startTestGateway({
        env: { QIG_ADMIN_TOKEN: ADMIN },
        config: {
          engines: { cloud: { type: 'dashscope', baseUrl: fake.url, apiKey: fake.apiKey }, cpu: { type: 'local' } },
          routes: { 'qwen-image-edit-plus': ['cloud', 'cpu'], 'qwen-image-edit-max': ['cloud'], '*': ['cpu'] },
          prices: { currency: 'CNY', perImage: { 'qwen-image-edit-max': '0.25' }, perEngine: { cloud: { 'qwen-image-edit-plus': '0.50' }, cpu: { 'qwen-image-edit-plus': '0.05' } } },
          fetch: { allowHosts: [fake.hostPort] },
        },
        worker: { retryBaseDelayMs: 5, retryMaxDelayMs: 20 },
      });
    }

    it('charges the configured price of the upstream engine and records it with that engine', async () => {
      await startPriced();
      const key = await meteredKey('2.00');
      await edit(key.key, 'qwen-image-edit-max', 2);
      assert.equal((await request('/v1/balance', { key: key.key })).json.balance, '1.50');
      const usage = await request(`/admin/v1/usage?keyId=${key.id}`);
      assert.equal(usage.json.data[0].engine, 'cloud');
      assert.equal(usage.json.data[0].unitPrice, '0.25');
      assert.equal(usage.json.data[0].content, 'Image generation: 2 images × ¥0.25 = ¥0.50');
      const catalog = await request('/v1/models');
      const plus = catalog.json.data.find((m: { id: string }) => m.id === 'qwen-image-edit-plus');
      assert.deepEqual(plus.price, { perImage: '0.50', currency: 'CNY', byEngine: { cloud: '0.50', cpu: '0.05' } });
    });

    it('a failover from the dear engine to the cheap one holds the dear price, charges the cheap one and releases the rest', async () => {
      await startPriced();
      fake.script.push('sync', { kind: 'error', status: 400, body: { code: 'Arrearage', message: 'Access denied, please make sure your account is in good standing.' } });
      const key = await meteredKey('2.00');
      await edit(key.key, 'qwen-image-edit-plus', 2);
      const rows = await ledgerOf(key.id);
      assert.deepEqual(rows.map((r) => [r.kind, Number(r.amount_micros)]), [['hold', -1_000_000], ['release', 900_000]]);
      assert.equal(rows[1]?.engine, 'cpu');
      assert.equal(Number(rows[1]?.unit_price_micros), 50_000);
      assert.equal((await request('/v1/balance', { key: key.key })).json.balance, '1.90');
      const usage = await request(`/admin/v1/usage?keyId=${key.id}`);
      assert.equal(usage.json.data[0].engine, 'cpu');
      assert.equal(usage.json.data[0].unitPrice, '0.05');
      assert.equal(usage.json.data[0].amount, '0.10');
    });
  });

  it('after a failover halfway through a split task, charges each image at the price of the engine that made it', async () => {
    const dear = createScriptedEngine({ name: 'dear', capabilities: { maxImagesPerCall: 1 }, script: (i) => (i === 0 ? 'done' : new AppError('engine_unavailable', 'account suspended', { retryable: false })) });
    const cheap = createScriptedEngine({ name: 'cheap' });
    server = await startTestGateway({
      env: { QIG_ADMIN_TOKEN: ADMIN },
      engines: new Map([['dear', dear], ['cheap', cheap]]),
      config: {
        engines: { dear: { type: 'local' }, cheap: { type: 'local' } },
        routes: { '*': ['dear', 'cheap'] },
        prices: { perEngine: { dear: { '*': '0.40' }, cheap: { '*': '0.10' } } },
      },
      worker: { retryBaseDelayMs: 5, retryMaxDelayMs: 10 },
    });
    const key = await meteredKey('5.00');
    const answer = await request(SYNC_PATH, { key: key.key, body: { model: 'qwen-image-2.0-pro', input: { messages: [{ role: 'user', content: [{ text: 'a poster' }] }] }, parameters: { n: 3, size: '512*512' } } });
    assert.equal(answer.status, 200, JSON.stringify(answer.json));
    const rows = await ledgerOf(key.id);
    assert.deepEqual(rows.map((r) => [r.kind, Number(r.amount_micros)]), [['hold', -1_200_000], ['release', 600_000]], 'held 3 × 0.40, charged 0.40 + 2 × 0.10');
    const usage = await request(`/admin/v1/usage?keyId=${key.id}`);
    assert.equal(usage.json.data[0].engine, 'dear+cheap');
    assert.equal(usage.json.data[0].amount, '0.60');
    assert.equal(usage.json.data[0].content, 'Image generation: 1 image × ¥0.40 (dear) + 2 images × ¥0.10 (cheap) = ¥0.60');
  });
});
