/** Weighted selection: the spread follows the weights, priorities fall back, a seed repeats its order. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { orderRoute, pickWeighted, seededRandom, weightedOrder } from '../../../../src/services/channels/selection.js';

const WEIGHTS = { a: 1, b: 2, c: 7 } as const;
type Name = keyof typeof WEIGHTS;
const NAMES = Object.keys(WEIGHTS) as Name[];

function assertSpread(counts: Map<Name, number>, total: number): void {
  for (const name of NAMES) {
    const expected = (total * WEIGHTS[name]) / 10;
    const seen = counts.get(name) ?? 0;
    assert.ok(Math.abs(seen - expected) / expected < 0.05, `${name}: ${seen} of ${total}, expected about ${expected}`);
  }
}

describe('weighted selection', () => {
  it('picks in proportion to the weights over 10,000 seeded picks', () => {
    const random = seededRandom('spread');
    const counts = new Map<Name, number>();
    for (let i = 0; i < 10_000; i += 1) {
      const name = pickWeighted(NAMES, (n) => WEIGHTS[n], random) as Name;
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
    assertSpread(counts, 10_000);
  });

  it("puts each item first in proportion to its weight (Efraimidis–Spirakis)", () => {
    const random = seededRandom('first');
    const counts = new Map<Name, number>();
    for (let i = 0; i < 10_000; i += 1) {
      const first = weightedOrder(NAMES, (n) => WEIGHTS[n], random)[0] as Name;
      counts.set(first, (counts.get(first) ?? 0) + 1);
    }
    assertSpread(counts, 10_000);
  });

  it('keeps every item once, weightless ones last', () => {
    const order = weightedOrder(['x', 'zero', 'y'], (n) => (n === 'zero' ? 0 : 1), seededRandom('s'));
    assert.equal(order.length, 3);
    assert.equal(order[2], 'zero');
  });

  it('orders a route by priority, higher first, dropping unusable channels (fallback to the next priority)', () => {
    const entries = [
      { channel: 'backup', priority: 1, weight: 1 },
      { channel: 'main-a', priority: 10, weight: 1 },
      { channel: 'main-b', priority: 10, weight: 1 },
    ];
    const all = orderRoute(entries, () => true, seededRandom('t'));
    assert.deepEqual(new Set(all.slice(0, 2).map((e) => e.channel)), new Set(['main-a', 'main-b']));
    assert.equal(all[2]?.channel, 'backup');
    const fallback = orderRoute(entries, (channel) => !channel.startsWith('main'), seededRandom('t'));
    assert.deepEqual(fallback.map((e) => e.channel), ['backup']);
  });

  it('gives the same order for the same seed', () => {
    const entries = Array.from({ length: 8 }, (_, i) => ({ channel: `c${i}`, priority: i % 2, weight: i + 1 }));
    const once = orderRoute(entries, () => true, seededRandom('task-abc')).map((e) => e.channel);
    const again = orderRoute(entries, () => true, seededRandom('task-abc')).map((e) => e.channel);
    assert.deepEqual(again, once);
    const orders = new Set(Array.from({ length: 20 }, (_, i) => orderRoute(entries, () => true, seededRandom(`task-${i}`)).map((e) => e.channel).join()));
    assert.ok(orders.size > 1, 'other seeds give other orders');
  });
});
