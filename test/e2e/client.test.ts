/**
 * The typed client (src/client) end to end against the real server and its built-in engine:
 * every method, sync and async, downloads, and each error class the server can produce. Tasks
 * held in a queue (progress, cancel, timeouts, aborts) are in client-queue.test.ts.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import sharp from 'sharp';
import { BUILT_IN_WARNING } from '../../src/domain/built-in-engine.js';
import {
  AuthenticationError,
  BadRequestError,
  InsufficientBalanceError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  TaskFailedError,
  createClient,
  type QigClient,
  type TaskInfo,
} from '../../src/client/index.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { gradientImage } from '../helpers/images.js';
import { tempDir } from '../helpers/stores.js';

const SAMPLE = new URL('../../examples/sample.png', import.meta.url).pathname;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const PRICED = 'qwen-image-2.0-pro';

let server: TestGateway;
let client: QigClient;
const downloads = tempDir('qig-client-downloads-');
/** The Authorization header of every request the server's /files route received. */
const fileAuthorizations: Array<string | null> = [];

function recordFileRequests(route: RouteOptions): void {
  if (route.url !== '/files/:id') return;
  const record = (request: FastifyRequest, _reply: FastifyReply, done: () => void) => {
    fileAuthorizations.push(request.headers.authorization ?? null);
    done();
  };
  route.onRequest = [...[route.onRequest ?? []].flat(), record] as NonNullable<RouteOptions['onRequest']>;
}

before(async () => {
  server = await startTestGateway({
    // The built-in engine is free unless priced for itself: one model costs something here.
    config: { prices: { currency: 'CNY', perEngine: { local: { [PRICED]: '0.18' } } } },
    onRoute: recordFileRequests,
  });
  client = createClient({ baseUrl: server.url, apiKey: server.key });
});

after(async () => {
  await server.close();
  downloads.remove();
});

/** A client of a new key made with these settings. */
async function clientOf(options: { models?: string[]; rateLimitPerMinute?: number; balance?: string }, maxRetries = 2): Promise<QigClient> {
  const created = await server.gateway.accounts.create({ name: `key-${Math.random()}`, ...options });
  return createClient({ baseUrl: server.url, apiKey: created.key, maxRetries });
}

async function assertPngs(paths: string[], width?: number, height?: number): Promise<void> {
  for (const path of paths) {
    const bytes = readFileSync(path);
    assert.deepEqual(bytes.subarray(0, 8), PNG, `${path} is a PNG`);
    const meta = await sharp(bytes).metadata();
    if (width !== undefined) assert.deepEqual([meta.width, meta.height], [width, height]);
  }
}

describe('client: sync', () => {
  it('edits a file path, a data URI and bytes in one call, and downloads the result without the key', async () => {
    const dataUri = `data:image/png;base64,${(await gradientImage(600, 400, 'png')).toString('base64')}`;
    const jpeg = await gradientImage(640, 640, 'jpeg');
    const result = await client.edit({ images: [SAMPLE, dataUri, new Uint8Array(jpeg)], prompt: 'make it black and white', n: 2, seed: 7 });
    assert.equal(result.images.length, 2);
    assert.deepEqual(result.urls, result.images.map((image) => image.url));
    for (const url of result.urls) assert.match(url, new RegExp(`^${server.url}/files/[0-9a-f]{64}\\.png\\?exp=\\d+&sig=`));
    assert.equal(result.taskId, null);
    assert.match(result.requestId ?? '', UUID);
    assert.deepEqual([result.width, result.height], [1024, 1024], 'the size follows the last (square) image');
    assert.deepEqual(result.warnings, [BUILT_IN_WARNING]);

    const before = fileAuthorizations.length;
    const files = await result.download(join(downloads.path, 'sync'));
    assert.deepEqual(files.map((file) => basename(file)), [`${result.requestId}-1.png`, `${result.requestId}-2.png`]);
    await assertPngs(files, 1024, 1024);
    assert.deepEqual(fileAuthorizations.slice(before), [null, null], 'the signed URLs are fetched without the API key');
  });

  it('edits one image at the asked size with the default model', async () => {
    const result = await client.edit({ images: SAMPLE, prompt: 'invert the colours', size: '768x512', watermark: true });
    assert.deepEqual([result.images.length, result.width, result.height], [1, 768, 512]);
    const files = await result.download(join(downloads.path, 'named'), { name: (i) => `inverted ${i}` });
    assert.deepEqual(files.map((file) => basename(file)), ['inverted_0.png'], 'a caller\'s name is made safe');
    await assertPngs(files, 768, 512);
  });

  it('generates an image from text', async () => {
    const result = await client.generate({ model: PRICED, prompt: 'a red "Hello" sign', size: { width: 512, height: 512 } });
    assert.deepEqual([result.images.length, result.width, result.height], [1, 512, 512]);
    assert.equal(result.taskId, null);
  });
});

