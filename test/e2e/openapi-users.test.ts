/**
 * The customers API's real answers (users, groups, top-up codes; a user's own account, keys and
 * redeem; margins by user), successes and errors, held to the schemas GET /openapi.json publishes
 * for their route and status (a scripted engine makes one task, so spend and tasks have rows).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createScriptedEngine } from '../fakes/scripted-engine.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { OpenApiReader, type OpenApiDocument } from '../helpers/openapi.js';

const ADMIN = 'admin-secret-for-openapi-users';
const admin = `Bearer ${ADMIN}`;
let gw: TestGateway;
let reader: OpenApiReader;

/** Calls `url` (the concrete form of the documented `path`) and checks the answer against the document. */
async function call(method: string, path: string, url: string, auth: string, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(`${gw.url}${url}`, {
    method: method.toUpperCase(),
    headers: { authorization: auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (response.status === 204) {
    assert.ok(reader.response(method, path, '204'), `${method.toUpperCase()} ${path} answered 204, which the document does not list`);
    return { status: 204, body: null };
  }
  const answer: unknown = JSON.parse(text);
  reader.assertAnswer(method, path, response.status, answer);
  return { status: response.status, body: answer };
}

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('the customers API answers as the OpenAPI document says', { timeout: 120_000 }, () => {
  before(async () => {
    gw = await startTestGateway({
      env: { QIG_ADMIN_TOKEN: ADMIN },
      engines: new Map([['scripted', createScriptedEngine()]]),
      config: { engines: { scripted: { type: 'local' } }, routes: { '*': ['scripted'] } },
    });
    reader = new OpenApiReader((await (await fetch(`${gw.url}/openapi.json`)).json()) as OpenApiDocument);
  });

  after(() => gw?.close());

  it('admin: groups, users, their keys and credit', async () => {
    const group = await call('put', '/admin/v1/groups/{name}', '/admin/v1/groups/partners', admin, { description: 'Resellers', multiplier: '0.8', overrides: { 'qwen-image-edit-plus': '0.5' } });
    assert.equal(group.body.multiplier, '0.8');
    assert.equal((await call('put', '/admin/v1/groups/{name}', '/admin/v1/groups/partners', admin, { multiplier: 'cheap' })).status, 400);
    const groups = await call('get', '/admin/v1/groups', '/admin/v1/groups', admin);
    assert.ok(groups.body.data.some((g: { name: string; users: number }) => g.name === 'partners' && g.users === 0));

    const user = await call('post', '/admin/v1/users', '/admin/v1/users', admin, { name: 'Acme Studio', email: 'ops@acme.test', group: 'partners', balance: '10.00', rateLimitPerMinute: 120, budget: { amount: '500.00', period: 'month' } });
    assert.equal(user.status, 201);
    const id: string = user.body.id;
    assert.equal((await call('post', '/admin/v1/users', '/admin/v1/users', admin, { name: 'x', group: 'nowhere' })).status, 404);
    assert.equal((await call('post', '/admin/v1/users', '/admin/v1/users', admin, { name: '' })).status, 400);
    await call('get', '/admin/v1/users', '/admin/v1/users?search=acme&group=partners&limit=10', admin);
    assert.equal((await call('get', '/admin/v1/users', '/admin/v1/users?limit=0', admin)).status, 400);
    await call('patch', '/admin/v1/users/{id}', `/admin/v1/users/${id}`, admin, { maxInFlight: 8, disabled: false });
    assert.equal((await call('patch', '/admin/v1/users/{id}', '/admin/v1/users/usr_missing', admin, { name: 'x' })).status, 404);
    assert.equal((await call('post', '/admin/v1/users/{id}/credit', `/admin/v1/users/${id}/credit`, admin, { amount: '5.00' })).body.balance, '15.00');
    const key = await call('post', '/admin/v1/users/{id}/keys', `/admin/v1/users/${id}/keys`, admin, { name: 'shop', budget: { amount: '20.00', period: 'day' } });
    assert.equal(key.status, 201);
    assert.equal(key.body.userId, id);
    assert.equal((await call('post', '/admin/v1/users/{id}/keys', `/admin/v1/users/${id}/keys`, admin, { name: 'wider', rateLimitPerMinute: 1000 })).status, 400);
    const joined = await call('post', '/admin/v1/keys', '/admin/v1/keys', admin, { name: 'joined', userId: id });
    assert.equal(joined.body.userId, id);
    assert.equal((await call('post', '/admin/v1/keys', '/admin/v1/keys', admin, { name: 'joined', userId: id, balance: '1.00' })).status, 400);
    const detail = await call('get', '/admin/v1/users/{id}', `/admin/v1/users/${id}`, admin);
    assert.equal(detail.body.keys.length, 2);
    await call('get', '/admin/v1/users/{id}', '/admin/v1/users/usr_missing', admin);
    assert.equal((await call('delete', '/admin/v1/groups/{name}', '/admin/v1/groups/partners', admin)).status, 409);
    assert.equal((await call('delete', '/admin/v1/groups/{name}', '/admin/v1/groups/default', admin)).status, 400);
    await call('put', '/admin/v1/groups/{name}', '/admin/v1/groups/spare', admin, { multiplier: 1 });
    assert.equal((await call('delete', '/admin/v1/groups/{name}', '/admin/v1/groups/spare', admin)).status, 204);
    assert.equal((await call('delete', '/admin/v1/groups/{name}', '/admin/v1/groups/spare', admin)).status, 404);
    assert.equal((await call('get', '/admin/v1/users', '/admin/v1/users', 'Bearer nope')).status, 401);
  });

  it('a user\'s own account, keys, tasks, spend and a redeemed code; margins by user', async () => {
    const user = await call('post', '/admin/v1/users', '/admin/v1/users', admin, { name: 'Self service', balance: '10.00', budget: { amount: '100.00', period: 'month' } });
    const auth = `Bearer ${(await call('post', '/admin/v1/users/{id}/keys', `/admin/v1/users/${user.body.id}/keys`, admin, { name: 'main' })).body.key}`;

    const balance = await call('get', '/v1/balance', '/v1/balance', auth);
    assert.equal(balance.body.userId, user.body.id);
    const account = await call('get', '/v1/account', '/v1/account', auth);
    assert.equal(account.body.budgets[0].owner, 'user');
    assert.equal((await call('get', '/v1/account', '/v1/account', 'Bearer sk-wrong')).status, 401);

    const generated = await fetch(`${gw.url}/v1/images/generations`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'qwen-image', prompt: 'a lighthouse', response_format: 'url' }) });
    assert.equal(generated.status, 200);
    await generated.arrayBuffer();
    const tasks = await until(() => call('get', '/v1/account/tasks', '/v1/account/tasks?limit=5', auth), (answer) => answer.body.data[0]?.charged !== null && answer.body.data.length === 1);
    assert.equal(tasks.body.data[0].images.length, 1);
    assert.equal((await call('get', '/v1/account/tasks', '/v1/account/tasks?limit=500', auth)).status, 400);
    const spend = await call('get', '/v1/account/spend', '/v1/account/spend?days=7', auth);
    assert.equal(spend.body.totals.tasks, 1);
    assert.equal((await call('get', '/v1/account/spend', '/v1/account/spend?days=0', auth)).status, 400);

    const created = await call('post', '/v1/account/keys', '/v1/account/keys', auth, { name: 'ci', rateLimitPerMinute: 30, budget: { amount: '20.00', period: 'day' } });
    assert.equal(created.status, 201);
    assert.equal((await call('post', '/v1/account/keys', '/v1/account/keys', auth, { name: 'dear', budget: { amount: '200.00', period: 'month' } })).status, 400);
    await call('patch', '/v1/account/keys/{id}', `/v1/account/keys/${created.body.id}`, auth, { name: 'ci-2', budget: null });
    assert.equal((await call('patch', '/v1/account/keys/{id}', '/v1/account/keys/key_missing', auth, { name: 'x' })).status, 404);
    await call('delete', '/v1/account/keys/{id}', `/v1/account/keys/${created.body.id}`, auth);
    assert.equal((await call('get', '/v1/account/keys', '/v1/account/keys', auth)).body.data.length, 2);

    const batch = await call('post', '/admin/v1/codes', '/admin/v1/codes', admin, { name: 'promo', amount: '50.00', count: 2, expiresAt: new Date(Date.now() + 86_400_000).toISOString() });
    assert.equal(batch.status, 201);
    assert.equal((await call('post', '/admin/v1/codes', '/admin/v1/codes', admin, { name: 'too many', amount: '1.00', count: 10_001 })).status, 400);
    const csv = await fetch(`${gw.url}/admin/v1/codes`, { method: 'POST', headers: { authorization: admin, 'content-type': 'application/json', accept: 'text/csv' }, body: JSON.stringify({ name: 'csv', amount: '1.00', count: 1 }) });
    assert.equal(csv.status, 201);
    assert.ok(reader.response('post', '/admin/v1/codes', '201')?.response.content?.['text/csv']);
    assert.match(await csv.text(), /^code,amount,batchId,expiresAt\r?\n/);

    const redeemed = await call('post', '/v1/redeem', '/v1/redeem', auth, { code: batch.body.codes[0] });
    assert.equal(redeemed.body.credited, '50.00');
    assert.equal((await call('post', '/v1/redeem', '/v1/redeem', auth, { code: batch.body.codes[0] })).status, 400);
    const unlimited = await call('post', '/admin/v1/keys', '/admin/v1/keys', admin, { name: 'unlimited' });
    assert.equal((await call('post', '/v1/redeem', '/v1/redeem', `Bearer ${unlimited.body.key}`, { code: batch.body.codes[1] })).status, 400);

    await call('get', '/admin/v1/codes', '/admin/v1/codes?limit=10', admin);
    const detail = await call('get', '/admin/v1/codes/{id}', `/admin/v1/codes/${batch.body.id}`, admin);
    assert.equal(detail.body.codes.filter((c: { userId: string | null }) => c.userId === user.body.id).length, 1);
    assert.equal((await call('get', '/admin/v1/codes/{id}', '/admin/v1/codes/rcb_missing', admin)).status, 404);
    assert.equal((await call('delete', '/admin/v1/codes/{id}', `/admin/v1/codes/${batch.body.id}`, admin)).body.revokedAt === null, false);

    const margins = await call('get', '/admin/v1/margins', `/admin/v1/margins?groupBy=user,model&userId=${user.body.id}`, admin);
    assert.deepEqual(margins.body.data.map((row: { userId: string; userName: string }) => [row.userId, row.userName]), [[user.body.id, 'Self service']]);
  });
});
