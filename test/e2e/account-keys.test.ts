/**
 * A user's keys managed from their own account (`/v1/account/keys`): any key of the user may list,
 * create, change and revoke the user's keys, but give a key (itself included) no more than it
 * has: no wider limits, no larger budget, no later expiry. Another user's keys read as absent.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createScriptedEngine } from '../fakes/scripted-engine.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

const ADMIN = 'admin-token-account-keys';
let server: TestGateway;

before(async () => {
  const engine = createScriptedEngine();
  server = await startTestGateway({ env: { QIG_ADMIN_TOKEN: ADMIN }, engines: new Map([[engine.name, engine]]), config: { engines: { [engine.name]: { type: 'local' } }, routes: { '*': [engine.name] } } });
});
after(async () => server.close());

async function call(path: string, options: { key?: string; body?: unknown; method?: string } = {}) {
  const response = await fetch(`${server.url}${path}`, {
    method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
    headers: { authorization: `Bearer ${options.key ?? ADMIN}`, ...(options.body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: options.body === undefined ? null : JSON.stringify(options.body),
  });
  const text = await response.text();
  return { status: response.status, json: (text ? JSON.parse(text) : null) as any };
}

async function userWithKey(limits: Record<string, unknown> = {}, keyLimits: Record<string, unknown> = {}) {
  const user = await call('/admin/v1/users', { body: { name: 'Shop', balance: '10.00', ...limits } });
  assert.equal(user.status, 201, JSON.stringify(user.json));
  const key = await call(`/admin/v1/users/${user.json.id}/keys`, { body: { name: 'main', ...keyLimits } });
  assert.equal(key.status, 201, JSON.stringify(key.json));
  return { userId: user.json.id as string, keyId: key.json.id as string, secret: key.json.key as string };
}

/** An admin route's refusal: its own error shape, naming the field. */
const refusal0 = (answer: { status: number; json: any }, field: string) => {
  assert.equal(answer.status, 400, JSON.stringify(answer.json));
  assert.match(JSON.stringify(answer.json), new RegExp(field));
};

const refusal = (answer: { status: number; json: any }, field: string, message: RegExp) => {
  assert.equal(answer.status, 400, JSON.stringify(answer.json));
  assert.equal(answer.json.error.param, field);
  assert.match(answer.json.error.message, message);
};

