/** Prices by engine: the order of lookup, the free local engine, and the hold over a route. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findModel, type ModelSpec } from '../../../src/domain/models.js';
import { PriceList } from '../../../src/domain/prices.js';

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
  });
});
