/** The queue contract, run on every queue driver. */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { BullMqQueue } from '../../src/queue/bullmq-queue.js';
import { MemoryQueue } from '../../src/queue/memory-queue.js';
import type { TaskQueue } from '../../src/queue/queue.js';
import { dropRedisPrefixes, testRedisPrefix } from '../helpers/redis.js';

interface QueueTarget {
  name: string;
  create(): Promise<TaskQueue>;
}

const targets: QueueTarget[] = [{ name: 'memory', create: async () => new MemoryQueue() }];

const redisUrl = process.env.REDIS_URL;
if (redisUrl) {
  // A prefix per queue: the tests never see each other's jobs.
  const prefixes: string[] = [];
  after(() => dropRedisPrefixes(redisUrl, prefixes));
  targets.push({
    name: 'bullmq',
    async create() {
      const prefix = testRedisPrefix();
      prefixes.push(prefix);
      const queue = new BullMqQueue({ url: redisUrl, prefix });
      await queue.ready();
      return queue;
    },
  });
}

async function until(condition: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(5);
  }
}

for (const target of targets) {
  describe(`queue contract: ${target.name}`, () => {
    it('delivers every id, in order with concurrency 1', async () => {
      const queue = await target.create();
      const seen: string[] = [];
      queue.consume(async (id) => void seen.push(id), 1);
      for (let i = 0; i < 20; i += 1) await queue.enqueue(`t${i}`);
      await until(() => seen.length === 20);
      assert.deepEqual(seen, Array.from({ length: 20 }, (_, i) => `t${i}`));
      await queue.close();
    });

    it('never runs more handlers at once than the concurrency', async () => {
      const queue = await target.create();
      let active = 0;
      let peak = 0;
      let done = 0;
      queue.consume(async () => {
        active += 1;
        peak = Math.max(peak, active);
        await sleep(10);
        active -= 1;
        done += 1;
      }, 3);
      for (let i = 0; i < 12; i += 1) await queue.enqueue(`c${i}`);
      await until(() => done === 12);
      assert.equal(peak, 3);
      await queue.close();
    });

    it('holds a delayed id until its time', async () => {
      const queue = await target.create();
      const seen: Array<[string, number]> = [];
      const start = Date.now();
      queue.consume(async (id) => void seen.push([id, Date.now() - start]), 2);
      await queue.enqueue('later', { delayMs: 120 });
      await queue.enqueue('now');
      await until(() => seen.length === 2);
      assert.equal(seen[0]?.[0], 'now');
      assert.equal(seen[1]?.[0], 'later');
      assert.ok((seen[1]?.[1] ?? 0) >= 100);
      await queue.close();
    });

    it('does not queue the same id twice while it waits', async () => {
      const queue = await target.create();
      const seen: string[] = [];
      await queue.enqueue('dup');
      await queue.enqueue('dup');
      await queue.enqueue('dup', { delayMs: 50 });
      assert.equal((await queue.stats()).waiting, 1);
      queue.consume(async (id) => void seen.push(id), 1);
      await sleep(120);
      assert.deepEqual(seen, ['dup']);
      await queue.close();
    });

    it('runs an id again that its own running handler queued with a delay (a parked re-poll)', async () => {
      const queue = await target.create();
      const runs: number[] = [];
      const start = Date.now();
      queue.consume(async (id) => {
        runs.push(Date.now() - start);
        if (runs.length < 3) await queue.enqueue(id, { delayMs: 60 });
      }, 2);
      await queue.enqueue('poll');
      await until(() => runs.length === 3);
      assert.ok((runs[2] ?? 0) - (runs[0] ?? 0) >= 100, `re-polls waited their delay: ${runs.join(', ')}`);
      await sleep(150);
      assert.equal(runs.length, 3);
      await queue.close();
    });

    it('brings a delayed id forward when it is queued again without a delay', async () => {
      const queue = await target.create();
      const seen: string[] = [];
      queue.consume(async (id) => void seen.push(id), 1);
      await queue.enqueue('parked', { delayMs: 60_000 });
      assert.equal((await queue.stats()).delayed, 1);
      await queue.enqueue('parked');
      await until(() => seen.length === 1);
      assert.deepEqual(seen, ['parked']);
      await sleep(50);
      assert.deepEqual(await queue.stats(), { waiting: 0, delayed: 0, active: 0 });
      await queue.close();
    });

    it('keeps running after a handler throws', async () => {
      const queue = await target.create();
      const seen: string[] = [];
      queue.consume(async (id) => {
        if (id === 'bad') throw new Error('boom');
        seen.push(id);
      }, 1);
      await queue.enqueue('bad');
      await queue.enqueue('good');
      await until(() => seen.length === 1);
      assert.deepEqual(seen, ['good']);
      await queue.close();
    });

    it('close waits for running handlers up to the deadline and drops the rest', async () => {
      const queue = await target.create();
      let finished = 0;
      queue.consume(async () => {
        await sleep(50);
        finished += 1;
      }, 1);
      await queue.enqueue('a');
      await queue.enqueue('b');
      await sleep(10);
      await queue.close(1000);
      assert.equal(finished, 1);
      await sleep(80);
      assert.equal(finished, 1);
    });
  });
}
