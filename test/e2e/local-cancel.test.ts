/**
 * Cancel of a running task keeps its word: once a cancel is accepted (202), the task ends
 * canceled, is never billed and keeps no images — whether the cancel arrives while the built-in
 * CPU engine works (its pixel loops must let the cancel in), after an engine finished its call
 * regardless, or while the runner stores the images. A cancel after the ending is refused (400).
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Engine, EngineResult } from '../../src/engines/engine.js';
import { createLocalEngine } from '../../src/engines/local/index.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { gradientImage, solidImage } from '../helpers/images.js';
import { assertLedgerInvariant } from '../helpers/ledger.js';

const ADMIN = 'admin-token-for-cancel-tests';
const CAPABILITIES = { models: '*', maxImagesPerCall: 6, watermark: false, negativePrompt: true, promptExtend: true, seed: true, cancelRunning: true } as const;

/** Finishes its call only once the task was canceled, ignoring the cancel (a call that was already done). */
const stubborn: Engine = {
  name: 'stubborn',
  type: 'test-stubborn',
  capabilities: CAPABILITIES,
  start(call) {
    return new Promise<EngineResult>((resolve) => {
      const done = () =>
        resolve({ status: 'done', images: Array.from({ length: call.n }, () => ({ kind: 'raw' as const, data: Buffer.alloc(64 * 64 * 3, 90), width: 64, height: 64, channels: 3 as const })) });
      if (call.signal.aborted) done();
      else call.signal.addEventListener('abort', done, { once: true });
    });
  },
  async poll() {
    throw new Error('nothing to poll');
  },
  async cancel() {},
};

/** Serves result images; the second one is answered only after `onSecond` (the test cancels there). */
let results: Server;
let resultsBase = '';
let onSecond: () => Promise<void> = async () => {};

/** Answers with URLs of results, which the runner downloads and stores one after another. */
const rehosted: Engine = {
  name: 'rehosted',
  type: 'test-rehosted',
  capabilities: CAPABILITIES,
  async start(call) {
    return { status: 'done', images: Array.from({ length: call.n }, (_, i) => ({ kind: 'url' as const, url: `${resultsBase}/result-${i + 1}.png` })) };
  },
  async poll() {
    throw new Error('nothing to poll');
  },
  async cancel() {},
};

let server: TestGateway;
let key: string;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function call(method: string, path: string, body?: unknown) {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Key ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? null : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, json: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
}

async function until<T>(check: () => Promise<T | undefined>, what: string): Promise<T> {
  for (let i = 0; i < 1000; i += 1) {
    const value = await check();
    if (value !== undefined) return value;
    await sleep(10);
  }
  throw new Error(`timed out waiting for ${what}`);
}

interface Ended {
  status: string;
  error_type?: string;
  logs: Array<{ message: string }>;
}

/** fal's status of a request once it is COMPLETED (its logs included). */
function ended(app: string, id: string): Promise<Ended> {
  return until(async () => {
    const status = (await call('GET', `/fal/${app}/requests/${id}/status?logs=1`)).json as unknown as Ended;
    return status.status === 'COMPLETED' ? status : undefined;
  }, `request ${id} to end`);
}

async function balance(): Promise<{ balance: string; held: string }> {
  return (await (await fetch(`${server.url}/v1/balance`, { headers: { authorization: `Bearer ${key}` } })).json()) as { balance: string; held: string };
}

/** Every blob file under the data dir. */
function blobFiles(): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? walk(join(dir, entry.name)) : [join(dir, entry.name)]));
  try {
    return walk(join(server.dataDir, 'blobs'));
  } catch {
    return [];
  }
}

