/** The billing rules: prices by model, family or "*", the hold of n images, who may pay, and what a credit may be. */
import { NO_LIMITS } from '../../../src/domain/users.js';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AppError } from '../../../src/domain/errors.js';
import { findModel, type ModelSpec } from '../../../src/domain/models.js';
import { PriceList } from '../../../src/domain/prices.js';
import { silentLogger } from '../../../src/lib/logger.js';
import { BillingService } from '../../../src/services/billing.js';
import { SqlLedger } from '../../../src/store/ledger-store.js';
import { openStore, type SqlStore } from '../../../src/store/db.js';
import { SqlKeyStore } from '../../../src/store/key-store.js';
import { tempDir } from '../../helpers/stores.js';

function model(id: string): ModelSpec {
  const spec = findModel(id);
  assert.ok(spec, id);
  return spec;
}

function refusedWith(kind: string, pattern: RegExp) {
  return (error: unknown) => error instanceof AppError && error.kind === kind && pattern.test(error.message);
}

describe('billing rules', () => {
  const dir = tempDir('qig-billing-');
  let store: SqlStore;
  let billing: BillingService;
  before(async () => {
    store = await openStore({ databaseUrl: null, dataDir: dir.path });
    const prices = new PriceList('CNY', { 'qwen-image-edit-plus-2025-10-30': '0.15', 'qwen-image': '0.30', '*': '0.05' });
    billing = new BillingService(new SqlLedger(store.db, 'CNY'), () => prices, { now: () => 1_000 }, silentLogger());
    const keys = new SqlKeyStore(store.db);
    for (const [id, balanceMicros] of [['key_metered', 0], ['key_unlimited', null]] as const) {
      await keys.create({ id, name: id, keyHash: `h-${id}`, keyPrefix: id, createdAt: 0, revokedAt: null, expiresAt: null, rateLimitPerMinute: null, maxInFlight: null, models: null, userId: `usr_${id}`, budget: null }, { id: `usr_${id}`, name: id, email: null, group: 'default', balanceMicros: null, limits: NO_LIMITS, createdAt: 0, updatedAt: 0, disabledAt: null });
      // A zero opening balance makes a key metered; without one it is unlimited.
      if (balanceMicros !== null) await billing.credit(id, '0', 'opening', { opening: true });
    }
  });
  after(async () => {
    await store.close();
    dir.remove();
  });

  it("prices an image by the model's own entry, else its family's, else \"*\", and holds n of them", () => {
    assert.deepEqual(billing.quote(model('qwen-image-edit-plus-2025-10-30'), 3), { unitPriceMicros: 150_000, holdMicros: 450_000, multiplierPpm: 1_000_000 });
    assert.deepEqual(billing.quote(model('qwen-image-edit-plus-2025-12-15'), 2), { unitPriceMicros: 180_000, holdMicros: 360_000, multiplierPpm: 1_000_000 }, "the family's default");
    assert.deepEqual(billing.quote(model('qwen-image'), 1), { unitPriceMicros: 300_000, holdMicros: 300_000, multiplierPpm: 1_000_000 }, 'configured over the default');
    assert.equal(new PriceList('CNY', { '*': '0.05' }).perImage(model('qwen-image-edit')), 300_000, 'a default price is more specific than "*"');
  });

  it('holds at the dearest engine of the model\'s route and prices each engine\'s images at its own price', () => {
    const prices = new PriceList('CNY', {}, { perEngine: { cloud: { '*': '0.50' }, cheap: { 'qwen-image-edit-plus': '0.10' } }, engineTypes: { cloud: 'dashscope', cheap: 'fal', cpu: 'local' } });
    const routes: Record<string, string[]> = { 'qwen-image-edit-plus': ['cheap', 'cloud', 'cpu'], 'qwen-image': ['cpu'] };
    const routed = new BillingService(new SqlLedger(store.db, 'CNY'), () => prices, { now: () => 1_000 }, silentLogger(), (m) => routes[m.id] ?? []);
    assert.deepEqual(routed.quote(model('qwen-image-edit-plus'), 2), { unitPriceMicros: 500_000, holdMicros: 1_000_000, multiplierPpm: 1_000_000 });
    assert.deepEqual(routed.quote(model('qwen-image'), 3), { unitPriceMicros: 0, holdMicros: 0, multiplierPpm: 1_000_000 }, 'a route of the local engine alone holds nothing');
    assert.deepEqual(routed.quote(model('qwen-image-max'), 1), { unitPriceMicros: 500_000, holdMicros: 500_000, multiplierPpm: 1_000_000 }, 'no route: the model\'s price');
    assert.equal(routed.unitPrice('qwen-image-edit-plus', 'cheap'), 100_000);
    assert.equal(routed.unitPrice('qwen-image-edit-plus', 'cpu'), 0);
    assert.equal(routed.unitPrice('qwen-image-edit-plus', null), 180_000);
    assert.equal(routed.unitPrice('a-retired-model', 'cloud'), 500_000);
  });

  it('refuses, before any work, a metered key that cannot cover the hold; an unlimited key always pays', async () => {
    await assert.rejects(billing.assertCanPay({ userId: 'usr_key_metered' }, 1), refusedWith('insufficient_balance', /Insufficient balance/));
    await billing.credit('key_metered', '0.36', 'top-up');
    await billing.assertCanPay({ userId: 'usr_key_metered' }, 360_000);
    await assert.rejects(billing.assertCanPay({ userId: 'usr_key_metered' }, 360_001), refusedWith('insufficient_balance', /Insufficient balance/));
    await billing.assertCanPay({ userId: 'usr_key_unlimited' }, 10 ** 12);
    assert.deepEqual(await billing.balance('key_metered'), { balance: '0.36', held: '0.00', currency: 'CNY' });
    assert.deepEqual(await billing.balance('key_unlimited'), { balance: null, held: '0.00', currency: 'CNY' });
  });

  it('takes a credit only as a positive decimal of at most 6 places, naming the field; an opening balance may be zero', () => {
    assert.equal(billing.parseCredit('12.5'), 12_500_000);
    assert.equal(billing.parseCredit('0.000001'), 1);
    assert.equal(billing.parseCredit('0', { opening: true }), 0);
    for (const amount of ['0', '-1', '1.0000001', 'ten', '', '1e3']) {
      assert.throws(() => billing.parseCredit(amount), refusedWith('invalid_parameter', /^amount: must be a positive decimal amount/), amount);
    }
    assert.throws(() => billing.parseCredit('-1', { opening: true, field: 'balance' }), refusedWith('invalid_parameter', /^balance: must be a decimal amount like "10\.00"/));
  });
});
