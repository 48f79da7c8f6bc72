/** Prices by engine: the order of lookup, the free local engine, and the hold over a route. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findModel, listModels, type ModelSpec } from '../../../src/domain/models.js';
import { MAX_MICROS } from '../../../src/domain/money.js';
import { MAX_PRICE_MICROS, MAX_PRICE_TEXT, parsePrice, PRICE_KEYS, PriceList } from '../../../src/domain/prices.js';

function model(id: string): ModelSpec {
  const spec = findModel(id);
  assert.ok(spec, id);
  return spec;
}

const PLUS = model('qwen-image-edit-plus');
const DATED = model('qwen-image-edit-plus-2025-10-30');
const EDIT = model('qwen-image-edit');

const types = { cloud: 'dashscope', reseller: 'openai-compatible', cpu: 'local', gpu: 'comfyui' };

describe('prices by engine', () => {
  it('looks a price up: perEngine by model, family, "*"; then free for a local engine; then perImage and the defaults', () => {
    const prices = new PriceList(
      'CNY',
      { 'qwen-image-edit-plus-2025-10-30': '0.15', 'qwen-image-edit': '0.40', '*': '0.05' },
      {
        perEngine: {
          cloud: { 'qwen-image-edit-plus-2025-10-30': '0.11', 'qwen-image-edit-plus': '0.12', '*': '0.13' },
          cpu: { 'qwen-image-edit': '0.01' },
          gpu: { '*': '0.02' },
        },
        engineTypes: types,
      },
    );
    // 1. perEngine: the model's own, its family's, then "*".
    assert.equal(prices.forEngine(DATED, 'cloud'), 110_000);
    assert.equal(prices.forEngine(model('qwen-image-edit-plus-2025-12-15'), 'cloud'), 120_000);
    assert.equal(prices.forEngine(EDIT, 'cloud'), 130_000);
    assert.equal(prices.forEngine(EDIT, 'gpu'), 20_000);
    // 2. A local engine is free unless perEngine names the model for it.
    assert.equal(prices.forEngine(EDIT, 'cpu'), 10_000, 'perEngine prices the local engine');
    assert.equal(prices.forEngine(PLUS, 'cpu'), 0, 'a local engine is free where perEngine says nothing');
    // 3. perImage and the defaults, for an engine perEngine does not name.
    assert.equal(prices.forEngine(DATED, 'reseller'), 150_000, 'perImage by model id');
    assert.equal(prices.forEngine(EDIT, 'reseller'), 400_000, 'perImage over the default');
    assert.equal(prices.forEngine(PLUS, 'reseller'), 180_000, 'the default of the model');
    assert.equal(prices.forEngine(model('qwen-image-edit-plus-2025-12-15'), 'reseller'), 180_000, "the default of the model's family");
    assert.equal(prices.forEngine({ id: 'retired-model', family: 'retired-model' }, 'reseller'), 50_000, 'perImage "*" for a model without a default');
    // No engine (and an engine the list was not told about) is priced like perImage.
    assert.equal(prices.forEngine(PLUS, null), prices.perImage(PLUS));
    assert.equal(prices.forEngine(PLUS, 'elsewhere'), 180_000);
  });

  it('charges nothing for a local engine with no price configuration at all, and the defaults for others', () => {
    const prices = new PriceList('CNY', {}, { engineTypes: { local: 'local', dashscope: 'dashscope' } });
    assert.equal(prices.forEngine(PLUS, 'local'), 0);
    assert.equal(prices.forEngine(PLUS, 'dashscope'), 180_000);
    assert.equal(prices.perImage(PLUS), 180_000, 'perImage keeps its meaning: the price of the model');
  });

  it('a configured perImage does not price the local engine; perEngine does', () => {
    const free = new PriceList('CNY', { '*': '0.05', 'qwen-image-edit-plus': '0.20' }, { engineTypes: { local: 'local' } });
    assert.equal(free.forEngine(PLUS, 'local'), 0);
    const charged = new PriceList('CNY', {}, { perEngine: { local: { '*': '0.01' } }, engineTypes: { local: 'local' } });
    assert.equal(charged.forEngine(PLUS, 'local'), 10_000);
  });

  it('holds at the dearest engine of the route, whatever its order; no route holds perImage', () => {
    const prices = new PriceList('CNY', {}, { perEngine: { cloud: { '*': '0.50' }, reseller: { '*': '0.10' } }, engineTypes: types });
    assert.equal(prices.holdPrice(PLUS, ['reseller', 'cloud', 'cpu']), 500_000);
    assert.equal(prices.holdPrice(PLUS, ['cloud', 'reseller']), 500_000);
    assert.equal(prices.holdPrice(PLUS, ['reseller', 'cpu']), 100_000);
    assert.equal(prices.holdPrice(PLUS, ['cpu']), 0);
    assert.equal(prices.holdPrice(PLUS, []), 180_000);
  });

  it('refuses an amount that is not one, naming where it is', () => {
    assert.throws(() => new PriceList('CNY', {}, { perEngine: { cloud: { '*': 'ten' } } }), /prices\.perEngine\.cloud\.\*: "ten" is not an amount/);
    assert.throws(() => new PriceList('CNY', { '*': '1000000.000001' }), /prices\.perImage\.\*: "1000000\.000001" is not an amount from 0 to 1000000/);
  });

  it('bounds a price so that the largest hold is an exact integer of micros', () => {
    assert.equal(parsePrice(MAX_PRICE_TEXT), MAX_PRICE_MICROS);
    assert.equal(parsePrice('1000000.000001'), null);
    assert.equal(parsePrice('99999999999999999999'), null);
    assert.equal(parsePrice('0.1234567'), null, 'more than 6 decimals');
    assert.equal(parsePrice('0.000001'), 1);
    // The hold is price × n; the dearest price times the largest n of any model stays exact.
    const maxN = Math.max(...listModels().map((spec) => spec.maxN));
    assert.ok(Number.isSafeInteger(MAX_PRICE_MICROS * maxN) && MAX_PRICE_MICROS * maxN <= MAX_MICROS);
    const prices = new PriceList('CNY', { '*': MAX_PRICE_TEXT }, { perEngine: { cloud: { '*': MAX_PRICE_TEXT } }, engineTypes: types });
    assert.equal(prices.holdPrice(model('qwen-image-2.0-pro'), ['cloud', 'cpu']) * maxN, 1_000_000_000_000 * maxN);
  });

  it('takes as keys every model id, every family and "*", and nothing else', () => {
    for (const spec of listModels()) {
      assert.ok(PRICE_KEYS.includes(spec.id), spec.id);
      assert.ok(PRICE_KEYS.includes(spec.family), spec.family);
    }
    assert.ok(PRICE_KEYS.includes('*'));
    assert.equal(PRICE_KEYS.length, listModels().length + 1);
    assert.ok(!PRICE_KEYS.includes('qwen-image-edit-pluss'));
  });
});
