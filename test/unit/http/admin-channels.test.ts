/** The catalog's admin API over an in-memory CatalogAdmin: auth, validation, status codes, route keys, margins as JSON and CSV. */
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { adminChannelRoutes } from '../../../src/http/admin-channels.js';
import { csvCell } from '../../../src/http/csv.js';
import type { MarginFilter, MarginRow } from '../../../src/store/ports.js';
import { fakeCatalogAdmin, type FakeCatalogAdmin } from '../../fakes/catalog-admin.js';

const TOKEN = 'admin-token-for-channel-tests';
const auth = { authorization: `Bearer ${TOKEN}` };

let app: FastifyInstance;
let catalog: FakeCatalogAdmin;
let marginCalls: MarginFilter[];
let marginRows: MarginRow[];

async function send(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await app.inject({ method, url, headers: { ...auth, ...headers }, ...(body === undefined ? {} : { payload: body as object }) });
  return { status: response.statusCode, headers: response.headers, text: response.body, json: response.body === '' ? null : String(response.headers['content-type'] ?? '').includes('json') ? response.json() : null };
}

async function refused(method: 'POST' | 'PUT' | 'PATCH', url: string, body: unknown, field: string) {
  const answer = await send(method, url, body);
  assert.equal(answer.status, 400, answer.text);
  assert.equal(answer.json.error.code, 'invalid_parameter');
  assert.equal(answer.json.error.field, field, answer.text);
  return answer.json.error.message as string;
}

beforeEach(async () => {
  catalog = fakeCatalogAdmin();
  marginCalls = [];
  marginRows = [];
  app = Fastify();
  await app.register(adminChannelRoutes, {
    adminToken: TOKEN,
    catalog,
    currency: 'CNY',
    keyNames: async () => new Map([['key_1', 'shop A']]),
    userNames: async () => new Map([['usr_1', 'Shop A Ltd']]),
    margins: async (filter) => {
      marginCalls.push(filter);
      return marginRows;
    },
  });
});

