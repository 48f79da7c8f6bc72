// The guard's DNS cache: a name's answer is reused for a while, shared by those asking at once, and a failure is not kept.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cachingResolver, type ResolvedAddress } from '../../../src/lib/url-guard.js';

describe('cachingResolver', () => {
  it('reuses an answer until its time is up, and shares a lookup in flight', async () => {
    let clock = 0;
    const asked: string[] = [];
    const resolve = cachingResolver(async (name) => {
      asked.push(name);
      return [{ address: `192.0.2.${asked.length}`, family: 4 }];
    }, 1_000, 10, () => clock);
    const [a, b] = await Promise.all([resolve('up.example'), resolve('up.example')]);
    assert.deepEqual(a, b);
    clock = 999;
    assert.deepEqual(await resolve('up.example'), a);
    assert.deepEqual(asked, ['up.example']);
    clock = 1_000;
    assert.equal(((await resolve('up.example'))[0] as ResolvedAddress).address, '192.0.2.2');
    await resolve('other.example');
    assert.deepEqual(asked, ['up.example', 'up.example', 'other.example']);
  });

  it('asks again after a failure, and forgets the oldest name past its size', async () => {
    let calls = 0;
    const resolve = cachingResolver(async (name) => {
      calls += 1;
      if (name === 'flaky.example' && calls === 1) throw new Error('SERVFAIL');
      return [{ address: '192.0.2.1', family: 4 }];
    }, 60_000, 2, () => 0);
    await assert.rejects(resolve('flaky.example'), /SERVFAIL/);
    await resolve('flaky.example');
    assert.equal(calls, 2);
    await resolve('a.example');
    await resolve('b.example');
    await resolve('flaky.example');
    assert.equal(calls, 5, 'flaky.example was the oldest of three names in a cache of two');
  });
});
