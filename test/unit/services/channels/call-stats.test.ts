/** A credential's sliding window of calls and errors. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CallStats } from '../../../../src/services/channels/call-stats.js';

describe('call statistics', () => {
  it('counts calls and errors over the last 5 minutes, keeping the last error and latency', () => {
    let now = 1_000_000;
    const stats = new CallStats({ now: () => now });
    stats.record({ latencyMs: 120 });
    stats.record({ error: 'DashScope (cloud): rate limited' });
    now += 60_000;
    stats.record({ latencyMs: 80 });
    assert.deepEqual(stats.figures(), { calls: 3, errors: 1, errorRate: 1 / 3, lastError: 'DashScope (cloud): rate limited', lastLatencyMs: 80 });
    now += 250_000;
    assert.equal(stats.figures().calls, 1, 'the first minute has left the window');
    now += 3_600_000;
    assert.deepEqual({ ...stats.figures(), lastError: null }, { calls: 0, errors: 0, errorRate: 0, lastError: null, lastLatencyMs: 80 });
    stats.record({ error: 'x'.repeat(1000) });
    assert.ok((stats.figures().lastError ?? '').length <= 301, 'the message is clipped');
    assert.equal(stats.figures().calls, 1, 'a reused bucket starts from zero');
  });
});