describe('account keys', () => {
  it('a key with no limits of its own manages its user\'s keys within the user\'s limits; empty fields keep the user\'s', async () => {
    const { keyId, secret } = await userWithKey({ rateLimitPerMinute: 30, maxInFlight: 3, models: ['qwen-image', 'qwen-image-edit-plus'] });
    const made = await call('/v1/account/keys', { key: secret, body: { name: 'ci', rateLimitPerMinute: 10, models: ['qwen-image'] } });
    assert.equal(made.status, 201, JSON.stringify(made.json));
    assert.match(made.json.key, /^sk-qig-/);
    // The account page sends null for an empty field: "the user's limit", not a widening.
    const cleared = await call(`/v1/account/keys/${made.json.id}`, { key: secret, method: 'PATCH', body: { rateLimitPerMinute: null, maxInFlight: null, models: null, budget: null } });
    assert.equal(cleared.status, 200, JSON.stringify(cleared.json));
    refusal(await call(`/v1/account/keys/${keyId}`, { key: secret, method: 'PATCH', body: { maxInFlight: 4 } }), 'maxInFlight', /narrow its user's limit of 3/);
    refusal(await call('/v1/account/keys', { key: secret, body: { name: 'x', models: ['qwen-image-max'] } }), 'models', /cannot add qwen-image-max/);
    const listed = await call('/v1/account/keys', { key: secret });
    assert.deepEqual(listed.json.data.map((k: { name: string }) => k.name), ['main', 'ci']);
    const revoked = await call(`/v1/account/keys/${made.json.id}`, { key: secret, method: 'DELETE' });
    assert.ok(revoked.json.revokedAt);
    assert.equal((await call('/v1/account', { key: made.json.key })).status, 401, 'the revoked key is refused');
  });

  it('a key with limits of its own manages only itself, and only narrows: no new keys, no sibling changes, no limit left to follow the user', async () => {
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
    const { userId, keyId, secret } = await userWithKey({ models: ['qwen-image'] }, { models: ['qwen-image'], budget: { amount: '0.10', period: 'day' }, rateLimitPerMinute: 1, maxInFlight: 1, expiresAt });
    const sibling = await call(`/admin/v1/users/${userId}/keys`, { body: { name: 'wide' } });
    // Creating keys would multiply its budget and rate; a sibling is not its to change or revoke.
    const minted = await call('/v1/account/keys', { key: secret, body: { name: 'copy', rateLimitPerMinute: 1, maxInFlight: 1, models: ['qwen-image'], budget: { amount: '0.10', period: 'day' }, expiresAt } });
    assert.deepEqual([minted.status, minted.json.error.code], [403, 'permission_denied']);
    assert.match(minted.json.error.message, /limits of its own, so it cannot create keys/);
    for (const [method, body] of [['PATCH', { name: 'renamed' }], ['DELETE', undefined]] as const) {
      const answer = await call(`/v1/account/keys/${sibling.json.id}`, { key: secret, method, ...(body ? { body } : {}) });
      assert.equal(answer.status, 403, `${method}: ${JSON.stringify(answer.json)}`);
    }
    // Itself: narrower only, and a limit it has stays set (empty would follow the user's, which may grow).
    refusal(await call(`/v1/account/keys/${keyId}`, { key: secret, method: 'PATCH', body: { rateLimitPerMinute: null } }), 'rateLimitPerMinute', /at most 1, this key's own limit \(got none\)/);
    refusal(await call(`/v1/account/keys/${keyId}`, { key: secret, method: 'PATCH', body: { models: null } }), 'models', /may use only qwen-image, so it cannot add every model/);
    refusal(await call(`/v1/account/keys/${keyId}`, { key: secret, method: 'PATCH', body: { budget: { amount: '0.10', period: 'month' } } }), 'budget', /daily budget of at most 0\.10/);
    assert.equal((await call(`/v1/account/keys/${keyId}`, { key: secret, method: 'PATCH', body: { budget: { amount: '0.01', period: 'day' }, name: 'ci-narrow' } })).status, 200);
    // An unrestricted key of the same user manages every key, within the user's limits.
    const wide = sibling.json.key as string;
    assert.equal((await call(`/v1/account/keys/${keyId}`, { key: wide, method: 'PATCH', body: { rateLimitPerMinute: 5 } })).status, 200);
    const revoked = await call(`/v1/account/keys/${keyId}`, { key: secret, method: 'DELETE' });
    assert.ok(revoked.json.revokedAt, 'a key may revoke itself');
    const late = await call(`/admin/v1/keys/${keyId}`, { method: 'PATCH', body: { name: 'x' } });
    assert.equal(late.status, 409, 'a revoked key is not changed');
  });

  it('holds a user to 100 unrevoked keys, even when they are created at once', async () => {
    const { userId, secret } = await userWithKey();
    const { insertAccount } = await import('../helpers/accounts.js');
    for (let i = 0; i < 97; i += 1) await insertAccount(server.gateway.store.db, { id: `key_bulk_${userId}_${i}`, userId });
    const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => call('/v1/account/keys', { key: secret, body: { name: `k${i}` } })));
    assert.deepEqual(answers.map((a) => a.status).sort(), [201, 201, 409, 409, 409, 409]);
    assert.match(answers.find((a) => a.status === 409)!.json.error.message, /already has 100 keys/);
  });

  it("another user's key reads as absent; an expiry in the past is refused", async () => {
    const a = await userWithKey();
    const b = await userWithKey();
    for (const method of ['PATCH', 'DELETE']) {
      const answer = await call(`/v1/account/keys/${b.keyId}`, { key: a.secret, method, ...(method === 'PATCH' ? { body: { name: 'mine' } } : {}) });
      assert.equal(answer.status, 404, `${method}: ${JSON.stringify(answer.json)}`);
    }
    refusal(await call('/v1/account/keys', { key: a.secret, body: { name: 'late', expiresAt: '2020-01-01T00:00:00Z' } }), 'expiresAt', /must be in the future/);
  });

  it('a new user starts at 0.00 unless an opening balance (or null: unlimited) is given; an operator changes a key\'s limits within its user\'s', async () => {
    const plain = await call('/admin/v1/users', { body: { name: 'No balance given' } });
    assert.equal(plain.json.balance, '0.00');
    const unlimited = await call('/admin/v1/users', { body: { name: 'Unlimited', balance: null } });
    assert.equal(unlimited.json.balance, null);
    const { keyId } = await userWithKey({ rateLimitPerMinute: 30 });
    const narrowed = await call(`/admin/v1/keys/${keyId}`, { method: 'PATCH', body: { rateLimitPerMinute: 5, name: 'renamed' } });
    assert.deepEqual([narrowed.status, narrowed.json.rateLimitPerMinute, narrowed.json.name], [200, 5, 'renamed']);
    refusal0(await call(`/admin/v1/keys/${keyId}`, { method: 'PATCH', body: { rateLimitPerMinute: 31 } }), 'rateLimitPerMinute');
    assert.equal((await call('/admin/v1/keys/key_nobody', { method: 'PATCH', body: { name: 'x' } })).status, 404);
  });

  it("the ledger lists every movement of the user's balance, newest first, and sums to it", async () => {
    const { userId, secret } = await userWithKey();
    await call(`/admin/v1/users/${userId}/credit`, { body: { amount: '2.50' } });
    const batch = await call('/admin/v1/codes', { body: { name: 'promo', amount: '1.00', count: 1 } });
    assert.equal((await call('/v1/redeem', { key: secret, body: { code: batch.json.codes[0] } })).status, 200);
    const own = await call('/v1/account/ledger?limit=2', { key: secret });
    assert.deepEqual(own.json.data.map((r: any) => [r.kind, r.amount]), [['redeem', '1.00'], ['credit', '2.50']]);
    assert.equal(own.json.total, 3);
    const all = await call(`/admin/v1/users/${userId}/ledger`);
    assert.deepEqual(all.json.data.map((r: any) => r.kind), ['redeem', 'credit', 'credit']);
    const sum = all.json.data.reduce((total: number, r: any) => total + Math.round(Number(r.amount) * 1e6), 0);
    assert.equal(sum / 1e6, Number((await call('/v1/balance', { key: secret })).json.balance));
    assert.equal((await call('/admin/v1/users/usr_nobody/ledger')).status, 404);
    assert.equal((await call('/v1/account/ledger?limit=0', { key: secret })).status, 400);
  });
});
