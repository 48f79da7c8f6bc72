/**
 * Customers end to end, through two dialects (DashScope's async task route and OpenAI's images
 * route): two keys of one user draining one balance at once, a group multiplier applied and kept
 * by a task already held, a budget refusal in each dialect's own quota error, and a redeemed code
 * unblocking a user. The ledger invariant is checked after every test.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { Engine } from '../../src/engines/engine.js';
import { createGateEngine } from '../fakes/gate-engine.js';
import { createScriptedEngine } from '../fakes/scripted-engine.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { assertLedgerInvariant } from '../helpers/ledger.js';

const ADMIN = 'admin-token-for-customers';
const MODEL = 'qwen-image-2.0-pro';
let server: TestGateway | null = null;

afterEach(async () => {
  if (!server) return;
  for (let i = 0; i < 400; i += 1) {
    const open = await server.gateway.store.db.selectFrom('tasks').select('id').where('status', 'in', ['queued', 'running']).execute();
    if (open.length === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  await assertLedgerInvariant(server.gateway.store.db);
  await server.close();
  server = null;
});

async function start(engine: Engine = createScriptedEngine()): Promise<TestGateway> {
  server = await startTestGateway({
    env: { QIG_ADMIN_TOKEN: ADMIN },
    engines: new Map([[engine.name, engine]]),
    config: { engines: { [engine.name]: { type: 'local' } }, routes: { '*': [engine.name] }, prices: { currency: 'CNY', perImage: { [MODEL]: '0.18' } } },
    worker: { retryBaseDelayMs: 5, retryMaxDelayMs: 10 },
  });
  return server;
}

async function call(path: string, options: { key?: string; body?: unknown; method?: string } = {}) {
  const response = await fetch(`${server!.url}${path}`, {
    method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
    headers: { authorization: `Bearer ${options.key ?? ADMIN}`, ...(options.body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: options.body === undefined ? null : JSON.stringify(options.body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: (text === '' ? null : JSON.parse(text)) as any };
}

/** A customer: a group at `multiplier`, a user in it with `balance`, and two keys. */
async function customer(multiplier: string, balance: string | null, extra: Record<string, unknown> = {}) {
  const group = `g${multiplier.replace('.', '_')}`;
  assert.equal((await call(`/admin/v1/groups/${group}`, { method: 'PUT', body: { multiplier, description: 'wholesale' } })).status, 200);
  const user = await call('/admin/v1/users', { body: { name: 'Shop A', email: 'ops@shop-a.example', group, balance, ...extra } });
  assert.equal(user.status, 201, JSON.stringify(user.json));
  const keys = [];
  for (const name of ['web', 'batch']) {
    const key = await call(`/admin/v1/users/${user.json.id}/keys`, { body: { name } });
    assert.equal(key.status, 201, JSON.stringify(key.json));
    keys.push(key.json.key as string);
  }
  return { id: user.json.id as string, keys: keys as [string, string] };
}

function dashscope(key: string, n = 1) {
  return call('/api/v1/services/aigc/multimodal-generation/generation', {
    key,
    body: { model: MODEL, input: { messages: [{ role: 'user', content: [{ text: 'a poster' }] }] }, parameters: { n, size: '512*512' } },
  });
}

function dashscopeAsync(key: string, n = 1) {
  return fetch(`${server!.url}/api/v1/services/aigc/multimodal-generation/generation`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'x-dashscope-async': 'enable' },
    body: JSON.stringify({ model: MODEL, input: { messages: [{ role: 'user', content: [{ text: 'a poster' }] }] }, parameters: { n, size: '512*512' } }),
  }).then(async (r) => ({ status: r.status, json: (await r.json()) as any }));
}

function openai(key: string, n = 1) {
  return call('/v1/images/generations', { key, body: { model: MODEL, prompt: 'a poster', n, size: '512x512' } });
}

async function balance(key: string) {
  return (await call('/v1/balance', { key })).json as { balance: string | null; held: string };
}

