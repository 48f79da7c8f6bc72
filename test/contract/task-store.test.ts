/** The task store contract, run on every implementation (SQLite; Postgres when DATABASE_URL is set). */
import { insertAccount, userOf } from '../helpers/accounts.js';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { randomUUID } from 'node:crypto';
import { SqlLedger } from '../../src/store/ledger-store.js';
import { SqlTaskStore } from '../../src/store/task-store.js';
import type { NewTask } from '../../src/store/ports.js';
import type { Kysely } from 'kysely';
import type { Database } from '../../src/store/schema.js';
import { storeTargets } from '../helpers/stores.js';

function newTask(overrides: Partial<NewTask> = {}): NewTask {
  const keyId = overrides.keyId ?? 'key_a';
  return {
    id: randomUUID(),
    keyId,
    userId: userOf(keyId),
    model: 'qwen-image-edit-plus',
    kind: 'edit',
    spec: { prompt: 'p', negativePrompt: null, n: 2, size: { width: 1024, height: 1024 }, sizeSource: 'default', seed: 7, promptExtend: true, watermark: false, outputFormat: 'png' },
    inputs: [{ blobId: 'a'.repeat(64) + '.png', contentType: 'image/png', width: 10, height: 10, bytes: 100 }],
    warnings: ['w'],
    origin: 'dashscope',
    requestId: 'req',
    createdAt: 1_000,
    ...overrides,
  };
}

