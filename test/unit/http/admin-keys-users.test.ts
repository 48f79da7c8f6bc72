/**
 * POST /admin/v1/keys with userId and budget, on the real server: the key joins the user (their
 * balance, their key list), `balance` with userId is refused naming balance and leaves no key
 * behind, a key's limits only narrow its user's, and without userId a key still gets a user of
 * its own.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';

const ADMIN = 'admin-token-for-key-user-tests';
let gw: TestGateway;

async function call(method: string, path: string, body?: unknown, authorization = `Bearer ${ADMIN}`): Promise<{ status: number; json: any }> {
  const response = await fetch(`${gw.url}${path}`, {
    method,
    headers: { authorization, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, json: text === '' ? null : JSON.parse(text) };
}

async function refused(body: unknown, field: string, status = 400, code = 'invalid_parameter'): Promise<string> {
  const answer = await call('POST', '/admin/v1/keys', body);
  assert.equal(answer.status, status, JSON.stringify(answer.json));
  assert.equal(answer.json.error.code, code);
  if (status === 400) assert.equal(answer.json.error.field, field);
  return answer.json.error.message as string;
}

async function newUser(body: Record<string, unknown>): Promise<string> {
  const created = await call('POST', '/admin/v1/users', body);
  assert.equal(created.status, 201, JSON.stringify(created.json));
  return created.json.id as string;
}

const keyIdsOf = async (userId: string) => ((await call('GET', `/admin/v1/users/${userId}`)).json.keys as Array<{ id: string }>).map((key) => key.id);

describe('POST /admin/v1/keys with userId', () => {
  before(async () => {
    gw = await startTestGateway({ env: { QIG_ADMIN_TOKEN: ADMIN } });
  });

  after(() => gw?.close());

  it('makes a key that joins the user: their balance, their key list', async () => {
    const userId = await newUser({ name: 'Acme Studio', balance: '10.00' });
    const created = await call('POST', '/admin/v1/keys', { name: 'acme-ci', userId, budget: { amount: '2.50', period: 'day' } });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    assert.equal(created.json.userId, userId);
    assert.equal(created.json.balance, '10.00');
    assert.deepEqual(created.json.budget, { amount: '2.50', period: 'day' });
    assert.match(created.json.key, /^sk-qig-/);
    assert.deepEqual(await keyIdsOf(userId), [created.json.id]);

    const balance = await call('GET', '/v1/balance', undefined, `Bearer ${created.json.key}`);
    assert.equal(balance.status, 200);
    assert.deepEqual(balance.json, { keyId: created.json.id, userId, name: 'acme-ci', balance: '10.00', held: '0.00', currency: balance.json.currency });

    const listed = (await call('GET', '/admin/v1/keys')).json.data.find((key: { id: string }) => key.id === created.json.id);
    assert.equal(listed.userId, userId);
    assert.deepEqual(listed.budget, { amount: '2.50', period: 'day' });
  });

  it('refuses a balance with userId, naming balance, and leaves no key behind', async () => {
    const userId = await newUser({ name: 'Balance refused', balance: '10.00' });
    const message = await refused({ name: 'with-balance', userId, balance: '5.00' }, 'balance');
    assert.match(message, /^balance: .*credit the user/);
    assert.deepEqual(await keyIdsOf(userId), []);
    const user = await call('GET', `/admin/v1/users/${userId}`);
    assert.equal(user.json.balance, '10.00');
  });

  it('lets a key narrow its user\'s limits, never widen them', async () => {
    const userId = await newUser({ name: 'Limited', rateLimitPerMinute: 60, budget: { amount: '5.00', period: 'month' } });
    await refused({ name: 'faster', userId, rateLimitPerMinute: 120 }, 'rateLimitPerMinute');
    await refused({ name: 'dearer', userId, budget: { amount: '9.00', period: 'month' } }, 'budget');
    const narrower = await call('POST', '/admin/v1/keys', { name: 'slower', userId, rateLimitPerMinute: 10, budget: { amount: '1.00', period: 'month' } });
    assert.equal(narrower.status, 201, JSON.stringify(narrower.json));
    assert.equal(narrower.json.rateLimitPerMinute, 10);
    assert.deepEqual(await keyIdsOf(userId), [narrower.json.id]);
  });

  it('refuses an unknown user (404), a bad budget or userId (400)', async () => {
    await refused({ name: 'nobody', userId: 'usr_missing' }, 'userId', 404, 'not_found');
    await refused({ name: 'bad budget', budget: { amount: 'lots', period: 'day' } }, 'budget.amount');
    await refused({ name: 'bad period', budget: { amount: '1.00', period: 'week' } }, 'budget.period');
    await refused({ name: 'bad user', userId: 7 }, 'userId');
  });

  it('without userId still makes a user of the key\'s own, with the opening balance', async () => {
    const created = await call('POST', '/admin/v1/keys', { name: 'standalone', balance: '3.00', budget: null });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    assert.match(created.json.userId, /^usr_/);
    assert.equal(created.json.balance, '3.00');
    assert.equal(created.json.budget, null);
    const user = await call('GET', `/admin/v1/users/${created.json.userId}`);
    assert.equal(user.json.balance, '3.00');
    assert.deepEqual(user.json.keys.map((key: { id: string }) => key.id), [created.json.id]);
  });
});
