/**
 * Accounts and billing end to end: holds under concurrency, settlement by images produced,
 * releases on failure and cancel, idempotency, rate limits, tasks in flight, the admin API and
 * the key's own balance and usage. The ledger invariant is checked after every test.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { AppError } from '../../src/domain/errors.js';
import type { Engine } from '../../src/engines/engine.js';
import { createGateEngine } from '../fakes/gate-engine.js';
import { createScriptedEngine } from '../fakes/scripted-engine.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { assertLedgerInvariant } from '../helpers/ledger.js';

const ADMIN = 'admin-token-for-tests';
const ASYNC = { 'x-dashscope-async': 'enable' };
let server: TestGateway | null = null;

afterEach(async () => {
  if (!server) return;
  // Let every task end and settle, then check the books.
  for (let i = 0; i < 200; i += 1) {
    const open = await server.gateway.store.db.selectFrom('tasks').select('id').where('status', 'in', ['queued', 'running']).execute();
    if (open.length === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  await assertLedgerInvariant(server.gateway.store.db);
  await server.close();
  server = null;
});

async function start(engine: Engine = createScriptedEngine(), extra: Record<string, unknown> = {}): Promise<TestGateway> {
  server = await startTestGateway({
    env: { QIG_ADMIN_TOKEN: ADMIN },
    engines: new Map([[engine.name, engine]]),
    config: { engines: { [engine.name]: { type: 'local' } }, routes: { '*': [engine.name] }, prices: { currency: 'CNY', perImage: { 'qwen-image-2.0-pro': '0.18' } }, ...extra },
    worker: { retryBaseDelayMs: 5, retryMaxDelayMs: 10 },
  });
  return server;
}

async function admin(path: string, body?: unknown, method = body === undefined ? 'GET' : 'POST') {
  const response = await fetch(`${server!.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? null : JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as any };
}

async function submit(key: string, n = 1, headers: Record<string, string> = ASYNC, prompt = 'a poster') {
  const response = await fetch(`${server!.url}/api/v1/services/aigc/multimodal-generation/generation`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model: 'qwen-image-2.0-pro', input: { messages: [{ role: 'user', content: [{ text: prompt }] }] }, parameters: { n, size: '512*512' } }),
  });
  return { status: response.status, headers: response.headers, json: (await response.json()) as any };
}

async function finished(key: string, taskId: string): Promise<any> {
  for (let i = 0; i < 400; i += 1) {
    const response = await fetch(`${server!.url}/api/v1/tasks/${taskId}`, { headers: { authorization: `Bearer ${key}` } });
    const json = (await response.json()) as any;
    if (['SUCCEEDED', 'FAILED', 'CANCELED'].includes(json.output.task_status)) return json;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`task ${taskId} did not end`);
}

async function balanceOf(key: string) {
  const response = await fetch(`${server!.url}/v1/balance`, { headers: { authorization: `Bearer ${key}` } });
  return (await response.json()) as { balance: string | null; held: string; currency: string };
}

describe('billing', () => {
  it('200 concurrent submits on a balance covering 50 images: exactly 50 accepted, never overdrawn', async () => {
    await start();
    const key = (await admin('/admin/v1/keys', { name: 'fifty', balance: '9.00' })).json;
    assert.equal(key.balance, '9.00');
    const answers = await Promise.all(Array.from({ length: 200 }, () => submit(key.key)));
    const accepted = answers.filter((a) => a.status === 200);
    const refused = answers.filter((a) => a.status !== 200);
    assert.equal(accepted.length, 50);
    for (const answer of refused) {
      assert.equal(answer.status, 400);
      assert.equal(answer.json.code, 'Arrearage');
    }
    for (const answer of accepted) assert.equal((await finished(key.key, answer.json.output.task_id)).output.task_status, 'SUCCEEDED');
    assert.deepEqual(await balanceOf(key.key), { keyId: key.id, userId: key.userId, name: 'fifty', balance: '0.00', held: '0.00', currency: 'CNY' } as never);
  });

  it('charges for the images produced only when an engine fails halfway through n=4', async () => {
    const engine = createScriptedEngine({ capabilities: { maxImagesPerCall: 1 }, script: (i) => (i < 2 ? 'done' : new AppError('engine_rejected', 'gave up')) });
    await start(engine);
    const key = (await admin('/admin/v1/keys', { name: 'half', balance: '1.00' })).json;
    const task = await submit(key.key, 4);
    assert.equal(task.status, 200);
    assert.equal((await balanceOf(key.key)).held, '0.72');
    const done = await finished(key.key, task.json.output.task_id);
    assert.equal(done.output.results.length, 2);
    assert.deepEqual(await balanceOf(key.key), { keyId: key.id, userId: key.userId, name: 'half', balance: '0.64', held: '0.00', currency: 'CNY' } as never);
    const usage = await admin(`/admin/v1/usage?keyId=${key.id}`);
    assert.equal(usage.json.data[0].content, 'Image generation: 2 images × ¥0.18 = ¥0.36');
    assert.deepEqual(usage.json.totals, { images: 2, amount: '0.36', currency: 'CNY' });
  });

  it('releases the whole hold of a failed task and of a task canceled while queued', async () => {
    const gate = createGateEngine('gate');
    await start(gate, { limits: { workerConcurrency: 1 } });
    const key = (await admin('/admin/v1/keys', { name: 'refunds', balance: '2.00' })).json;
    const first = await submit(key.key, 2);
    await gate.waitForStarts(1);
    const second = await submit(key.key, 3);
    assert.equal((await balanceOf(key.key)).balance, '1.10');
    const cancel = await fetch(`${server!.url}/api/v1/tasks/${second.json.output.task_id}/cancel`, { method: 'POST', headers: { authorization: `Bearer ${key.key}` } });
    assert.equal(cancel.status, 200);
    assert.equal((await balanceOf(key.key)).balance, '1.64', 'the canceled task is never billed');
    gate.failWith(new AppError('engine_rejected', 'no'));
    gate.open();
    assert.equal((await finished(key.key, first.json.output.task_id)).output.task_status, 'FAILED');
    assert.deepEqual(await balanceOf(key.key), { keyId: key.id, userId: key.userId, name: 'refunds', balance: '2.00', held: '0.00', currency: 'CNY' } as never);
  });

  it('answers the same task for retries with one Idempotency-Key, under concurrency: one task, one hold', async () => {
    await start();
    const key = (await admin('/admin/v1/keys', { name: 'idem', balance: '5.00' })).json;
    const headers = { ...ASYNC, 'idempotency-key': 'order-42' };
    const answers = await Promise.all(Array.from({ length: 20 }, () => submit(key.key, 2, headers)));
    const ids = new Set(answers.map((a) => a.json.output.task_id));
    assert.equal(ids.size, 1);
    assert.ok(answers.every((a) => a.status === 200));
    await finished(key.key, [...ids][0] as string);
    assert.equal((await balanceOf(key.key)).balance, '4.64');
    const again = await submit(key.key, 2, headers);
    assert.equal(again.json.output.task_id, [...ids][0]);
    const different = await submit(key.key, 3, headers);
    assert.equal(different.status, 409);
    assert.equal(different.json.code, 'Conflict');
    assert.match(different.json.message, /order-42/);
    const openai = await fetch(`${server!.url}/v1/images/generations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json', 'idempotency-key': 'order-42' },
      body: JSON.stringify({ prompt: 'something else', size: '512x512' }),
    });
    assert.equal(openai.status, 409);
    assert.equal(((await openai.json()) as any).error.code, 'idempotency_key_reused');
  });

  it('refuses with each dialect\'s shape when the balance is short', async () => {
    await start();
    const key = (await admin('/admin/v1/keys', { name: 'broke', balance: '0.10' })).json;
    const dashscope = await submit(key.key, 1);
    assert.equal(dashscope.status, 400);
    assert.equal(dashscope.json.code, 'Arrearage');
    const openai = await fetch(`${server!.url}/v1/images/generations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'x', size: '512x512' }),
    });
    assert.equal(openai.status, 429);
    assert.equal(((await openai.json()) as any).error.type, 'insufficient_quota');
    const nebula = await fetch(`${server!.url}/v1/images/generations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'qwen-image-2.0-pro', parameters: { size: '512*512' }, contents: [{ role: 'user', parts: [{ text: 'x' }] }] }),
    });
    assert.equal(nebula.status, 403);
    assert.equal(((await nebula.json()) as any).code, 403);
  });

  it('limits requests per minute and tasks in flight per key, with Retry-After', async () => {
    const gate = createGateEngine('gate');
    await start(gate);
    const rpm = (await admin('/admin/v1/keys', { name: 'rpm', rateLimitPerMinute: 3 })).json;
    for (let i = 0; i < 3; i += 1) assert.equal((await submit(rpm.key)).status, 200);
    const limited = await submit(rpm.key);
    assert.equal(limited.status, 429);
    assert.equal(limited.json.code, 'Throttling.RateQuota');
    assert.ok(Number(limited.headers.get('retry-after')) >= 1);

    const inflight = (await admin('/admin/v1/keys', { name: 'inflight', maxInFlight: 2 })).json;
    assert.equal((await submit(inflight.key)).status, 200);
    assert.equal((await submit(inflight.key)).status, 200);
    const third = await submit(inflight.key);
    assert.equal(third.status, 429);
    assert.match(third.json.message, /2 tasks in flight/);
    gate.open();
  });

  it('admin: credit, list with balances, usage filtered by key, model and time; a key reads its own usage', async () => {
    await start();
    const a = (await admin('/admin/v1/keys', { name: 'a', balance: '1' })).json;
    const b = (await admin('/admin/v1/keys', { name: 'b' })).json;
    assert.equal(b.balance, null, 'no balance: unlimited');
    const credited = await admin(`/admin/v1/keys/${a.id}/credit`, { amount: '2.50' });
    assert.deepEqual(credited.json, { id: a.id, balance: '3.50' });
    assert.equal((await admin(`/admin/v1/keys/${a.id}/credit`, { amount: '-1' })).status, 400);
    assert.equal((await admin('/admin/v1/keys/key_none/credit', { amount: '1' })).status, 404);
    for (const key of [a.key, b.key]) await finished(key, (await submit(key, 2)).json.output.task_id);
    const list = (await admin('/admin/v1/keys')).json.data;
    assert.equal(list.find((k: any) => k.id === a.id).balance, '3.14');
    assert.equal(list.find((k: any) => k.id === b.id).balance, null);
    const all = (await admin('/admin/v1/usage')).json;
    assert.equal(all.total, 2);
    assert.equal((await admin(`/admin/v1/usage?keyId=${b.id}`)).json.total, 1);
    assert.equal((await admin('/admin/v1/usage?model=qwen-image-max')).json.total, 0);
    const future = new Date(Date.now() + 60_000).toISOString();
    assert.equal((await admin(`/admin/v1/usage?from=${encodeURIComponent(future)}`)).json.total, 0);
    const mine = await fetch(`${server!.url}/v1/usage`, { headers: { authorization: `Bearer ${b.key}` } });
    const usage = (await mine.json()) as any;
    assert.equal(usage.total, 1);
    assert.equal(usage.data[0].content, 'Image generation: 2 images × ¥0.18 = ¥0.36');
    assert.equal((await balanceOf(b.key)).balance, null);
  });
});
