/**
 * Channels end to end (decision 0011), against one loopback DashScope fake serving several
 * accounts: one good, one with a revoked key (InvalidApiKey), one in arrears (Arrearage), one
 * slow. Traffic moves off the broken accounts at once, nothing is lost or charged twice, the admin
 * API and /readyz say why they left, re-enabling brings traffic back, a key added at runtime is
 * stored encrypted and shown as its last 4 characters, costs and margins add up, and Test answers.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { loggerOptions, type Logger } from '../../src/lib/logger.js';
import { startFakeDashScope, type FakeDashScope } from '../fakes/dashscope.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { assertLedgerInvariant } from '../helpers/ledger.js';
import { tempDir } from '../helpers/stores.js';

const ADMIN = 'admin-token-channels-e2e';
const SYNC_PATH = '/api/v1/services/aigc/multimodal-generation/generation';
const ASYNC_PATH = '/api/v1/services/aigc/text2image/image-synthesis';
const KEYS = { good: 'sk-good-account-0001', bad: 'sk-revoked-key-0002', broke: 'sk-in-arrears-0003', slow: 'sk-slow-account-0004' };

let fake: FakeDashScope;
let server: TestGateway;
let customer: string;

async function admin(method: string, path: string, body?: unknown): Promise<{ status: number; body: any; text: string }> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text.startsWith('{') || text.startsWith('[') ? JSON.parse(text) : null, text };
}

function generate(prompt: string): Promise<Response> {
  return fetch(`${server.url}${SYNC_PATH}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${customer}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'qwen-image-2.0-pro', input: { messages: [{ role: 'user', content: [{ text: prompt }] }] }, parameters: { size: '512*512', n: 1 } }),
  });
}

/** Calls the fake saw on its sync route, by the account's key. */
function callsBy(key: string): number {
  return fake.requests.filter((r) => r.path === SYNC_PATH && r.headers.authorization === `Bearer ${key}`).length;
}

/** A task as the admin API lists it. */
async function taskOf(id: string): Promise<any> {
  return ((await admin('GET', '/admin/v1/tasks?limit=100')).body.data as any[]).find((t) => t.id === id);
}

const credential = (view: any, label: string) => (view.channels as any[]).find((c) => c.name === 'cloud').credentials.find((c: any) => c.label === label);

before(async () => {
  fake = await startFakeDashScope({ apiKey: KEYS.good, keys: { [KEYS.bad]: 'InvalidApiKey', [KEYS.broke]: 'Arrearage', [KEYS.slow]: { delayMs: 800 } }, pendingQueries: 0, runningQueries: 0 });
  server = await startTestGateway({
    env: { QIG_ADMIN_TOKEN: ADMIN },
    config: {
      engines: {
        cloud: {
          type: 'dashscope',
          baseUrl: fake.url,
          credentials: [
            { apiKey: KEYS.good, label: 'good' },
            { apiKey: KEYS.bad, label: 'bad', weight: 5 },
            { apiKey: KEYS.broke, label: 'broke', weight: 5 },
          ],
          cost: { '*': '0.10' },
        },
        cpu: { type: 'local' },
      },
      routes: { '*': ['cloud', 'cpu'] },
      prices: { perEngine: { cloud: { '*': '0.30' } } },
      fetch: { allowHosts: [fake.hostPort] },
    },
    worker: { retryBaseDelayMs: 5, retryMaxDelayMs: 20 },
  });
  const created = await admin('POST', '/admin/v1/keys', { name: 'customer', balance: '100.00' });
  customer = created.body.key;
});

after(async () => {
  await server?.close();
  await fake?.close();
});

