import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findModel } from '../../../src/domain/models.js';
import { formatAmount, formatMoney, MAX_AMOUNT_TEXT, MAX_MICROS, parseAmount, usageLine } from '../../../src/domain/money.js';
import { PriceList } from '../../../src/domain/prices.js';

describe('money', () => {
  it('parses decimal strings into exact micros', () => {
    assert.equal(parseAmount('0.18'), 180_000);
    assert.equal(parseAmount('12'), 12_000_000);
    assert.equal(parseAmount('0.000001'), 1);
    assert.equal(parseAmount('1.5'), 1_500_000);
    for (const bad of ['-1', '0.1234567', 'abc', '', '1e3', '1,5']) assert.equal(parseAmount(bad), null, bad);
  });
  it('is exact up to 2^53 − 1 micros and refuses what lies beyond, instead of rounding', () => {
    assert.equal(parseAmount(MAX_AMOUNT_TEXT), MAX_MICROS);
    assert.equal(formatAmount(parseAmount('9007199254.740990') as number), '9007199254.74099');
    for (const big of ['9007199254.740992', '9007199254.740993', '9999999999999999', '99999999999999999']) assert.equal(parseAmount(big), null, big);
  });
  it('formats micros back, exactly', () => {
    assert.equal(formatAmount(360_000), '0.36');
    assert.equal(formatAmount(1_080_000), '1.08');
    assert.equal(formatAmount(12_000_000), '12.00');
    assert.equal(formatAmount(1), '0.000001');
    assert.equal(formatAmount(1_500_000), '1.50');
    assert.equal(formatAmount(-180_000), '-0.18');
    assert.equal(formatAmount(123_450), '0.12345');
  });
  it('sums without float error', () => {
    let total = 0;
    for (let i = 0; i < 1000; i += 1) total += parseAmount('0.18') as number;
    assert.equal(formatAmount(total), '180.00');
  });
  it('writes seed 004\'s usage line', () => {
    assert.equal(usageLine(2, 180_000, 'CNY'), 'Image generation: 2 images × ¥0.18 = ¥0.36');
    assert.equal(usageLine(6, 180_000, 'CNY'), 'Image generation: 6 images × ¥0.18 = ¥1.08');
    assert.equal(usageLine(1, 20_000, 'USD'), 'Image generation: 1 image × $0.02 = $0.02');
    assert.equal(formatMoney(100, 'CHF'), 'CHF 0.0001');
  });
  it('prices by model, family, or "*"', () => {
    const prices = new PriceList('CNY', { 'qwen-image-edit-plus-2025-12-15': '0.20', '*': '1' });
    assert.equal(prices.perImage(findModel('qwen-image-edit-plus')!), 180_000);
    assert.equal(prices.perImage(findModel('qwen-image-edit-plus-2025-10-30')!), 180_000);
    assert.equal(prices.perImage(findModel('qwen-image-edit-plus-2025-12-15')!), 200_000);
    assert.equal(new PriceList('CNY', {}).perImage(findModel('qwen-image-2.0-pro')!), 500_000);
  });
});
