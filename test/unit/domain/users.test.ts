/** The customers' rules: multipliers, their rounding, budget windows, and how a key narrows its user's limits. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../../../src/domain/errors.js';
import { applyMultiplier, assertNarrows, assertNarrowsItself, budgetExceeded, isRestricted, budgetWindow, formatMultiplier, multiplierFor, NO_LIMITS, narrowLimits, parseMultiplier } from '../../../src/domain/users.js';

const refused = (field: string, message: RegExp) => (error: unknown) => error instanceof AppError && error.kind === 'invalid_parameter' && error.field === field && message.test(error.message);

describe('multipliers', () => {
  it('reads decimals of up to 6 places from 0 to 100, and writes them back as short as they go', () => {
    for (const [text, ppm] of [['0.8', 800_000], ['1', 1_000_000], ['1.25', 1_250_000], ['0', 0], ['100', 100_000_000], ['0.000001', 1], [' 2.5 ', 2_500_000]] as const) {
      assert.equal(parseMultiplier(text), ppm, text);
    }
    for (const text of ['', '-0.5', '100.000001', '1e3', '0.1234567', 'abc', '.5', '1.']) assert.equal(parseMultiplier(text), null, text);
    assert.deepEqual([800_000, 1_000_000, 1_250_000, 1, 0].map(formatMultiplier), ['0.8', '1', '1.25', '0.000001', '0']);
  });

  it('prices in whole micros, half up, exactly even at the largest amounts kept', () => {
    assert.equal(applyMultiplier(180_000, 800_000), 144_000);
    assert.equal(applyMultiplier(1, 500_000), 1, 'half a micro rounds up');
    assert.equal(applyMultiplier(1, 499_999), 0);
    assert.equal(applyMultiplier(333_333, 1_333_333), 444_444);
    assert.equal(applyMultiplier(9_000_000_000_000_000, 1_000_001), 9_000_009_000_000_000);
    assert.equal(applyMultiplier(123_456, 1_000_000), 123_456);
  });

  it('never prices a cheaper image above a dearer one (so a charge never passes its hold)', () => {
    for (let price = 0; price < 2_000; price += 7) {
      for (const ppm of [1, 333_333, 800_000, 1_333_333, 99_999_999]) assert.ok(applyMultiplier(price, ppm) <= applyMultiplier(price + 1, ppm));
    }
  });

  it("takes the model's override, else its family's, else the group's", () => {
    const group = { multiplierPpm: 800_000, overrides: { 'qwen-image-edit-plus-2025-10-30': 500_000, 'qwen-image': 1_250_000 } };
    assert.equal(multiplierFor(group, { id: 'qwen-image-edit-plus-2025-10-30', family: 'qwen-image-edit-plus' }), 500_000);
    assert.equal(multiplierFor(group, { id: 'qwen-image-plus', family: 'qwen-image' }), 1_250_000);
    assert.equal(multiplierFor(group, { id: 'qwen-image-max', family: 'qwen-image-max' }), 800_000);
  });
});

describe('budget windows', () => {
  it('are UTC days and calendar months, the reset being the next one', () => {
    const at = Date.parse('2026-12-31T23:59:59.999Z');
    assert.deepEqual(budgetWindow('day', at), { start: Date.parse('2026-12-31T00:00:00Z'), resetAt: Date.parse('2027-01-01T00:00:00Z') });
    assert.deepEqual(budgetWindow('month', at), { start: Date.parse('2026-12-01T00:00:00Z'), resetAt: Date.parse('2027-01-01T00:00:00Z') });
    assert.deepEqual(budgetWindow('month', Date.parse('2028-02-29T12:00:00Z')), { start: Date.parse('2028-02-01T00:00:00Z'), resetAt: Date.parse('2028-03-01T00:00:00Z') });
  });

  it('refuse with a message naming the budget, what was spent and the reset, not retryable', () => {
    const error = budgetExceeded('key', { micros: 5_000_000, period: 'day' }, 4_900_000, 180_000, Date.parse('2026-12-05T00:00:00Z'), 'CNY');
    assert.equal(error.kind, 'budget_exceeded');
    assert.equal(error.retryable, false);
    assert.equal(error.message, "The key's daily budget of ¥5.00 would be exceeded: ¥4.90 spent or held today (UTC), and this request holds ¥0.18. The budget resets at 2026-12-05T00:00:00.000Z.");
  });
});

describe('a key narrows its user', () => {
  const user = { rateLimitPerMinute: 60, maxInFlight: 4, models: ['qwen-image-edit-plus', 'qwen-image'], budget: { micros: 100_000_000, period: 'month' as const } };

  it('applies the stricter of each limit, and only the models both allow', () => {
    assert.deepEqual(narrowLimits(user, { rateLimitPerMinute: 10, maxInFlight: null, models: ['qwen-image', 'qwen-image-max'], budget: null }), { rateLimitPerMinute: 10, maxInFlight: 4, models: ['qwen-image'] });
    assert.deepEqual(narrowLimits(NO_LIMITS, { rateLimitPerMinute: null, maxInFlight: 2, models: null, budget: null }), { rateLimitPerMinute: null, maxInFlight: 2, models: null });
    assert.deepEqual(narrowLimits(user, NO_LIMITS), { rateLimitPerMinute: 60, maxInFlight: 4, models: user.models });
  });

  it('refuses, naming the field, a limit that would widen its user\'s; no limit of its own is fine', () => {
    assert.throws(() => assertNarrows(user, { rateLimitPerMinute: 61 }), refused('rateLimitPerMinute', /narrow its user's limit of 60 but not widen it \(got 61\)/));
    assert.throws(() => assertNarrows(user, { maxInFlight: 5 }, { maxInFlight: 'max_in_flight' }), refused('max_in_flight', /limit of 4/));
    assert.throws(() => assertNarrows(user, { models: ['qwen-image-max'] }), refused('models', /cannot add qwen-image-max/));
    assert.throws(() => assertNarrows(user, { budget: { micros: 100_000_001, period: 'month' } }), refused('budget', /cannot exceed/));
    assertNarrows(user, { rateLimitPerMinute: null, maxInFlight: null, models: null, budget: null });
    assertNarrows(user, { rateLimitPerMinute: 60, maxInFlight: 1, models: ['qwen-image'], budget: { micros: 1, period: 'day' } });
    assertNarrows(NO_LIMITS, { rateLimitPerMinute: 1_000, models: ['qwen-image-max'] });
  });

  it('a key with limits of its own is restricted, and only narrows itself: each limit it has stays set', () => {
    const none = { ...NO_LIMITS, expiresAt: null };
    assert.equal(isRestricted(none), false);
    for (const own of [{ rateLimitPerMinute: 1 }, { maxInFlight: 1 }, { models: [] }, { budget: { micros: 1, period: 'day' as const } }, { expiresAt: 1 }]) assert.equal(isRestricted({ ...none, ...own }), true);
    const own = { rateLimitPerMinute: 10, maxInFlight: null, models: ['qwen-image'], budget: { micros: 5_000_000, period: 'month' as const }, expiresAt: 2_000 };
    assertNarrowsItself(own, { ...own, rateLimitPerMinute: 5, maxInFlight: 1, budget: { micros: 1, period: 'month' }, expiresAt: 1_000 });
    assert.throws(() => assertNarrowsItself(own, { ...own, rateLimitPerMinute: null }), refused('rateLimitPerMinute', /got none/));
    assert.throws(() => assertNarrowsItself(own, { ...own, models: ['qwen-image', 'qwen-image-max'] }), refused('models', /cannot add qwen-image-max/));
    assert.throws(() => assertNarrowsItself(own, { ...own, budget: { micros: 1, period: 'day' } }), refused('budget', /monthly budget of at most 5\.00/));
    assert.throws(() => assertNarrowsItself(own, { ...own, expiresAt: null }), refused('expiresAt', /no later than/));
  });
});