describe('client: async tasks', () => {
  it('submits an edit, waits with progress, and reads the task back', async () => {
    const handle = await client.edit({ images: SAMPLE, prompt: 'make it sepia', n: 2 }, { async: true });
    assert.match(handle.id, UUID);
    assert.equal(handle.status, 'PENDING');
    assert.match(handle.requestId ?? '', UUID);
    const seen: TaskInfo[] = [];
    const result = await handle.wait({ onProgress: (task) => seen.push(task), pollIntervalMs: 20 });
    assert.ok(seen.length >= 1);
    assert.ok(seen.every((task) => task.id === handle.id && ['PENDING', 'RUNNING', 'SUCCEEDED'].includes(task.status)), JSON.stringify(seen.map((t) => t.status)));
    assert.equal(seen.at(-1)?.status, 'SUCCEEDED');
    assert.equal(result.taskId, handle.id);
    assert.equal(result.images.length, 2);

    const task = await client.tasks.get(handle.id);
    assert.equal(task.status, 'SUCCEEDED');
    assert.deepEqual(task.urls, result.urls);
    assert.equal(task.queuePosition, null);
    for (const time of [task.submitTime, task.scheduledTime, task.endTime]) assert.match(time ?? '', /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}$/);
    assert.deepEqual({ ...(await handle.get()), requestId: null }, { ...task, requestId: null });

    const before = fileAuthorizations.length;
    const files = await result.download(join(downloads.path, 'task'));
    assert.deepEqual(files.map((file) => basename(file)), [`${handle.id}-1.png`, `${handle.id}-2.png`]);
    await assertPngs(files);
    assert.deepEqual(fileAuthorizations.slice(before), [null, null]);
  });

  it('submits a text-to-image task on its own route and waits for it with the SDK\'s cadence', async () => {
    const handle = await client.generate({ model: PRICED, prompt: 'a lake at dawn', size: '512*512', negativePrompt: 'people' }, { async: true });
    const result = await handle.wait();
    assert.equal(result.images.length, 1);
    assert.equal(typeof result.images[0]?.actualPrompt, 'string');
    const task = await client.tasks.get(handle.id);
    assert.equal(task.model, null, 'only list items name the model');
  });

  it('lists tasks with status and model filters, page by page', async () => {
    const all = await client.tasks.list({ pageSize: 100 });
    assert.ok(all.total >= 2);
    const edits = await client.tasks.list({ status: 'SUCCEEDED', model: 'qwen-image-edit-plus', pageSize: 100 });
    assert.ok(edits.tasks.length >= 1);
    for (const task of edits.tasks) assert.deepEqual([task.status, task.model], ['SUCCEEDED', 'qwen-image-edit-plus']);
    const first = await client.tasks.list({ page: 1, pageSize: 1 });
    const second = await client.tasks.list({ page: 2, pageSize: 1 });
    assert.deepEqual([first.page, first.pageSize, first.tasks.length, second.page, second.tasks.length], [1, 1, 1, 2, 1]);
    assert.equal(first.totalPages, first.total);
    assert.notEqual(first.tasks[0]?.id, second.tasks[0]?.id);
    const none = await client.tasks.list({ status: 'CANCELED', from: new Date(Date.now() - 60_000) });
    assert.deepEqual([none.total, none.tasks], [0, []]);
  });
});

describe('client: the gateway\'s own routes', () => {
  it('reads the model catalog and the key\'s balance', async () => {
    const models = await client.models();
    assert.ok(models.data.some((model) => model.id === 'qwen-image-edit-plus' && model.edit));
    assert.equal(models.currency, 'CNY');
    const balance = await client.balance();
    assert.deepEqual({ ...balance, keyId: '', userId: '' }, { keyId: '', userId: '', name: 'development', balance: null, held: '0.00', currency: 'CNY' });
    const metered = await clientOf({ balance: '1.50' });
    assert.equal((await metered.balance()).balance, '1.50');
  });
});