for (const target of storeTargets()) {
  describe(`task store contract: ${target.name}`, () => {
    let tasks: SqlTaskStore;
    let billing: SqlLedger;
    let cleanup: () => Promise<void>;
    let db: Kysely<Database>;
    before(async () => {
      const opened = await target.open();
      db = opened.store.db;
      tasks = new SqlTaskStore(opened.store.db, { currency: 'CNY', dialect: opened.store.dialect });
      billing = new SqlLedger(opened.store.db, 'CNY');
      // A task is created with its hold, so its key must exist: an unlimited one, and a paid one.
      await insertAccount(opened.store.db, { id: 'key_a', balanceMicros: null });
      await insertAccount(opened.store.db, { id: 'key_paid', balanceMicros: 1_000_000 });
      cleanup = opened.cleanup;
    });
    after(async () => cleanup());

    it('creates and reads a task with every field intact', async () => {
      const input = newTask();
      const created = await tasks.create(input);
      const read = await tasks.get(input.id);
      assert.deepEqual(read, created);
      assert.equal(read?.status, 'queued');
      assert.deepEqual(read?.spec, input.spec);
      assert.deepEqual(read?.inputs, input.inputs);
      assert.equal(typeof read?.createdAt, 'number');
      assert.equal(await tasks.get(randomUUID()), null);
    });

    it('lets exactly one of many concurrent claims win', async () => {
      const input = newTask();
      await tasks.create(input);
      const claims = await Promise.all(Array.from({ length: 8 }, (_, i) => tasks.claim(input.id, `w${i}`, 2_000, 32_000)));
      const winners = claims.filter((c) => c !== null);
      assert.equal(winners.length, 1);
      assert.equal(winners[0]?.status, 'running');
      assert.equal(winners[0]?.attempts, 1);
      assert.equal(winners[0]?.startedAt, 2_000);
    });

    it('only the holder saves progress and finishes; a finished task stays finished', async () => {
      const input = newTask();
      await tasks.create(input);
      await tasks.claim(input.id, 'w1', 2_000, 32_000);
      assert.equal(await tasks.saveProgress(input.id, 'w2', { engine: 'x' }, 2_100), false);
      assert.equal(await tasks.saveProgress(input.id, 'w1', { engine: 'local', operation: { calls: [] } }, 2_100), true);
      const output = { blobId: 'b'.repeat(64) + '.png', contentType: 'image/png', width: 8, height: 8, bytes: 10, seed: 7 };
      assert.equal(await tasks.finish(input.id, 'w2', { status: 'canceled', warnings: [] }, 2_200), null);
      const done = await tasks.finish(input.id, 'w1', { status: 'succeeded', outputs: [output], usage: { imageCount: 1, width: 8, height: 8 }, actualPrompt: 'ap', warnings: ['w'] }, 2_300);
      assert.equal(done?.status, 'succeeded');
      assert.deepEqual(done?.outputs, [output]);
      assert.equal(done?.actualPrompt, 'ap');
      assert.equal(done?.finishedAt, 2_300);
      assert.deepEqual(done?.operation, { calls: [] });
      assert.equal(await tasks.finish(input.id, 'w1', { status: 'canceled', warnings: [] }, 2_400), null);
      assert.equal(await tasks.cancelQueued(input.id, 2_500), false);
      assert.equal(await tasks.claim(input.id, 'w3', 99_999, 100_000), null);
    });

    it('ends and settles a task in one step: the ended record is settled, the unused hold released', async () => {
      const input = newTask({ keyId: 'key_paid', billing: { unitPriceMicros: 200_000, holdMicros: 400_000 } });
      const created = await tasks.create(input, { maxInFlight: null });
      assert.equal(created.id, input.id);
      assert.deepEqual(await billing.balance('key_paid'), { balanceMicros: 600_000, heldMicros: 400_000 });
      await tasks.claim(input.id, 'w1', 2_000, 32_000);
      const output = { blobId: 'c'.repeat(64) + '.png', contentType: 'image/png', width: 8, height: 8, bytes: 10, seed: 7 };
      const outcome = { status: 'succeeded' as const, outputs: [output], usage: { imageCount: 1, width: 8, height: 8 }, actualPrompt: null, warnings: [] };
      assert.equal(await tasks.finish(input.id, 'w2', outcome, 2_300), null, 'a worker that lost the task ends nothing');
      assert.equal((await tasks.get(input.id))?.billing.state, 'held');
      const done = await tasks.finish(input.id, 'w1', outcome, 2_300);
      assert.equal(done?.status, 'succeeded');
      assert.deepEqual(done?.billing, { state: 'settled', unitPriceMicros: 200_000, holdMicros: 400_000, chargedMicros: 200_000 });
      assert.deepEqual((await tasks.get(input.id))?.billing, done?.billing);
      assert.deepEqual(await billing.balance('key_paid'), { balanceMicros: 800_000, heldMicros: 0 });
      assert.equal(await billing.settle(input.id, 2_400), false, 'settled exactly once');
      assert.equal(await tasks.finish(input.id, 'w1', outcome, 2_500), null);
    });

    it('records a failure with its error', async () => {
      const input = newTask();
      await tasks.create(input);
      await tasks.claim(input.id, 'w1', 2_000, 32_000);
      const failed = await tasks.finish(input.id, 'w1', { status: 'failed', error: { kind: 'engine_failed', message: 'boom', upstreamCode: 'InternalError' }, outputs: [], warnings: [] }, 2_500);
      assert.deepEqual(failed?.error, { kind: 'engine_failed', message: 'boom', upstreamCode: 'InternalError' });
    });

    it('cancels only queued tasks; flags running ones', async () => {
      const queued = newTask();
      await tasks.create(queued);
      assert.equal(await tasks.cancelQueued(queued.id, 3_000), true);
      assert.equal((await tasks.get(queued.id))?.status, 'canceled');
      assert.equal(await tasks.claim(queued.id, 'w', 3_100, 4_000), null);
      const running = newTask();
      await tasks.create(running);
      await tasks.claim(running.id, 'w', 3_000, 30_000);
      assert.equal(await tasks.cancelQueued(running.id, 3_100), false);
      assert.equal(await tasks.requestCancel(running.id, 3_100), true);
      assert.equal((await tasks.get(running.id))?.cancelRequested, true);
    });

    it('finds expired leases; requeues or fails them once', async () => {
      const dead = newTask();
      await tasks.create(dead);
      await tasks.claim(dead.id, 'dead-worker', 10_000, 11_000);
      const expired = await tasks.findExpired(20_000, 100);
      assert.ok(expired.some((t) => t.id === dead.id));
      assert.equal(await tasks.requeueExpired(dead.id, 20_000, 20_000), true);
      assert.equal(await tasks.requeueExpired(dead.id, 20_000, 20_000), false);
      const again = await tasks.claim(dead.id, 'w2', 21_000, 22_000);
      assert.equal(again?.attempts, 2, 'a requeued start is a new attempt');
      const failed = await tasks.failExpired(dead.id, 30_000, { kind: 'engine_failed', message: 'gone' }, 30_000);
      assert.equal(failed?.status, 'failed');
      assert.equal(await tasks.failExpired(dead.id, 30_000, { kind: 'engine_failed', message: 'gone' }, 30_000), null);
    });

    it('a parked task (released for a later poll) is claimable when due without a new attempt', async () => {
      const input = newTask();
      await tasks.create(input);
      await tasks.claim(input.id, 'w1', 1_000, 31_000);
      assert.equal(await tasks.saveProgress(input.id, 'w1', { operation: { h: 1 }, leaseUntil: 5_000, release: true }, 1_500), true);
      const parked = await tasks.get(input.id);
      assert.equal(parked?.workerId, null);
      assert.equal(await tasks.claim(input.id, 'w2', 4_000, 34_000), null, 'not before it is due');
      const resumed = await tasks.claim(input.id, 'w2', 5_000, 35_000);
      assert.equal(resumed?.workerId, 'w2');
      assert.equal(resumed?.attempts, 1);
      assert.deepEqual(resumed?.operation, { h: 1 });
    });

    it('a parked task with a cancel request is claimable at once', async () => {
      const input = newTask();
      await tasks.create(input);
      await tasks.claim(input.id, 'w1', 1_000, 31_000);
      await tasks.saveProgress(input.id, 'w1', { operation: { h: 2 }, leaseUntil: 60_000, release: true }, 1_500);
      assert.equal(await tasks.claim(input.id, 'w2', 2_000, 32_000), null);
      assert.equal(await tasks.requestCancel(input.id, 2_000), true);
      const taken = await tasks.claim(input.id, 'w2', 2_100, 32_100);
      assert.equal(taken?.cancelRequested, true);
      assert.equal(taken?.workerId, 'w2');
    });

    it('computes queue positions and lists by key, status, model and time', async () => {
      const key = `key_${randomUUID()}`;
      await insertAccount(db, { id: key, balanceMicros: null });
      const a = newTask({ keyId: key, createdAt: 50_000 });
      const b = newTask({ keyId: key, createdAt: 50_001, model: 'qwen-image-2.0-pro' });
      const c = newTask({ keyId: key, createdAt: 50_002 });
      for (const t of [a, b, c]) await tasks.create(t);
      const base = await tasks.queuePosition((await tasks.get(a.id))!);
      assert.equal(await tasks.queuePosition((await tasks.get(c.id))!), base + 2);
      await tasks.claim(a.id, 'w', 60_000, 90_000);
      assert.equal(await tasks.queuePosition((await tasks.get(c.id))!), base + 1);
      const all = await tasks.list({ keyId: key, limit: 10, offset: 0 });
      assert.equal(all.total, 3);
      assert.deepEqual(all.tasks.map((t) => t.id), [c.id, b.id, a.id]);
      assert.equal((await tasks.list({ keyId: key, model: 'qwen-image-2.0-pro', limit: 10, offset: 0 })).total, 1);
      assert.equal((await tasks.list({ keyId: key, status: 'running', limit: 10, offset: 0 })).total, 1);
      assert.equal((await tasks.list({ keyId: key, createdFrom: 50_001, createdTo: 50_001, limit: 10, offset: 0 })).total, 1);
      const page = await tasks.list({ keyId: key, limit: 1, offset: 1 });
      assert.deepEqual(page.tasks.map((t) => t.id), [b.id]);
      const queued = await tasks.findQueued(1000);
      assert.ok(queued.some((t) => t.id === c.id));
      const afterB = await tasks.findQueued(1000, { createdAt: 50_001, id: b.id });
      assert.ok(afterB.every((t) => t.createdAt >= 50_001) && afterB.some((t) => t.id === c.id) && !afterB.some((t) => t.id === b.id));
    });

    it('counts the running tasks on a channel, and on one of its credentials by their pending handles', async () => {
      const channel = `ch_${randomUUID().slice(0, 8)}`;
      const handle = (credential: string) => ({ engine: channel, calls: [{ done: false, handle: { qigCredential: credential, operation: { taskId: 'up' } } }] });
      const running = async (operation: unknown, release: boolean) => {
        const input = newTask();
        await tasks.create(input);
        await tasks.claim(input.id, 'w1', 1_000, 31_000);
        await tasks.saveProgress(input.id, 'w1', { engine: channel, operation, ...(release ? { leaseUntil: 60_000, release: true } : {}) }, 1_500);
        return input.id;
      };
      await running(handle('cr_a_1'), false);
      await running(handle('cr_a_1'), true); // parked for a poll: still running
      await running(handle('cr_b-2'), false);
      const ended = await running(handle('cr_a_1'), false);
      await tasks.finish(ended, 'w1', { status: 'canceled', warnings: [] }, 2_000);
      assert.equal(await tasks.countRunningOn(channel), 3);
      assert.equal(await tasks.countRunningOn(channel, 'cr_a_1'), 2);
      assert.equal(await tasks.countRunningOn(channel, 'cr_b-2'), 1);
      // `_` is matched literally, not as LIKE's any-character.
      assert.equal(await tasks.countRunningOn(channel, 'cr_a%1'), 0);
      assert.equal(await tasks.countRunningOn(channel, 'crxa_1'), 0);
      assert.equal(await tasks.countRunningOn(`${channel}x`), 0);
    });

    it('keeps task log lines in order', async () => {
      const input = newTask();
      await tasks.create(input);
      for (let i = 0; i < 5; i += 1) await tasks.appendLog(input.id, { at: 1000 + i, level: 'info', message: `line ${i}` });
      assert.deepEqual((await tasks.logs(input.id)).map((l) => l.message), ['line 0', 'line 1', 'line 2', 'line 3', 'line 4']);
    });
  });
}