describe('admin channels API', () => {
  it('needs the admin token on every route', async () => {
    for (const [method, url] of [['GET', '/admin/v1/channels'], ['POST', '/admin/v1/channels'], ['GET', '/admin/v1/margins'], ['PUT', '/admin/v1/routes/%2A'], ['DELETE', '/admin/v1/channels/local']] as const) {
      const none = await app.inject({ method, url });
      assert.equal(none.statusCode, 401, `${method} ${url}`);
      assert.equal(none.json().error.code, 'unauthorized');
      const wrong = await app.inject({ method, url, headers: { authorization: 'Bearer nope' } });
      assert.equal(wrong.statusCode, 401);
    }
    assert.deepEqual(catalog.calls, []);
  });

  it('creates a channel with credentials (201), shows keys as their last 4, and reads it back', async () => {
    const created = await send('POST', '/admin/v1/channels', {
      name: 'cloud',
      engine: { type: 'dashscope', baseUrl: 'http://127.0.0.1:9' },
      cost: { '*': '0.14' },
      credentials: [{ apiKey: 'sk-aaaa1111', label: 'A', weight: 2, qps: 0.5, maxConcurrent: 4 }, { apiKey: 'sk-bbbb2222', region: 'singapore' }],
    });
    assert.equal(created.status, 201, created.text);
    assert.deepEqual(created.json.credentials.map((c: { key: string }) => c.key), ['…1111', '…2222']);
    assert.ok(!created.text.includes('sk-aaaa'), 'no secret in the answer');
    assert.match((catalog.calls.find((c) => c.method === 'createChannel')?.args[1] as string) ?? '', /^admin \(/);
    const one = await send('GET', '/admin/v1/channels/cloud');
    assert.equal(one.json.name, 'cloud');
    assert.equal((await send('GET', '/admin/v1/channels/nothing')).status, 404);
    const all = await send('GET', '/admin/v1/channels');
    assert.deepEqual(all.json.channels.map((c: { name: string }) => c.name), ['local', 'cloud']);
    assert.equal(all.json.currency, 'CNY');
    assert.equal((await send('POST', '/admin/v1/channels', { name: 'cloud', engine: { type: 'local' } })).status, 409);
  });

  it('refuses malformed bodies with a 400 naming the field, and unknown fields', async () => {
    await refused('POST', '/admin/v1/channels', { engine: { type: 'local' } }, 'name');
    await refused('POST', '/admin/v1/channels', { name: 'x', engine: {} }, 'engine.type');
    await refused('POST', '/admin/v1/channels', { name: 'x', engine: { type: 'local' }, test: 'ping' }, 'test');
    await refused('POST', '/admin/v1/channels', { name: 'x', engine: { type: 'local' }, credentials: [{ apiKey: 'k', weight: 0 }] }, 'credentials[0].weight');
    await refused('POST', '/admin/v1/channels', { name: 'x', engine: { type: 'local' }, cost: { '*': 0.14 } }, 'cost.*');
    assert.match(await refused('POST', '/admin/v1/channels', { name: 'x', engine: { type: 'local' }, colour: 'red' }, 'body'), /colour/);
    await refused('POST', '/admin/v1/channels/local/credentials', { apiKey: 'has a space' }, 'apiKey');
    await refused('POST', '/admin/v1/channels/local/credentials', { apiKey: 'x'.repeat(1001) }, 'apiKey');
    await refused('POST', '/admin/v1/channels/local/credentials', {}, 'apiKey');
    await refused('POST', '/admin/v1/channels/local/credentials', { apiKey: 'k', label: 'l'.repeat(101) }, 'label');
    await refused('POST', '/admin/v1/channels/local/credentials', { apiKey: 'k', qps: 0.05 }, 'qps');
    await refused('POST', '/admin/v1/channels/local/credentials', { apiKey: 'k', maxConcurrent: 1001 }, 'maxConcurrent');
    await refused('POST', '/admin/v1/channels/local/credentials', { apiKey: 'k', region: 'mars' }, 'region');
    await refused('PATCH', '/admin/v1/channels/local/credentials/cr_1', { weight: 1.5 }, 'weight');
    await refused('PATCH', '/admin/v1/channels/local', { enabled: 'yes' }, 'enabled');
    await refused('PUT', '/admin/v1/routes/%2A', { entries: [{ channel: 'local', priority: 1.5, weight: 1 }] }, 'entries[0].priority');
    await refused('PUT', '/admin/v1/routes/%2A', { entries: [{ channel: 'local', priority: 1001, weight: 1 }] }, 'entries[0].priority');
    await refused('PUT', '/admin/v1/routes/%2A', { entries: [{ channel: 'local', priority: 0, weight: 1001 }] }, 'entries[0].weight');
    await refused('PUT', '/admin/v1/routes/%2A', { entries: [] }, 'entries');
    await refused('PUT', '/admin/v1/prices', { perImage: { '*': '0.20' } }, 'perEngine');
    await refused('POST', '/admin/v1/channels/local/test', { model: 'm', extra: 1 }, 'body');
    // The service's own refusal comes through as it threw it.
    await refused('PUT', '/admin/v1/routes/%2A', { entries: [{ channel: 'ghost', priority: 0, weight: 1 }] }, 'entries[0].channel');
  });

  it('adds, changes, re-enables and removes a credential (201, 200, 204)', async () => {
    const added = await send('POST', '/admin/v1/channels/local/credentials', { apiKey: 'sk-cccc3333', label: 'C' });
    assert.equal(added.status, 201);
    assert.equal(added.json.key, '…3333');
    catalog.disable('local', added.json.id, 'arrears', 'Arrearage', 'Access denied, account in arrears.');
    const disabled = (await send('GET', '/admin/v1/channels/local')).json.credentials[0];
    assert.equal(disabled.disabled.code, 'Arrearage');
    assert.equal(disabled.usable, false);
    const enabled = await send('PATCH', `/admin/v1/channels/local/credentials/${added.json.id}`, { enabled: true });
    assert.equal(enabled.status, 200);
    assert.equal(enabled.json.disabled, null);
    const patch = catalog.calls.find((c) => c.method === 'updateCredential')?.args[2];
    assert.deepEqual(patch, { enabled: true }, 'absent fields are left out of the patch');
    assert.equal((await send('DELETE', `/admin/v1/channels/local/credentials/${added.json.id}`)).status, 204);
    assert.equal((await send('DELETE', '/admin/v1/channels/local/credentials/cr_404')).status, 404);
  });

  it('updates, tests and deletes a channel, refusing to delete one a route names', async () => {
    assert.equal((await send('PATCH', '/admin/v1/channels/local', { enabled: false })).json.enabled, false);
    const tested = await send('POST', '/admin/v1/channels/local/test');
    assert.equal(tested.status, 200);
    assert.equal(tested.json.ok, true);
    assert.equal((await send('POST', '/admin/v1/channels/local/test', { model: 'qwen-image' })).json.model, 'qwen-image');
    assert.equal((await send('DELETE', '/admin/v1/channels/local')).status, 409);
    await send('POST', '/admin/v1/channels', { name: 'spare', engine: { type: 'local' } });
    assert.equal((await send('DELETE', '/admin/v1/channels/spare')).status, 204);
  });

  it('takes "*" as a route key, encoded or not', async () => {
    const entries = [{ channel: 'local', priority: 5, weight: 3 }];
    const encoded = await send('PUT', '/admin/v1/routes/%2A', { entries });
    assert.equal(encoded.status, 200, encoded.text);
    assert.deepEqual(encoded.json, { model: '*', entries });
    assert.equal((await send('PUT', '/admin/v1/routes/*', { entries })).json.model, '*');
    assert.equal((await send('PUT', '/admin/v1/routes/qwen-image-edit-plus', { entries })).json.model, 'qwen-image-edit-plus');
    assert.deepEqual(Object.keys((await send('GET', '/admin/v1/routes')).json.routes).sort(), ['*', 'qwen-image-edit-plus']);
    assert.equal((await send('DELETE', '/admin/v1/routes/%2A')).status, 204);
    assert.deepEqual(Object.keys((await send('GET', '/admin/v1/routes')).json.routes), ['qwen-image-edit-plus']);
    assert.equal((await send('DELETE', '/admin/v1/routes/%2A')).status, 404);
  });

  it('reads and replaces prices with the currency', async () => {
    assert.deepEqual((await send('GET', '/admin/v1/prices')).json, { perImage: { '*': '0.20' }, perEngine: {}, currency: 'CNY' });
    const next = { perImage: { '*': '0.25' }, perEngine: { local: { '*': '0.00' } } };
    assert.deepEqual((await send('PUT', '/admin/v1/prices', next)).json, { ...next, currency: 'CNY' });
  });

  it('pages the audit log with ISO times', async () => {
    await send('PATCH', '/admin/v1/channels/local', { enabled: false });
    await send('PATCH', '/admin/v1/channels/local', { enabled: true });
    const page = await send('GET', '/admin/v1/audit?limit=1&offset=0&subject=channel%3Alocal');
    assert.equal(page.json.total, 2);
    assert.equal(page.json.data.length, 1);
    assert.match(page.json.data[0].at, /^\d{4}-\d\d-\d\dT.*Z$/);
    assert.deepEqual(catalog.calls.at(-1), { method: 'audit', args: [1, 0, 'channel:local'] });
    await send('GET', '/admin/v1/audit');
    assert.deepEqual(catalog.calls.at(-1)?.args, [50, 0, undefined]);
    assert.equal((await send('GET', '/admin/v1/audit?limit=0')).json.error.field, 'limit');
  });
});

describe('GET /admin/v1/margins', () => {
  it('defaults to the last 7 UTC days by day and model', async () => {
    await send('GET', '/admin/v1/margins');
    const [filter] = marginCalls;
    assert.ok(filter?.from !== undefined && filter.to !== undefined);
    assert.deepEqual(filter.groupBy, ['day', 'model']);
    assert.equal(filter.limit, 1001, 'one row more than answered, to tell a cut answer');
    assert.equal(filter.from % 86_400_000, 0, 'from the start of a UTC day');
    assert.ok(filter.to - filter.from > 6 * 86_400_000 && filter.to - filter.from <= 7 * 86_400_000);
  });

  it('parses dates, filters, grouping and limit, and refuses what it cannot read', async () => {
    await send('GET', '/admin/v1/margins?from=2026-01-01&to=2026-01-07&model=qwen-image&channel=cloud&keyId=key_1&groupBy=channel,credential,key&limit=20');
    assert.deepEqual(marginCalls[0], { from: Date.parse('2026-01-01T00:00:00Z'), to: Date.parse('2026-01-08T00:00:00Z'), model: 'qwen-image', channel: 'cloud', keyId: 'key_1', userId: undefined, groupBy: ['channel', 'credential', 'key'], limit: 21 });
    await send('GET', '/admin/v1/margins?from=2026-01-01T06:00:00Z&to=1767600000');
    assert.deepEqual([marginCalls[1]?.from, marginCalls[1]?.to], [Date.parse('2026-01-01T06:00:00Z'), 1_767_600_000_000]);
    for (const [query, field] of [['groupBy=day,week', 'groupBy'], ['groupBy=', 'groupBy'], ['from=yesterday', 'from'], ['limit=0', 'limit'], ['format=xls', 'format'], ['sort=cost', 'body'], ['from=2026-02-01&to=2026-01-01', 'from']] as const) {
      const answer = await send('GET', `/admin/v1/margins?${query}`);
      assert.equal(answer.status, 400, query);
      assert.equal(answer.json.error.field, field, query);
    }
  });

  it('answers amounts as decimal strings with margin and percent, and totals', async () => {
    marginRows = [
      { day: '2026-01-05', model: 'qwen-image-edit-plus', tasks: 3, images: 4, revenueMicros: 800_000, costMicros: 560_000 },
      { day: '2026-01-05', model: 'qwen-image', tasks: 1, images: 1, revenueMicros: 0, costMicros: 140_000 },
    ];
    const answer = await send('GET', '/admin/v1/margins?from=2026-01-01&to=2026-01-07');
    assert.equal(answer.json.currency, 'CNY');
    assert.deepEqual(answer.json.groupBy, ['day', 'model']);
    assert.deepEqual(answer.json.data[0], { day: '2026-01-05', model: 'qwen-image-edit-plus', tasks: 3, images: 4, revenue: '0.80', cost: '0.56', margin: '0.24', marginPercent: 30 });
    assert.deepEqual(answer.json.data[1], { day: '2026-01-05', model: 'qwen-image', tasks: 1, images: 1, revenue: '0.00', cost: '0.14', margin: '-0.14', marginPercent: null });
    assert.deepEqual(answer.json.totals, { tasks: 4, images: 5, revenue: '0.80', cost: '0.70', margin: '0.10', marginPercent: 12.5 });
    assert.equal(answer.json.truncated, false);
  });

  it('names credentials and keys beside their ids, in JSON and CSV', async () => {
    await send('POST', '/admin/v1/channels', { name: 'cloud', engine: { type: 'dashscope' }, credentials: [{ apiKey: 'sk-aaaa1111', label: 'main' }] });
    const id = (await send('GET', '/admin/v1/channels')).json.channels.find((c: { name: string }) => c.name === 'cloud').credentials[0].id as string;
    marginRows = [
      { channel: 'cloud', credential: id, keyId: 'key_1', tasks: 2, images: 2, revenueMicros: 600_000, costMicros: 200_000 },
      { channel: 'cloud', credential: 'cr_removed', keyId: 'key_gone', tasks: 1, images: 1, revenueMicros: 300_000, costMicros: 100_000 },
    ];
    const answer = await send('GET', '/admin/v1/margins?groupBy=channel,credential,key');
    assert.deepEqual(answer.json.data.map((r: { credentialName: string | null; keyName: string | null }) => [r.credentialName, r.keyName]), [['main …1111', 'shop A'], [null, null]]);
    const csv = await send('GET', '/admin/v1/margins?groupBy=credential,key&format=csv');
    assert.match(csv.text.split('\r\n')[0] ?? '', /^credential,credentialName,keyId,keyName,tasks/);
    assert.match(csv.text, /main …1111,key_1,shop A/);
  });

  it('says when rows were cut by the limit', async () => {
    marginRows = Array.from({ length: 3 }, (_, i) => ({ model: `m${i}`, tasks: 1, images: 1, revenueMicros: 100_000, costMicros: 0 }));
    const cut = await send('GET', '/admin/v1/margins?groupBy=model&limit=2');
    assert.deepEqual([cut.json.data.length, cut.json.truncated, cut.json.totals.tasks], [2, true, 2]);
    const csv = await send('GET', '/admin/v1/margins?groupBy=model&limit=2&format=csv');
    assert.equal(csv.headers['x-truncated'], 'true');
    assert.equal(csv.text.split('\r\n').length, 4, 'a header, 2 rows and the final line end');
    const whole = await send('GET', '/admin/v1/margins?groupBy=model&limit=3');
    assert.deepEqual([whole.json.data.length, whole.json.truncated], [3, false]);
  });

  it('downloads CSV with a header, RFC 4180 quoting and formula cells defused', async () => {
    marginRows = [
      { model: 'plain', channel: 'cloud', tasks: 1, images: 2, revenueMicros: 400_000, costMicros: 500_000 },
      { model: 'with, comma "and quotes"', channel: '=HYPERLINK("http://x")', tasks: 1, images: 1, revenueMicros: 200_000, costMicros: 0 },
      { model: '@sum', channel: null, tasks: 1, images: 1, revenueMicros: 0, costMicros: 0 },
    ];
    for (const [url, headers] of [['/admin/v1/margins?from=2026-01-01&to=2026-01-07&groupBy=model,channel&format=csv', {}], ['/admin/v1/margins?from=2026-01-01&to=2026-01-07&groupBy=model,channel', { accept: 'text/csv' }]] as const) {
      const answer = await send('GET', url, undefined, headers);
      assert.equal(answer.status, 200);
      assert.match(String(answer.headers['content-type']), /^text\/csv/);
      assert.equal(answer.headers['content-disposition'], 'attachment; filename="margins-2026-01-01-2026-01-07.csv"');
      assert.deepEqual(answer.text.split('\r\n'), [
        'model,channel,tasks,images,revenue,cost,margin,marginPercent,currency',
        'plain,cloud,1,2,0.40,0.50,-0.10,-25,CNY',
        `"with, comma ""and quotes""","'=HYPERLINK(""http://x"")",1,1,0.20,0.00,0.20,100,CNY`,
        "'@sum,,1,1,0.00,0.00,0.00,,CNY",
        '',
      ]);
    }
  });

  it('defuses every formula start in text cells but keeps numbers', () => {
    assert.deepEqual(['=1+1', '+1x', '-x', '@a', '\tx', 'ok'].map(csvCell), ["'=1+1", "'+1x", "'-x", "'@a", "'\tx", 'ok']);
    assert.deepEqual([csvCell('-0.10'), csvCell(-3), csvCell('line\nbreak'), csvCell(null)], ['-0.10', '-3', '"line\nbreak"', '']);
  });
});