describe('client: errors', () => {
  it('BadRequestError for n above the model\'s maximum, naming parameters.n', async () => {
    await assert.rejects(client.edit({ images: SAMPLE, prompt: 'blur it', n: 9 }), (error) => {
      assert.ok(error instanceof BadRequestError);
      assert.deepEqual([error.status, error.code, error.retryable], [400, 'InvalidParameter', false]);
      assert.match(error.message, /parameters\.n/);
      assert.match(error.requestId ?? '', UUID);
      return true;
    });
  });

  it('BadRequestError for an edit the built-in engine cannot do, before any task', async () => {
    await assert.rejects(client.edit({ images: SAMPLE, prompt: 'change her pose' }), (error) => error instanceof BadRequestError && /pose/.test(error.message));
  });

  it('BadRequestError for a local file that is not an image, before anything is sent', async () => {
    await assert.rejects(client.edit({ images: [SAMPLE, new URL(import.meta.url).pathname], prompt: 'blur' }), (error) => error instanceof BadRequestError && /^images\[1\] \(.*client\.test\.ts\)/.test(error.message));
  });

  it('AuthenticationError for a wrong key', async () => {
    const stranger = createClient({ baseUrl: server.url, apiKey: 'sk-qig-wrong' });
    await assert.rejects(stranger.edit({ images: SAMPLE, prompt: 'blur' }), (error) => error instanceof AuthenticationError && error.status === 401 && error.code === 'InvalidApiKey');
    await assert.rejects(stranger.tasks.list(), AuthenticationError);
    await assert.rejects(stranger.balance(), (error) => error instanceof AuthenticationError && error.status === 401);
  });

  // BUG (src/client/errors.ts errorFromAnswer): the gateway's own /v1 routes answer errors in
  // OpenAI's shape {error: {message, code}}, which the client does not read: "HTTP401: HTTP 401".
  it('AuthenticationError from the gateway\'s own routes carries the server\'s message', async () => {
    const stranger = createClient({ baseUrl: server.url, apiKey: 'sk-qig-wrong' });
    await assert.rejects(stranger.balance(), (error) => error instanceof AuthenticationError && /Invalid API-key provided/.test(error.message));
  });

  it('InsufficientBalanceError for a key with nothing left and a priced model', async () => {
    const broke = await clientOf({ balance: '0' });
    await assert.rejects(broke.generate({ model: PRICED, prompt: 'a poster', size: '512*512' }), (error) => error instanceof InsufficientBalanceError && error.code === 'Arrearage' && !error.retryable);
    await assert.rejects(broke.generate({ model: PRICED, prompt: 'a poster', size: '512*512' }, { async: true }), InsufficientBalanceError);
  });

  it('PermissionDeniedError for a key restricted to other models', async () => {
    const restricted = await clientOf({ models: ['qwen-image-plus'] });
    await assert.rejects(restricted.edit({ images: SAMPLE, prompt: 'blur' }), (error) => error instanceof PermissionDeniedError && error.status === 403 && /qwen-image-edit-plus/.test(error.message));
  });

  it('NotFoundError waiting for an unknown task', async () => {
    const id = '00000000-0000-4000-8000-000000000000';
    await assert.rejects(client.tasks.wait(id), (error) => error instanceof NotFoundError && error.code === 'UNKNOWN' && error.taskId === id);
    assert.equal((await client.tasks.get(id)).status, 'UNKNOWN');
  });

  it('RateLimitError past the key\'s requests per minute, with Retry-After', async () => {
    const limited = await clientOf({ rateLimitPerMinute: 1 }, 0);
    await limited.edit({ images: SAMPLE, prompt: 'blur', n: 1 });
    await assert.rejects(limited.edit({ images: SAMPLE, prompt: 'blur', n: 1 }), (error) => {
      assert.ok(error instanceof RateLimitError);
      assert.deepEqual([error.status, error.code, error.retryable], [429, 'Throttling.RateQuota', true]);
      assert.ok((error.retryAfterMs ?? 0) >= 1000, String(error.retryAfterMs));
      return true;
    });
  });

  it('TaskFailedError for a task the engine refuses, with the task\'s own code and message', async () => {
    const handle = await client.edit({ images: SAMPLE, prompt: 'change her pose' }, { async: true });
    await assert.rejects(handle.wait({ pollIntervalMs: 20 }), (error) => {
      assert.ok(error instanceof TaskFailedError);
      assert.deepEqual([error.code, error.taskId, error.status], ['InvalidParameter', handle.id, null]);
      assert.match(error.message, new RegExp(`^Task ${handle.id} failed: InvalidParameter: .*pose`));
      return true;
    });
    const failed = await client.tasks.get(handle.id);
    assert.deepEqual([failed.status, failed.code], ['FAILED', 'InvalidParameter']);
  });
});
