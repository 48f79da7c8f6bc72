/**
 * Task lifecycle end to end: cancel while pending, queue positions, the sync wait limit, recovery
 * of tasks a dead process left running, and the admin API. A gate engine holds tasks where the
 * test wants them.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { openStore } from '../../src/store/db.js';
import { SqlTaskStore } from '../../src/store/task-store.js';
import { createGateEngine } from '../fakes/gate-engine.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { tempDir } from '../helpers/stores.js';

const SYNC = '/api/v1/services/aigc/multimodal-generation/generation';
const body = (prompt = 'a lighthouse at dawn') => ({
  model: 'qwen-image-2.0-pro',
  input: { messages: [{ role: 'user', content: [{ text: prompt }] }] },
  parameters: { size: '512*512' },
});

async function post(server: TestGateway, path: string, payload: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.key}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(payload),
  });
  return { status: response.status, json: (await response.json()) as Record<string, any> };
}

async function get(server: TestGateway, path: string) {
  const response = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${server.key}` } });
  return { status: response.status, json: (await response.json()) as Record<string, any> };
}

async function statusOf(server: TestGateway, taskId: string): Promise<string> {
  return (await get(server, `/api/v1/tasks/${taskId}`)).json.output.task_status as string;
}

async function eventually(check: () => Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('task lifecycle', () => {
  it('cancels a PENDING task; a RUNNING one is refused, then finishes', async () => {
    const gate = createGateEngine();
    const server = await startTestGateway({
      engines: new Map([['gate', gate]]),
      config: { engines: { gate: { type: 'local' } }, routes: { '*': ['gate'] }, limits: { workerConcurrency: 1 } },
    });
    try {
      const running = await post(server, SYNC, body(), { 'x-dashscope-async': 'enable' });
      await gate.waitForStarts(1);
      const pending = await post(server, SYNC, body(), { 'x-dashscope-async': 'enable' });
      assert.equal(await statusOf(server, running.json.output.task_id), 'RUNNING');
      assert.equal(await statusOf(server, pending.json.output.task_id), 'PENDING');

      const canceled = await post(server, `/api/v1/tasks/${pending.json.output.task_id}/cancel`, {});
      assert.equal(canceled.status, 200);
      assert.equal(await statusOf(server, pending.json.output.task_id), 'CANCELED');
      const refused = await post(server, `/api/v1/tasks/${running.json.output.task_id}/cancel`, {});
      assert.equal(refused.status, 400);
      assert.equal(refused.json.code, 'UnsupportedOperation');
      assert.match(refused.json.message, /RUNNING/);

      gate.open();
      await eventually(async () => (await statusOf(server, running.json.output.task_id)) === 'SUCCEEDED');
      assert.equal(gate.started.length, 1, 'the canceled task never reached the engine');
      assert.equal(await statusOf(server, pending.json.output.task_id), 'CANCELED');
    } finally {
      gate.open();
      await server.close();
    }
  });

  it('tells a PENDING task its output.queue_position (0 = next), and only while it is PENDING', async () => {
    const gate = createGateEngine();
    const server = await startTestGateway({
      engines: new Map([['gate', gate]]),
      config: { engines: { gate: { type: 'local' } }, routes: { '*': ['gate'] }, limits: { workerConcurrency: 1 } },
    });
    const outputOf = async (taskId: string) => (await get(server, `/api/v1/tasks/${taskId}`)).json.output as Record<string, unknown>;
    try {
      const held = (await post(server, SYNC, body(), { 'x-dashscope-async': 'enable' })).json.output.task_id as string;
      await gate.waitForStarts(1);
      const first = (await post(server, SYNC, body(), { 'x-dashscope-async': 'enable' })).json.output.task_id as string;
      await new Promise((resolve) => setTimeout(resolve, 5)); // a later submit time, so the order is certain
      const second = (await post(server, SYNC, body(), { 'x-dashscope-async': 'enable' })).json.output.task_id as string;

      const running = await outputOf(held);
      assert.equal(running.task_status, 'RUNNING');
      assert.equal('queue_position' in running, false);
      assert.deepEqual([await outputOf(first), await outputOf(second)].map((o) => [o.task_status, o.queue_position]), [['PENDING', 0], ['PENDING', 1]]);
      const list = await get(server, '/api/v1/tasks?status=PENDING');
      assert.equal(list.json.data.length, 2);
      for (const item of list.json.data) assert.equal('queue_position' in item, false, 'the list does not compute positions');

      await post(server, `/api/v1/tasks/${first}/cancel`, {});
      assert.equal((await outputOf(second)).queue_position, 0, 'a cancel here moves the positions at once');

      gate.open();
      await eventually(async () => (await statusOf(server, second)) === 'SUCCEEDED');
      for (const id of [held, first, second]) assert.equal('queue_position' in (await outputOf(id)), false);
    } finally {
      gate.open();
      await server.close();
    }
  });

  it('answers 408 RequestTimeOut naming the task when a sync request outlives its wait; the task carries on', async () => {
    const gate = createGateEngine();
    const server = await startTestGateway({
      engines: new Map([['gate', gate]]),
      config: { engines: { gate: { type: 'local' } }, routes: { '*': ['gate'] }, limits: { syncWaitSeconds: 1 } },
    });
    try {
      const started = Date.now();
      const answer = await post(server, SYNC, body());
      assert.equal(answer.status, 408);
      assert.equal(answer.json.code, 'RequestTimeOut');
      assert.ok(Date.now() - started >= 1000);
      const taskId = /task ([0-9a-f-]{36})/.exec(answer.json.message)?.[1];
      assert.ok(taskId, answer.json.message);
      assert.equal(await statusOf(server, taskId), 'RUNNING');
      gate.open();
      await eventually(async () => (await statusOf(server, taskId)) === 'SUCCEEDED');
      const done = await get(server, `/api/v1/tasks/${taskId}`);
      assert.equal(done.json.output.results[0].actual_prompt, 'a lighthouse at dawn (as the gate engine read it)');
    } finally {
      gate.open();
      await server.close();
    }
  });

  it('takes up again, at the next start, a task a dead process left running; fails one out of attempts', async () => {
    const dir = tempDir();
    const first = await startTestGateway({ dataDir: dir.path });
    const key = first.key;
    const submitted = await post(first, SYNC, body('make a poster'), { 'x-dashscope-async': 'enable' });
    await eventually(async () => (await statusOf(first, submitted.json.output.task_id)) === 'SUCCEEDED');
    await first.close();

    // Two tasks frozen mid-run by a process that died: one on its first attempt, one on its last.
    const store = await openStore({ databaseUrl: null, dataDir: dir.path });
    const tasks = new SqlTaskStore(store.db, { currency: 'CNY', dialect: store.dialect });
    const done = await tasks.get(submitted.json.output.task_id);
    assert.ok(done);
    const ids = [randomUUID(), randomUUID()];
    for (const [index, id] of ids.entries()) {
      await tasks.create({ ...done, id, spec: done.spec, inputs: [], warnings: [], origin: 'dashscope', requestId: 'r', createdAt: Date.now() });
      await tasks.claim(id, 'dead-worker', Date.now() - 120_000, Date.now() - 60_000);
      if (index === 1) {
        for (let attempt = 1; attempt < 3; attempt += 1) {
          await tasks.requeueExpired(id, Date.now(), Date.now());
          await tasks.claim(id, 'dead-worker', Date.now() - 120_000, Date.now() - 60_000);
        }
      }
    }
    await store.close();

    const second = await startTestGateway({ dataDir: dir.path, worker: { sweepGraceMs: 0 } });
    try {
      assert.equal(second.key, '', 'no second development key');
      second.key = key;
      await eventually(async () => (await statusOf(second, ids[0] as string)) === 'SUCCEEDED');
      const failed = await get(second, `/api/v1/tasks/${ids[1]}`);
      assert.equal(failed.json.output.task_status, 'FAILED');
      assert.match(failed.json.output.message, /stopped responding 3 times/);
    } finally {
      await second.close();
      dir.remove();
    }
  });
});

describe('admin API', () => {
  it('creates, lists and revokes keys behind QIG_ADMIN_TOKEN', async () => {
    const server = await startTestGateway({ env: { QIG_ADMIN_TOKEN: 'admin-secret-token' } });
    const admin = { authorization: 'Bearer admin-secret-token', 'content-type': 'application/json' };
    try {
      const denied = await fetch(`${server.url}/admin/v1/keys`, { headers: { authorization: `Bearer ${server.key}` } });
      assert.equal(denied.status, 401);
      const created = await fetch(`${server.url}/admin/v1/keys`, { method: 'POST', headers: admin, body: JSON.stringify({ name: 'customer-a', models: ['qwen-image-2.0-pro'] }) });
      assert.equal(created.status, 201);
      const key = (await created.json()) as Record<string, any>;
      assert.match(key.key, /^sk-qig-[0-9A-Za-z]{40}$/);
      assert.equal(key.name, 'customer-a');
      assert.ok('balance' in key && 'id' in key);
      const list = (await (await fetch(`${server.url}/admin/v1/keys`, { headers: admin })).json()) as { data: Array<Record<string, unknown>> };
      assert.equal(list.data.length, 2);
      assert.ok(!JSON.stringify(list).includes(key.key), 'the list never shows a secret');

      const asCustomer = { ...server, key: key.key as string };
      const allowed = await post(asCustomer, SYNC, body(), { "x-dashscope-async": "enable" });
      assert.equal(allowed.status, 200, JSON.stringify(allowed.json));
      const otherModel = await post(asCustomer, SYNC, { ...body(), model: 'qwen-image-max' });
      assert.equal(otherModel.status, 403);
      assert.equal(otherModel.json.code, 'AccessDenied');

      const revoked = await fetch(`${server.url}/admin/v1/keys/${key.id}`, { method: 'DELETE', headers: admin });
      assert.equal(revoked.status, 200);
      assert.ok(((await revoked.json()) as Record<string, any>).revokedAt);
      const after = await post(asCustomer, SYNC, body());
      assert.equal(after.status, 401);
      assert.equal((await fetch(`${server.url}/admin/v1/keys/key_nope`, { method: 'DELETE', headers: admin })).status, 404);
      const bad = await fetch(`${server.url}/admin/v1/keys`, { method: 'POST', headers: admin, body: JSON.stringify({ name: '' }) });
      assert.equal(bad.status, 400);
    } finally {
      await server.close();
    }
  });

  it('does not exist without QIG_ADMIN_TOKEN', async () => {
    const server = await startTestGateway();
    try {
      assert.equal((await fetch(`${server.url}/admin/v1/keys`)).status, 404);
    } finally {
      await server.close();
    }
  });
});
