/**
 * The Redis drivers as several nodes see them: a rate bucket shared by two limiters, task events
 * crossing from one node to another, and BullMQ jobs shared, handed back and recovered from a
 * worker that vanished. Runs when REDIS_URL is set.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { silentLogger } from '../../../src/lib/logger.js';
import { connectRedis, failFastOptions } from '../../../src/lib/redis.js';
import { BullMqQueue } from '../../../src/queue/bullmq-queue.js';
import type { TaskEvent } from '../../../src/events/events.js';
import { RedisTaskEvents } from '../../../src/events/redis-events.js';
import { RedisRateLimiter } from '../../../src/rate-limits/redis-rate-limit.js';
import { dropRedisPrefixes, testRedisPrefix } from '../../helpers/redis.js';
import { refusal } from '../../helpers/refusal.js';
import { startOwnRedis, startTcpProxy } from '../../faults/infra.js';

const url = process.env.REDIS_URL;
const prefixes: string[] = [];
const fresh = () => {
  const prefix = testRedisPrefix();
  prefixes.push(prefix);
  return prefix;
};

async function until(condition: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(10);
  }
}


describe('Redis drivers', { skip: url ? false : 'REDIS_URL is not set' }, () => {
  const redisUrl = url as string;
  after(() => dropRedisPrefixes(redisUrl, prefixes));

  it('rate limits: one bucket per key shared by every node, refilled continuously, with Retry-After', async () => {
    const prefix = fresh();
    const [a, b] = await Promise.all([connectRedis(redisUrl, failFastOptions('t1')), connectRedis(redisUrl, failFastOptions('t2'))]);
    try {
      const nodeA = new RedisRateLimiter(a, prefix, silentLogger());
      const nodeB = new RedisRateLimiter(b, prefix, silentLogger());
      // 120 per minute: a full bucket of 120, then one token every 500 ms.
      const takes = await Promise.allSettled(Array.from({ length: 130 }, (_, i) => (i % 2 ? nodeA : nodeB).take('key_1', 120)));
      assert.equal(takes.filter((t) => t.status === 'fulfilled').length, 120);
      const refused = await refusal(nodeA.take('key_1', 120));
      assert.equal(refused.kind, 'rate_limited');
      assert.match(refused.message, /120 requests per minute/);
      assert.equal(refused.retryAfterSeconds, 1);
      await nodeB.take('key_2', 120);
      await sleep(550);
      await nodeB.take('key_1', 120);
      await refusal(nodeA.take('key_1', 120));

      await nodeA.take('slow', 2);
      await nodeB.take('slow', 2);
      assert.equal((await refusal(nodeA.take('slow', 2))).retryAfterSeconds, 30);
      const ttl = await a.pttl(`${prefix}:rate:slow`);
      assert.ok(ttl > 0 && ttl <= 61_000, `buckets expire once full again (${ttl} ms)`);
    } finally {
      a.disconnect();
      b.disconnect();
    }
  });

  it('rate limits let requests through while Redis is unreachable', async () => {
    const redis = await connectRedis(redisUrl, failFastOptions('t3'));
    redis.disconnect();
    await new RedisRateLimiter(redis, fresh(), silentLogger()).take('key', 1);
    await new RedisRateLimiter(redis, fresh(), silentLogger()).take('key', 1);
  });

  it('events: another node\'s events reach this node\'s listeners once; subscribeLocal hears only this node', async () => {
    const prefix = fresh();
    const [nodeA, nodeB] = await Promise.all([RedisTaskEvents.connect(redisUrl, prefix, silentLogger()), RedisTaskEvents.connect(redisUrl, prefix, silentLogger())]);
    const other = await RedisTaskEvents.connect(redisUrl, fresh(), silentLogger());
    try {
      const onA: TaskEvent[] = [];
      const onB: TaskEvent[] = [];
      const localB: TaskEvent[] = [];
      nodeA.subscribe('t1', (event) => onA.push(event));
      nodeB.subscribe('t1', (event) => onB.push(event));
      nodeB.subscribeLocal((event) => localB.push(event));
      other.subscribe('t1', () => assert.fail('another deployment (prefix) hears nothing'));
      await nodeB.publish({ type: 'status', taskId: 't1', status: 'running', at: 1 });
      await nodeB.publish({ type: 'log', taskId: 't1', level: 'info', message: 'hello', at: 2 });
      await nodeB.publish({ type: 'status', taskId: 't2', status: 'running', at: 3 });
      await nodeA.publish({ type: 'cancel', taskId: 't1', at: 4 });
      await until(() => onA.length === 3 && onB.length === 3);
      await sleep(50);
      // Each node's events keep their order; a node hears its own at once, others' a moment later.
      assert.deepEqual(onA.map((e) => e.at).sort(), [1, 2, 4]);
      assert.deepEqual(onA.filter((e) => e.at < 4).map((e) => e.at), [1, 2]);
      assert.deepEqual(onB.map((e) => e.at), [1, 2, 4]);
      assert.deepEqual(localB.map((e) => e.at), [1, 2, 3]);
    } finally {
      await Promise.all([nodeA.close(), nodeB.close(), other.close()]);
    }
  });

  it('queue: two nodes share the work; a closing node finishes its job and leaves the rest to the other', async () => {
    const prefix = fresh();
    const nodeA = new BullMqQueue({ url: redisUrl, prefix });
    const nodeB = new BullMqQueue({ url: redisUrl, prefix });
    const seen = new Map<string, string>();
    nodeA.consume(async (id) => {
      seen.set(id, seen.has(id) ? 'twice' : 'A');
      await sleep(100);
    }, 1);
    for (let i = 0; i < 6; i += 1) await nodeA.enqueue(`j${i}`);
    await until(() => seen.size === 1);
    await nodeA.close(5_000);
    assert.equal(seen.size, 1, 'the closing node took no more jobs');
    nodeB.consume(async (id) => void seen.set(id, seen.has(id) ? 'twice' : 'B'), 2);
    await until(() => seen.size === 6);
    assert.deepEqual([...seen.values()].sort(), ['A', 'B', 'B', 'B', 'B', 'B']);
    assert.deepEqual(await nodeB.stats(), { waiting: 0, delayed: 0, active: 0 });
    await nodeB.close();
  });

  it('queue: a close past its deadline hands the running job back at once', async () => {
    const prefix = fresh();
    const closing = new BullMqQueue({ url: redisUrl, prefix });
    let started = false;
    closing.consume(async () => {
      started = true;
      await new Promise(() => {});
    }, 1);
    await closing.enqueue('stuck');
    await until(() => started);
    await closing.close(50);
    const survivor = new BullMqQueue({ url: redisUrl, prefix });
    const seen: string[] = [];
    survivor.consume(async (id) => void seen.push(id), 1);
    await until(() => seen.length === 1, 1_000);
    assert.deepEqual(seen, ['stuck']);
    await survivor.close();
  });

  it('queue: the job of a worker process killed mid-run comes back to another worker after the lock', async () => {
    const prefix = fresh();
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `
      import { BullMqQueue } from ${JSON.stringify(fileURLToPath(new URL('../../../src/queue/bullmq-queue.ts', import.meta.url)))};
      const queue = new BullMqQueue({ url: ${JSON.stringify(redisUrl)}, prefix: ${JSON.stringify(prefix)}, lockMs: 1000 });
      queue.consume(async () => { process.stdout.write('started\\n'); await new Promise(() => {}); }, 1);
      await queue.enqueue('orphan');
    `], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    await new Promise<void>((resolve) => child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('started') && resolve()));
    child.kill('SIGKILL');
    await exited;
    const survivor = new BullMqQueue({ url: redisUrl, prefix, lockMs: 1_000 });
    const seen: string[] = [];
    survivor.consume(async (id) => void seen.push(id), 1);
    await until(() => seen.length === 1, 8_000);
    assert.deepEqual(seen, ['orphan']);
    await survivor.close();
  });

  it('queue: an id sent while Redis is unreachable is queued once it is back; a Redis back without its data is reported as lost', { timeout: 60_000 }, async () => {
    const own = await startOwnRedis();
    const proxy = await startTcpProxy(Number(new URL(own.url).port));
    const queue = new BullMqQueue({ url: `redis://127.0.0.1:${proxy.port}`, prefix: 'qig-lost-test' });
    try {
      await queue.ready();
      let lost = 0;
      queue.onLost(() => (lost += 1));
      const probe = await connectRedis(own.url, failFastOptions('probe'));
      for (let i = 0; i < 100 && (await probe.exists('qig-lost-test:tasks:qig-present')) === 0; i += 1) await sleep(20);
      probe.disconnect();
      const seen: string[] = [];
      queue.consume(async (id) => void seen.push(id), 2);

      await proxy.block();
      await queue.enqueue('sent-while-unreachable');
      await proxy.open();
      await until(() => seen.includes('sent-while-unreachable'), 10_000);
      assert.equal(lost, 0, 'Redis kept its data: nothing to refill');

      await own.kill();
      await own.start();
      await until(() => lost === 1, 10_000);
      await queue.enqueue('after-restart');
      await until(() => seen.includes('after-restart'), 10_000);
    } finally {
      await queue.close(1_000);
      await proxy.close();
      await own.close();
    }
  });
});