before(async () => {
  const image = await solidImage(32, 32, [200, 40, 40]);
  results = createServer((request, response) => {
    const second = request.url === '/result-2.png';
    void (second ? onSecond() : Promise.resolve()).then(() => response.writeHead(200, { 'content-type': 'image/png' }).end(image));
  });
  await new Promise<void>((resolve) => results.listen(0, '127.0.0.1', resolve));
  const { port } = results.address() as AddressInfo;
  resultsBase = `http://127.0.0.1:${port}`;
  server = await startTestGateway({
    env: { QIG_ADMIN_TOKEN: ADMIN },
    engines: new Map([
      ['local', createLocalEngine()],
      ['stubborn', stubborn],
      ['rehosted', rehosted],
    ]),
    config: {
      engines: { local: { type: 'local' }, stubborn: { type: 'local' }, rehosted: { type: 'local' } },
      routes: { 'qwen-image-2.0': ['stubborn'], 'qwen-image-2.0-pro': ['rehosted'], '*': ['local'] },
      fetch: { allowHosts: [`127.0.0.1:${port}`] },
      limits: { workerConcurrency: 1 },
      // The local engine is free unless priced for itself; this one bills like the model.
      prices: { perEngine: { local: { 'qwen-image-edit-plus': '0.18' } } },
    },
  });
  const created = await fetch(`${server.url}/admin/v1/keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'metered', balance: '10.00' }),
  });
  key = ((await created.json()) as { key: string }).key;
});

after(async () => {
  await assertLedgerInvariant(server.gateway.store.db);
  await server.close();
  await new Promise<void>((resolve) => results.close(() => resolve()));
});

describe('cancel of a running task', () => {
  it('stops the local engine in the middle of its work: canceled, not billed, no image stored', async () => {
    const input = `data:image/png;base64,${(await gradientImage(1024, 1024, 'png')).toString('base64')}`;
    const app = 'fal-ai/qwen-image-edit-plus';
    const submitted = await call('POST', `/fal/${app}`, { prompt: 'turn it into an oil painting', image_urls: [input], num_images: 6 });
    assert.equal(submitted.status, 200);
    const id = String(submitted.json.request_id);
    // The engine has read the instruction: it is now working through six 1024² oil paintings.
    await until(async () => {
      const status = (await call('GET', `/fal/${app}/requests/${id}/status?logs=1`)).json as unknown as Ended;
      return status.logs?.some((line) => line.message.startsWith('local engine plan:')) ? true : undefined;
    }, 'the local engine to start');
    await sleep(150);
    const cancel = await call('PUT', `/fal/${app}/requests/${id}/cancel`);
    assert.deepEqual([cancel.status, cancel.json], [202, { status: 'CANCELLATION_REQUESTED' }]);
    const status = await ended(app, id);
    assert.equal(status.error_type, 'client_cancelled');
    assert.ok(!status.logs.some((line) => /image\(s\) stored|succeeded/.test(line.message)), JSON.stringify(status.logs));
    const { balance: left, held } = await balance();
    assert.deepEqual([left, held], ['10.00', '0.00']);
    assert.equal((await call('GET', `/fal/${app}/requests/${id}`)).status, 499);
  });

  it('ends canceled when the engine finishes its call after the cancel was accepted', async () => {
    const app = 'qwen/qwen-image-2.0';
    const submitted = await call('POST', `/fal/${app}`, { prompt: 'a red kite', num_images: 2 });
    const id = String(submitted.json.request_id);
    await until(async () => ((await call('GET', `/fal/${app}/requests/${id}/status`)).json.status === 'IN_PROGRESS' ? true : undefined), 'IN_PROGRESS');
    assert.equal((await call('PUT', `/fal/${app}/requests/${id}/cancel`)).status, 202);
    const status = await ended(app, id);
    assert.equal(status.error_type, 'client_cancelled');
    const { balance: left, held } = await balance();
    assert.deepEqual([left, held], ['10.00', '0.00']);
  });

  it('ends canceled when the cancel arrives while the images are being stored, and deletes those stored', async () => {
    const app = 'qwen/qwen-image-2.0-pro';
    const before = blobFiles().length;
    let id = '';
    let answer = 0;
    // The first result is downloaded and stored; the cancel is accepted while the second downloads.
    onSecond = async () => {
      answer = (await call('PUT', `/fal/${app}/requests/${id}/cancel`)).status;
    };
    try {
      const submitted = await call('POST', `/fal/${app}`, { prompt: 'a lighthouse', num_images: 2 });
      id = String(submitted.json.request_id);
      const status = await ended(app, id);
      assert.equal(answer, 202);
      assert.equal(status.error_type, 'client_cancelled');
    } finally {
      onSecond = async () => {};
    }
    const { balance: left, held } = await balance();
    assert.deepEqual([left, held], ['10.00', '0.00']);
    await until(async () => (blobFiles().length === before ? true : undefined), 'the stored image of the canceled task to be deleted');
  });

  it('refuses a cancel after the task ended (400 ALREADY_COMPLETED), and bills what it made', async () => {
    const input = `data:image/png;base64,${(await gradientImage(256, 256, 'png')).toString('base64')}`;
    const app = 'fal-ai/qwen-image-edit-plus';
    const submitted = await call('POST', `/fal/${app}`, { prompt: 'make it black and white', image_urls: [input] });
    const id = String(submitted.json.request_id);
    const status = await ended(app, id);
    assert.equal(status.error_type, undefined);
    const cancel = await call('PUT', `/fal/${app}/requests/${id}/cancel`);
    assert.deepEqual([cancel.status, cancel.json], [400, { status: 'ALREADY_COMPLETED' }]);
    assert.equal((await balance()).balance, '9.82');
  });
});
