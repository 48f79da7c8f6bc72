/** The client's pure timing and URL helpers: Retry-After, backoff, the poll cadence, base URLs, sleep. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { basesOf } from '../../../src/client/client.js';
import { pollDelayMs } from '../../../src/client/tasks.js';
import { backoffMs, retryAfterMs, sleep } from '../../../src/client/transport.js';

describe('retryAfterMs', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');

  it('reads delta-seconds, fractions included', () => {
    assert.equal(retryAfterMs('1', now), 1000);
    assert.equal(retryAfterMs('0', now), 0);
    assert.equal(retryAfterMs('0.5', now), 500);
    assert.equal(retryAfterMs(' 2 ', now), 2000);
  });

  it('reads an HTTP date relative to now, and a past one as 0', () => {
    assert.equal(retryAfterMs(new Date(now + 30_000).toUTCString(), now), 30_000);
    assert.equal(retryAfterMs('Thu, 01 Jan 2026 00:00:05 GMT', now), 5000);
    assert.equal(retryAfterMs(new Date(now - 10_000).toUTCString(), now), 0);
  });

  it('caps both forms at 60 s', () => {
    assert.equal(retryAfterMs('120', now), 60_000);
    assert.equal(retryAfterMs('86400', now), 60_000);
    assert.equal(retryAfterMs(new Date(now + 3_600_000).toUTCString(), now), 60_000);
  });

  it('answers null when absent, empty or unreadable', () => {
    for (const header of [null, '', '   ', 'soon', 'Infinity', 'NaN', '1s', 'Fri, 99 Foo 2026']) {
      assert.equal(retryAfterMs(header, now), null, String(header));
    }
  });
});

describe('backoffMs', () => {
  it('waits between half the ceiling and the ceiling, the ceiling doubling from 500 ms up to 8 s', () => {
    const ceilings = [500, 1000, 2000, 4000, 8000, 8000, 8000];
    for (const [attempt, ceiling] of ceilings.entries()) {
      assert.equal(backoffMs(attempt, () => 0), ceiling / 2, `attempt ${attempt} lowest`);
      assert.equal(backoffMs(attempt, () => 0.5), (ceiling * 3) / 4, `attempt ${attempt} middle`);
      const highest = backoffMs(attempt, () => 0.999999);
      assert.ok(highest < ceiling && highest > ceiling * 0.99, `attempt ${attempt} highest: ${highest}`);
    }
    assert.equal(backoffMs(40, () => 1), 8000, 'never above 8 s, however many attempts');
  });

  it('stays within its bounds with the real random', () => {
    for (let i = 0; i < 200; i += 1) {
      const ms = backoffMs(1);
      assert.ok(ms >= 500 && ms <= 1000, String(ms));
    }
  });
});

describe('pollDelayMs', () => {
  it('follows DashScope\'s SDK cadence: 1 s three times, 2 s three times, 4 s three times, then 5 s', () => {
    const seconds = Array.from({ length: 14 }, (_, poll) => pollDelayMs(poll) / 1000);
    assert.deepEqual(seconds, [1, 1, 1, 2, 2, 2, 4, 4, 4, 5, 5, 5, 5, 5]);
    assert.equal(pollDelayMs(1000), 5000);
  });
});

describe('basesOf', () => {
  const cases: Array<[string, string, string]> = [
    ['http://h:1', 'http://h:1/api/v1', 'http://h:1'],
    ['http://h:1/', 'http://h:1/api/v1', 'http://h:1'],
    ['https://dashscope.aliyuncs.com/api/v1', 'https://dashscope.aliyuncs.com/api/v1', 'https://dashscope.aliyuncs.com'],
    ['https://dashscope.aliyuncs.com/api/v1/', 'https://dashscope.aliyuncs.com/api/v1', 'https://dashscope.aliyuncs.com'],
    ['https://x/aliyun', 'https://x/aliyun/api/v1', 'https://x/aliyun'],
    ['https://x/aliyun/api/v1', 'https://x/aliyun/api/v1', 'https://x/aliyun'],
  ];
  for (const [baseUrl, apiBase, root] of cases) {
    it(`${baseUrl} → ${apiBase}`, () => {
      assert.deepEqual(basesOf(baseUrl), { apiBase, root });
    });
  }

  it('refuses what is not a URL', () => {
    assert.throws(() => basesOf('127.0.0.1:8080'), TypeError);
  });
});

describe('sleep', () => {
  it('resolves after the time, and rejects with the signal\'s reason when it aborts', async () => {
    await sleep(1);
    const controller = new AbortController();
    const waiting = sleep(60_000, controller.signal);
    controller.abort();
    await assert.rejects(waiting, (error: Error) => error.name === 'AbortError');
    const reason = new Error('stop');
    await assert.rejects(sleep(60_000, AbortSignal.abort(reason)), (error) => error === reason);
  });
});
