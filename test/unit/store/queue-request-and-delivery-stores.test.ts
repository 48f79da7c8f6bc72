/**
 * The queue-request and webhook-delivery stores on every SQL target: one delivery per task, conditional claims (two nodes
 * never hold one delivery at once), due order, and attempts recorded only by the holder.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Kysely } from 'kysely';
import type { Database } from '../../../src/store/schema.js';
import { newTaskRow } from '../../../src/store/task-rows.js';
import { SqlDeliveryStore } from '../../../src/store/delivery-store.js';
import { queueRequestRow, SqlQueueRequestStore } from '../../../src/store/queue-request-store.js';
import type { QueueRequestRecord } from '../../../src/store/ports.js';
import { storeTargets } from '../../helpers/stores.js';

async function addTask(db: Kysely<Database>, id: string, status: string): Promise<void> {
  const spec = { prompt: 'p', negativePrompt: null, n: 1, size: { width: 512, height: 512 }, sizeSource: 'request' as const, seed: 1, promptExtend: false, watermark: false, outputFormat: 'png' as const };
  await db.insertInto('tasks').values({ ...newTaskRow({ id, keyId: 'key', userId: 'usr_key', model: 'qwen-image', kind: 'generate', spec, inputs: [], warnings: [], origin: 'fal', requestId: id, createdAt: 1 }), status }).execute();
}

/** A queue request row, as the task's own transaction writes it. */
async function addRequest(db: Kysely<Database>, request: Omit<QueueRequestRecord, 'timedOut'>): Promise<void> {
  await db.insertInto('queue_requests').values(queueRequestRow(request)).execute();
}

for (const target of storeTargets()) {
  describe(`queue request and delivery stores (${target.name})`, () => {
    async function withStore(fn: (stores: { requests: SqlQueueRequestStore; deliveries: SqlDeliveryStore }, db: Kysely<Database>) => Promise<void>) {
      const { store, cleanup } = await target.open();
      try {
        await fn({ requests: new SqlQueueRequestStore(store.db), deliveries: new SqlDeliveryStore(store.db) }, store.db);
      } finally {
        await cleanup();
      }
    }

    it('keeps one request row and one delivery per task', () =>
      withStore(async ({ requests, deliveries }, db) => {
        const request = { taskId: 't1', dialect: 'fal', endpoint: 'fal-ai/qwen-image', syncMode: true, startDeadline: 5_000, webhookUrl: 'https://example.com/h', createdAt: 1_000 };
        await addRequest(db, request);
        assert.deepEqual(await requests.getRequest('t1'), { ...request, timedOut: false });
        assert.equal(await requests.markTimedOut('t1', true), true);
        assert.equal(await requests.markTimedOut('t1', true), false, 'flagged once');
        assert.equal((await requests.getRequest('t1'))?.timedOut, true);
        assert.equal(await deliveries.scheduleDelivery('t1', 'https://example.com/h', '{}', 2_000), true);
        assert.equal(await deliveries.scheduleDelivery('t1', 'https://example.com/h', '{"other":1}', 2_001), false);
        assert.equal((await deliveries.deliveryOf('t1'))?.body, '{}');
      }));

    it('lets exactly one of two workers claim a due delivery, soonest due first', () =>
      withStore(async ({ deliveries }) => {
        await deliveries.scheduleDelivery('late', 'https://example.com/a', '{}', 3_000);
        await deliveries.scheduleDelivery('early', 'https://example.com/b', '{}', 1_000);
        const due = await deliveries.dueDeliveries(5_000, 10);
        assert.equal(due.length, 2);
        assert.equal(await deliveries.nextDueAt(), 1_000);
        const first = due[0]!;
        const claims = await Promise.all([deliveries.claim(first, 'node-a', 5_000, 35_000), deliveries.claim(first, 'node-b', 5_000, 35_000)]);
        assert.equal(claims.filter(Boolean).length, 1, 'one claim wins');
        const winner = claims.find(Boolean)!;
        assert.deepEqual([winner.taskId, winner.attempts, winner.state], ['early', 1, 'sending']);
        assert.deepEqual(await deliveries.dueDeliveries(5_000, 10), [due[1]], 'a held delivery is not due');

        const loser = claims[0] ? 'node-b' : 'node-a';
        assert.equal(await deliveries.finishAttempt(first, loser, { state: 'delivered', status: 200 }, 6_000), false, 'only the holder records the attempt');
        assert.equal(await deliveries.finishAttempt(first, claims[0] ? 'node-a' : 'node-b', { state: 'pending', status: 500, error: 'HTTP 500', nextAttemptAt: 9_000 }, 6_000), true);
        assert.deepEqual(await deliveries.dueDeliveries(8_999, 10), [due[1]]);
        assert.deepEqual((await deliveries.dueDeliveries(9_000, 10)).sort(), [...due].sort());
      }));

    it('takes back a claim whose node died once it expires', () =>
      withStore(async ({ deliveries }) => {
        await deliveries.scheduleDelivery('t', 'https://example.com/a', '{}', 1_000);
        const [id] = await deliveries.dueDeliveries(1_000, 1);
        assert.ok(await deliveries.claim(id!, 'dead-node', 1_000, 31_000));
        assert.equal(await deliveries.claim(id!, 'other', 20_000, 50_000), null);
        const retaken = await deliveries.claim(id!, 'other', 31_001, 61_001);
        assert.deepEqual([retaken?.attempts, retaken?.state], [2, 'sending']);
        assert.equal(await deliveries.finishAttempt(id!, 'dead-node', { state: 'delivered', status: 200 }, 31_002), false);
        assert.equal(await deliveries.finishAttempt(id!, 'other', { state: 'failed', status: null, error: 'refused' }, 31_003), true);
        assert.deepEqual([(await deliveries.deliveryOf('t'))?.state, (await deliveries.deliveryOf('t'))?.finishedAt], ['failed', 31_003]);
      }));

    it('finds ended tasks whose webhook waits, and queued tasks past their start deadline', () =>
      withStore(async ({ requests, deliveries }, db) => {
        await addTask(db, 'ended', 'succeeded');
        await addTask(db, 'running', 'running');
        await addTask(db, 'late', 'queued');
        await addTask(db, 'early', 'queued');
        const request = { dialect: 'fal', endpoint: 'fal-ai/qwen-image', syncMode: false, createdAt: 1 };
        await addRequest(db, { ...request, taskId: 'ended', startDeadline: null, webhookUrl: 'https://example.com/h' });
        await addRequest(db, { ...request, taskId: 'running', startDeadline: 10, webhookUrl: 'https://example.com/h' });
        await addRequest(db, { ...request, taskId: 'late', startDeadline: 10, webhookUrl: null });
        await addRequest(db, { ...request, taskId: 'early', startDeadline: 1_000, webhookUrl: null });
        assert.deepEqual(await requests.findEndedWaiting(10), ['ended']);
        await deliveries.scheduleDelivery('ended', 'https://example.com/h', '{}', 5);
        assert.deepEqual(await requests.findEndedWaiting(10), [], 'scheduled webhooks no longer wait');
        assert.deepEqual(await requests.findOverdue(100, 10), [{ taskId: 'late', keyId: 'key' }]);
        await requests.markTimedOut('late', true);
        assert.deepEqual(await requests.findOverdue(100, 10), []);
      }));
  });
}
