/**
 * The built-in CPU engine makes only as many images as an edit has visibly different results:
 * n = 4 with "invert the colours" (one result) answers one image and a warning, the task
 * succeeds (fewer images are no failure and are not retried), and the key pays for one image.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLocalEngine } from '../../src/engines/local/index.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { gradientImage } from '../helpers/images.js';
import { assertLedgerInvariant } from '../helpers/ledger.js';

const ADMIN = 'admin-token-for-variant-tests';
const PRICE = '0.25';
const SYNC = '/api/v1/services/aigc/multimodal-generation/generation';

let server: TestGateway;
let key: string;

async function request(path: string, init: { method?: string; body?: unknown; token: string }) {
  const response = await fetch(`${server.url}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: { authorization: `Bearer ${init.token}`, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: init.body === undefined ? null : JSON.stringify(init.body),
  });
  return { status: response.status, json: (await response.json()) as Record<string, any> };
}

/** The images of a DashScope answer: one choice whose content lists them. */
function images(json: Record<string, any>): number {
  return (json.output.choices as Array<{ message: { content: Array<{ image?: string }> } }>).flatMap((c) => c.message.content).filter((c) => c.image).length;
}

before(async () => {
  const local = createLocalEngine();
  server = await startTestGateway({
    env: { QIG_ADMIN_TOKEN: ADMIN },
    engines: new Map([[local.name, local]]),
    // The local engine is free unless priced by engine: priced here, so the bill is observable.
    config: { engines: { local: { type: 'local' } }, routes: { '*': ['local'] }, prices: { currency: 'CNY', perEngine: { local: { 'qwen-image-edit-plus': PRICE } } } },
  });
  key = (await request('/admin/v1/keys', { body: { name: 'variants', balance: '2.00' }, token: ADMIN })).json.key;
});

after(async () => {
  await assertLedgerInvariant(server.gateway.store.db);
  await server.close();
});

describe('local engine: an edit with one result', () => {
  it('answers one image of n = 4, says why, and bills one', async () => {
    const image = `data:image/png;base64,${(await gradientImage(512, 384)).toString('base64')}`;
    const answer = await request(SYNC, {
      token: key,
      body: { model: 'qwen-image-edit-plus', input: { messages: [{ role: 'user', content: [{ image }, { text: 'invert the colours' }] }] }, parameters: { n: 4, seed: 11 } },
    });
    assert.equal(answer.status, 200, JSON.stringify(answer.json));
    assert.equal(images(answer.json), 1);
    assert.ok(answer.json.output.warnings.includes('asked for 4 images; this edit has one result, so 1 was made; only images made are billed'), answer.json.output.warnings);
    assert.equal(answer.json.usage.image_count, 1);
    const balance = (await request('/v1/balance', { token: key })).json;
    assert.deepEqual([balance.balance, balance.held], ['1.75', '0.00']);
    const usage = (await request('/admin/v1/usage?keyId=' + encodeURIComponent((await request('/v1/balance', { token: key })).json.keyId), { token: ADMIN })).json;
    assert.deepEqual(usage.totals, { images: 1, amount: PRICE, currency: 'CNY' });
  });

  it('answers all four of an edit with four results, and bills four', async () => {
    const image = `data:image/png;base64,${(await gradientImage(512, 384)).toString('base64')}`;
    const before = (await request('/v1/balance', { token: key })).json.balance;
    const answer = await request(SYNC, {
      token: key,
      body: { model: 'qwen-image-edit-plus', input: { messages: [{ role: 'user', content: [{ image }, { text: 'make it black and white' }] }] }, parameters: { n: 4, seed: 11 } },
    });
    assert.equal(answer.status, 200, JSON.stringify(answer.json));
    assert.equal(images(answer.json), 4);
    assert.ok(!(answer.json.output.warnings ?? []).some((w: string) => w.startsWith('asked for')));
    assert.equal(Number(before) - Number((await request('/v1/balance', { token: key })).json.balance), 1);
  });
});