describe('customers', () => {
  it('two keys of one user, one through each dialect, drain one balance at once: never overdrawn, each image at 0.8×', async () => {
    await start();
    // 0.18 × 0.8 = 0.144 an image; 9.00 covers 62 of them.
    const { id, keys } = await customer('0.8', '9.00');
    const answers = await Promise.all(Array.from({ length: 80 }, (_, i) => (i % 2 === 0 ? dashscope(keys[0]) : openai(keys[1]))));
    const accepted = answers.filter((a) => a.status === 200);
    assert.equal(accepted.length, 62);
    for (const refused of answers.filter((a) => a.status !== 200)) {
      if ('code' in (refused.json ?? {})) assert.deepEqual([refused.status, refused.json.code], [400, 'Arrearage']);
      else assert.deepEqual([refused.status, refused.json.error.type], [429, 'insufficient_quota']);
    }
    assert.equal((await balance(keys[0])).balance, '0.072');
    const [web, batch] = [await balance(keys[0]), await balance(keys[1])];
    assert.deepEqual([batch.balance, batch.held], [web.balance, web.held], 'both keys see the one balance');
    const usage = await call(`/admin/v1/margins?groupBy=user&userId=${id}`);
    assert.equal(usage.json.data[0].userName, 'Shop A');
    assert.equal(usage.json.data[0].images, 62);
    assert.equal(usage.json.data[0].revenue, '8.928');
  });

  it('prices a task at its group multiplier when held: a change afterwards applies only to later tasks', async () => {
    const gate = createGateEngine('gate');
    await start(gate);
    const { keys } = await customer('0.8', '10.00');
    const held = await dashscopeAsync(keys[0], 2);
    assert.equal(held.status, 200);
    await gate.waitForStarts(1);
    assert.equal((await balance(keys[0])).held, '0.288', '2 × 0.144 held');
    assert.equal((await call('/admin/v1/groups/g0_8', { method: 'PUT', body: { multiplier: '0.5' } })).status, 200);
    gate.open();
    const later = await openai(keys[1], 1);
    assert.equal(later.status, 200, JSON.stringify(later.json));
    for (let i = 0; i < 200 && (await balance(keys[0])).held !== '0.00'; i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
    const usage = (await call('/v1/account/tasks', { key: keys[0] })).json.data as Array<{ unitPrice: string; charged: string }>;
    assert.deepEqual(usage.map((t) => [t.unitPrice, t.charged]).sort(), [['0.09', '0.09'], ['0.144', '0.288']]);
    assert.equal((await balance(keys[0])).balance, '9.622');
  });

  it("refuses past a user's monthly budget before any work, in each dialect's quota error naming the budget and its reset", async () => {
    await start();
    const { keys } = await customer('1', '10.00', { budget: { amount: '0.40', period: 'month' } });
    assert.equal((await dashscope(keys[0])).status, 200);
    assert.equal((await openai(keys[1])).status, 200);
    const tasksBefore = (await call('/v1/account/tasks', { key: keys[0] })).json.total;
    const ds = await dashscope(keys[0]);
    assert.equal(ds.status, 429);
    assert.equal(ds.json.code, 'Throttling.AllocationQuota');
    assert.match(ds.json.message, /monthly budget of ¥0\.40 would be exceeded: ¥0\.36 spent or held this month \(UTC\).*resets at \d{4}-\d{2}-01T00:00:00\.000Z/);
    const oa = await openai(keys[1]);
    assert.equal(oa.status, 429);
    assert.deepEqual([oa.json.error.type, oa.json.error.code], ['insufficient_quota', 'budget_exceeded']);
    assert.equal(oa.headers.get('x-should-retry'), 'false');
    assert.equal((await call('/v1/account/tasks', { key: keys[0] })).json.total, tasksBefore, 'no task was created');
    const account = (await call('/v1/account', { key: keys[0] })).json;
    assert.deepEqual(account.budgets.map((b: any) => [b.owner, b.amount, b.period, b.spent]), [['user', '0.40', 'month', '0.36']]);
  });

  it('a redeemed code unblocks a user out of balance; the code works once', async () => {
    await start();
    const { keys } = await customer('1', '0.00');
    assert.equal((await dashscope(keys[0])).json.code, 'Arrearage');
    const batch = await call('/admin/v1/codes', { body: { name: 'launch', amount: '1.00', count: 2 } });
    assert.equal(batch.status, 201);
    const [code] = batch.json.codes as string[];
    const redeemed = await call('/v1/redeem', { key: keys[1], body: { code: code!.toLowerCase() } });
    assert.deepEqual(redeemed.json, { credited: '1.00', balance: '1.00', currency: 'CNY' });
    assert.equal((await dashscope(keys[0])).status, 200);
    const again = await Promise.all([call('/v1/redeem', { key: keys[0], body: { code } }), call('/v1/redeem', { key: keys[1], body: { code } })]);
    for (const answer of again) {
      assert.equal(answer.status, 400);
      assert.match(answer.json.error.message, /has already been redeemed/);
    }
    const detail = await call(`/admin/v1/codes/${batch.json.id}`);
    assert.equal(detail.json.redeemed, 1);
  });
});