describe('channels with pooled upstream accounts', { timeout: 120_000 }, () => {
  it('moves traffic off a revoked key and an account in arrears at once, losing and double-charging nothing', async () => {
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => generate(`a lighthouse ${i}`)));
    for (const answer of answers) assert.equal(answer.status, 200, await answer.clone().text());

    // Each broken account was tried at most once per call in flight when it broke, then never again.
    const badCalls = callsBy(KEYS.bad);
    const brokeCalls = callsBy(KEYS.broke);
    assert.ok(badCalls >= 1 && brokeCalls >= 1, `both broken accounts were tried (${badCalls}, ${brokeCalls})`);
    await Promise.all(Array.from({ length: 6 }, (_, i) => generate(`after ${i}`)));
    assert.equal(callsBy(KEYS.bad), badCalls, 'no call goes to the revoked key once it is disabled');
    assert.equal(callsBy(KEYS.broke), brokeCalls, 'no call goes to the account in arrears once it is disabled');

    const tasks = await admin('GET', '/admin/v1/tasks?limit=50');
    assert.equal(tasks.body.total, 18);
    assert.ok((tasks.body.data as any[]).every((t) => t.status === 'succeeded' && t.engine === 'cloud'), 'every task succeeded on the cloud channel');
    const balance = (await (await fetch(`${server.url}/v1/balance`, { headers: { authorization: `Bearer ${customer}` } })).json()) as { balance: string };
    assert.equal(balance.balance, '94.60', '18 images at ¥0.30 each, each charged once');
    await assertLedgerInvariant(server.gateway.store.db);
  });

  it('shows why each credential left, in the admin API and /readyz', async () => {
    const view = await admin('GET', '/admin/v1/channels');
    assert.equal(view.status, 200, view.text);
    const bad = credential(view.body, 'bad');
    const broke = credential(view.body, 'broke');
    assert.deepEqual([bad.disabled?.kind, bad.disabled?.code, bad.usable], ['auth', 'InvalidApiKey', false]);
    assert.deepEqual([broke.disabled?.kind, broke.disabled?.code, broke.usable], ['arrears', 'Arrearage', false]);
    assert.ok(Date.parse(bad.disabled.nextTestAt) > Date.parse(bad.disabled.at), 'a re-test is scheduled');
    assert.equal(credential(view.body, 'good').usable, true);
    assert.deepEqual(credential(view.body, 'good').recent, { tasks: 18, images: 18 }, 'the usage records say which account made what');
    // Keys never leave the server: the last 4 characters only, nowhere the key itself.
    assert.equal(bad.key, `…${KEYS.bad.slice(-4)}`);
    for (const key of Object.values(KEYS)) assert.ok(!view.text.includes(key), 'no key in the channel list');

    const ready = await (await fetch(`${server.url}/readyz`)).text();
    assert.match(ready, /InvalidApiKey/);
    assert.match(ready, /Arrearage/);
    for (const key of Object.values(KEYS)) assert.ok(!ready.includes(key), 'no key in /readyz');
    // Open to anyone: ids and codes only — no label, key tail or upstream message.
    const listed = (JSON.parse(ready) as { disabledCredentials: Array<Record<string, unknown>> }).disabledCredentials;
    assert.deepEqual(listed.map((c) => Object.keys(c).sort()), listed.map(() => ['channel', 'code', 'credential', 'kind', 'nextTestAt', 'since']));
    assert.deepEqual(listed.map((c) => c.credential).sort(), [bad.id, broke.id].sort());
    assert.ok(!ready.includes(bad.disabled.reason) && !ready.includes(`…${KEYS.bad.slice(-4)}`) && !ready.includes(`"label"`), 'no upstream message or key tail');

    const audit = await admin('GET', '/admin/v1/audit?limit=50');
    const disables = (audit.body.data as any[]).filter((e) => e.action === 'credential.disable');
    assert.equal(disables.length, 2, JSON.stringify(audit.body.data.map((e: any) => e.action)));
    for (const key of Object.values(KEYS)) assert.ok(!audit.text.includes(key), 'no key in the audit log');
  });

  it('brings a re-enabled credential back into rotation at once', async () => {
    fake.keys.set(KEYS.bad, 'ok'); // the account holder fixed the key
    const view = await admin('GET', '/admin/v1/channels');
    const bad = credential(view.body, 'bad');
    const patched = await admin('PATCH', `/admin/v1/channels/cloud/credentials/${bad.id}`, { enabled: true });
    assert.equal(patched.status, 200, patched.text);
    assert.deepEqual([patched.body.usable, patched.body.disabled], [true, null]);
    const before = callsBy(KEYS.bad);
    await Promise.all(Array.from({ length: 12 }, (_, i) => generate(`back ${i}`)));
    // Weight 5 against 1: most of the traffic goes to it again.
    assert.ok(callsBy(KEYS.bad) - before >= 6, `the re-enabled key took ${callsBy(KEYS.bad) - before} of 12 calls`);
  });

  it('adds a key at runtime: stored encrypted, shown as its last 4 characters, a slow account gets less although it weighs most', async () => {
    const added = await admin('POST', '/admin/v1/channels/cloud/credentials', { apiKey: KEYS.slow, label: 'slow', maxConcurrent: 1, weight: 20 });
    assert.equal(added.status, 201, added.text);
    assert.equal(added.body.key, `…${KEYS.slow.slice(-4)}`);
    assert.equal(added.body.source, 'stored');
    assert.ok(!added.text.includes(KEYS.slow));
    const stored = await server.gateway.store.db.selectFrom('channel_credentials').selectAll().execute();
    assert.ok(!JSON.stringify(stored).includes(KEYS.slow), 'the key is not in the database in clear');
    for (const file of readdirSync(server.dataDir).filter((name) => name.startsWith('qig.sqlite'))) {
      assert.ok(!readFileSync(join(server.dataDir, file)).includes(KEYS.slow), `nor anywhere in ${file}`);
    }

    const before = { slow: callsBy(KEYS.slow), others: callsBy(KEYS.good) + callsBy(KEYS.bad) };
    await Promise.all(Array.from({ length: 10 }, (_, i) => generate(`slow ${i}`)));
    const slow = callsBy(KEYS.slow) - before.slow;
    const others = callsBy(KEYS.good) + callsBy(KEYS.bad) - before.others;
    assert.ok(slow >= 1 && slow < others, `the slow account (one call at a time) took ${slow}, the others ${others}`);
  });

  it('records the upstream cost of every image and reports the margin, as JSON and CSV', async () => {
    const margins = await admin('GET', '/admin/v1/margins?groupBy=channel,credential');
    assert.equal(margins.status, 200, margins.text);
    const rows = margins.body.data as any[];
    const images = rows.reduce((sum, r) => sum + r.images, 0);
    assert.equal(images, 40);
    for (const row of rows) {
      assert.equal(row.channel, 'cloud');
      assert.equal(Number(row.revenue), Number((row.images * 0.3).toFixed(2)));
      assert.equal(Number(row.cost), Number((row.images * 0.1).toFixed(2)));
      assert.equal(Number(row.margin), Number((row.images * 0.2).toFixed(2)));
    }
    assert.ok(rows.every((r) => r.credential !== null), 'each row names the credential that made its images');
    const csv = await admin('GET', '/admin/v1/margins?groupBy=day,model&format=csv');
    assert.equal(csv.status, 200);
    assert.match(csv.text.split('\n')[0] ?? '', /day.*model.*revenue.*cost.*margin/);
  });

  it('tests a channel with a real one-image request', async () => {
    const tested = await admin('POST', '/admin/v1/channels/cloud/test', {});
    assert.equal(tested.status, 200, tested.text);
    assert.equal(tested.body.ok, true, tested.text);
    assert.equal(tested.body.answer.images, 1);
    assert.ok(tested.body.latencyMs >= 0);
    const broke = credential((await admin('GET', '/admin/v1/channels')).body, 'broke');
    const failing = await admin('POST', '/admin/v1/channels/cloud/test', { credential: broke.id });
    assert.equal(failing.status, 200, failing.text);
    assert.deepEqual([failing.body.ok, failing.body.error?.code], [false, 'Arrearage']);
  });

  it('refuses to delete a credential or a channel while a task runs on it (its upstream task would be billed twice)', async () => {
    fake.options.pendingQueries = 1_000_000;
    const submitted = await fetch(`${server.url}${ASYNC_PATH}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${customer}`, 'content-type': 'application/json', 'x-dashscope-async': 'enable' },
      body: JSON.stringify({ model: 'qwen-image', input: { prompt: 'a pending cat' }, parameters: { size: '1328*1328', n: 1 } }),
    });
    const taskId = ((await submitted.json()) as any).output.task_id as string;
    let task: any;
    for (let i = 0; i < 200; i += 1) {
      task = await taskOf(taskId);
      if (task?.status === 'running' && task.engine === 'cloud') break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    assert.equal(task?.engine, 'cloud', JSON.stringify(task));
    const started = fake.requests.filter((r) => r.path === ASYNC_PATH);
    const key = String(started.at(-1)?.headers.authorization ?? '').slice('Bearer '.length);
    const label = Object.entries(KEYS).find(([, value]) => value === key)?.[0] ?? '';
    const holder = credential((await admin('GET', '/admin/v1/channels')).body, label);

    const refused = await admin('DELETE', `/admin/v1/channels/cloud/credentials/${holder.id}`);
    assert.equal(refused.status, 409, refused.text);
    assert.match(refused.text, /1 task still running on it: switch it off/);
    const channel = await admin('DELETE', '/admin/v1/channels/cloud');
    assert.equal(channel.status, 409, channel.text);
    assert.match(channel.text, /1 task still running/);

    fake.options.pendingQueries = 0;
    for (let i = 0; i < 400 && task?.status === 'running'; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      task = await taskOf(taskId);
    }
    assert.equal(task?.status, 'succeeded');
    assert.equal(fake.tasks.size, 1, 'one upstream task for one image');
    const deleted = await admin('DELETE', `/admin/v1/channels/cloud/credentials/${holder.id}`);
    assert.equal(deleted.status, 204, deleted.text);
  });
});

describe('restarts: the config file seeds, the console keeps what it added, a start never fails for the catalog', { timeout: 120_000 }, () => {
  const configOf = (options: { timeoutSeconds?: number; price?: string; cloudKeys?: string[] } = {}) => ({
    engines: {
      cloud: { type: 'dashscope', baseUrl: 'http://127.0.0.1:9', credentials: (options.cloudKeys ?? ['sk-config-key-0001']).map((apiKey) => ({ apiKey })), timeoutSeconds: options.timeoutSeconds ?? 60 },
      shop: { type: 'openai-compatible', style: 'openai', baseUrl: 'http://127.0.0.1:9', apiKey: 'sk-shop-key-0002' },
      cpu: { type: 'local' },
    },
    routes: { '*': ['cloud', 'shop', 'cpu'] },
    prices: { perImage: { '*': options.price ?? '0.30' }, perEngine: { shop: { '*': '0.50' } } },
  });
  /** Runs `body` against a gateway on `dir`, then closes it. */
  async function withGateway<T>(dir: string, config: Record<string, unknown>, env: Record<string, string>, body: (gateway: TestGateway, call: typeof admin) => Promise<T>, logger?: Logger): Promise<T> {
    const gateway = await startTestGateway({ dataDir: dir, env: { QIG_ADMIN_TOKEN: ADMIN, ...env }, config, ...(logger ? { logger } : {}) });
    const previous = server;
    server = gateway;
    try {
      return await body(gateway, admin);
    } finally {
      server = previous;
      await gateway.close();
    }
  }
  const errorLines = () => {
    const lines: Array<Record<string, unknown>> = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const text of chunk.toString().split('\n')) if (text.trim()) lines.push(JSON.parse(text) as Record<string, unknown>);
        done();
      },
    });
    return { lines, logger: pino(loggerOptions('error'), sink) as Logger };
  };

  it("keeps the keys entered in the console and the channel's switch when the file's entry of the channel changes", async () => {
    const dir = tempDir();
    try {
      await withGateway(dir.path, configOf(), {}, async (_, call) => {
        assert.equal((await call('POST', '/admin/v1/channels/cloud/credentials', { apiKey: 'sk-console-entered-9999', label: 'entered' })).status, 201);
        assert.equal((await call('PATCH', '/admin/v1/channels/cloud', { enabled: false })).status, 200);
      });
      await withGateway(dir.path, configOf({ timeoutSeconds: 90 }), {}, async (_, call) => {
        const cloud = (await call('GET', '/admin/v1/channels/cloud')).body;
        assert.equal(cloud.engine.timeoutSeconds, 90, 'the file changed the engine options');
        assert.equal(cloud.enabled, false, 'the channel switched off in the console stays off');
        assert.deepEqual(cloud.credentials.map((c: any) => [c.label, c.source]), [['config', 'config'], ['entered', 'stored']]);
      });
    } finally {
      dir.remove();
    }
  });

  it('starts after a channel priced in the file was deleted at runtime and the prices changed in the file', async () => {
    const dir = tempDir();
    try {
      await withGateway(dir.path, configOf(), {}, async (_, call) => {
        assert.equal((await call('PUT', '/admin/v1/routes/*', { entries: [{ channel: 'cloud', priority: 2, weight: 1 }, { channel: 'cpu', priority: 1, weight: 1 }] })).status, 200);
        assert.equal((await call('DELETE', '/admin/v1/channels/shop')).status, 204);
      });
      await withGateway(dir.path, configOf({ price: '0.35' }), {}, async (_, call) => {
        const prices = (await call('GET', '/admin/v1/prices')).body;
        assert.deepEqual([prices.perImage, prices.perEngine], [{ '*': '0.35' }, {}]);
        const audit = (await call('GET', '/admin/v1/audit?limit=50')).body.data as any[];
        assert.ok(audit.some((e) => e.action === 'seed.skip' && e.after.perEngine.includes('shop')), 'the audit log says the price of the deleted channel was dropped');
      });
    } finally {
      dir.remove();
    }
  });

  it('starts with the stored catalog, and says which rule broke, when the seed breaks a catalog rule', async () => {
    const dir = tempDir();
    try {
      // 100 keys in the file (its limit) and the one entered in the console make one too many.
      await withGateway(dir.path, configOf(), {}, async (_, call) => {
        assert.equal((await call('POST', '/admin/v1/channels/cloud/credentials', { apiKey: 'sk-console-entered-9999' })).status, 201);
      });
      const tooMany = Array.from({ length: 100 }, (_, i) => `sk-config-key-${String(i).padStart(4, '0')}`);
      const { lines, logger } = errorLines();
      await withGateway(dir.path, configOf({ cloudKeys: tooMany }), {}, async (_, call) => {
        assert.equal((await call('GET', '/admin/v1/channels/cloud')).body.credentials.length, 2, 'the stored catalog runs');
      }, logger);
      assert.ok(lines.some((l) => /break a catalog rule.*credentials: at most 100 per channel/.test(String(l.msg))), JSON.stringify(lines));
    } finally {
      dir.remove();
    }
  });

  it('starts when a stored key cannot be decrypted with the keys given, naming the credential and never the key', async () => {
    const dir = tempDir();
    try {
      const id = await withGateway(dir.path, configOf(), { QIG_SECRET_KEY: 'first-secret-key-aaaaaaaa' }, async (_, call) => (await call('POST', '/admin/v1/channels/cloud/credentials', { apiKey: 'sk-console-entered-9999' })).body.id as string);
      const { lines, logger } = errorLines();
      await withGateway(dir.path, configOf(), { QIG_SECRET_KEY: 'other-secret-key-bbbbbbbb' }, async (_, call) => {
        assert.equal((await call('GET', '/admin/v1/channels/cloud')).status, 200);
      }, logger);
      const text = JSON.stringify(lines);
      assert.ok(lines.some((l) => String(l.msg).includes(`cloud/${id}`) && String(l.msg).includes('left as it is')), text);
      for (const secret of ['first-secret-key-aaaaaaaa', 'other-secret-key-bbbbbbbb', 'sk-console-entered-9999']) assert.ok(!text.includes(secret));
    } finally {
      dir.remove();
    }
  });
});
