/**
 * The typed client against DashScope itself — the fake of test/fakes/dashscope.ts, which follows
 * DashScope's documented protocol — at `<fake>/api/v1`: a sync edit, an async text-to-image task
 * waited for, cancel, and DashScope's errors. The bodies the client sends are checked against
 * DashScope's request examples (as the server's OpenAPI document carries them) and its schemas.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, beforeEach, describe, it } from 'node:test';
import { serverDocument } from '../../scripts/client-types.js';
import {
  AuthenticationError,
  BadRequestError,
  ContentBlockedError,
  InsufficientBalanceError,
  NotFoundError,
  PermissionDeniedError,
  TaskCanceledError,
  TaskFailedError,
  createClient,
  type QigClient,
  type TaskInfo,
} from '../../src/client/index.js';
import { startFakeDashScope, type FakeDashScope } from '../fakes/dashscope.js';
import { refusedConnects } from '../helpers/loopback-only.js';
import { gradientImage } from '../helpers/images.js';
import { OpenApiReader, type OpenApiDocument } from '../helpers/openapi.js';
import { tempDir } from '../helpers/stores.js';

const SYNC = '/api/v1/services/aigc/multimodal-generation/generation';
const TEXT2IMAGE = '/api/v1/services/aigc/text2image/image-synthesis';
const KEYS = { broke: 'sk-broke', denied: 'sk-denied' };
/** An input the fake reads without connecting anywhere. */
const INLINE = `data:image/png;base64,${readFileSync(new URL('../../examples/sample.png', import.meta.url)).toString('base64')}`;

let fake: FakeDashScope;
let client: QigClient;
let openapi: OpenApiReader;
const downloads = tempDir('qig-client-dashscope-');

before(async () => {
  fake = await startFakeDashScope({ keys: { [KEYS.broke]: 'Arrearage', [KEYS.denied]: 'Model.AccessDenied' } });
  client = createClient({ baseUrl: `${fake.url}/api/v1`, apiKey: fake.apiKey });
  openapi = new OpenApiReader((await serverDocument()) as unknown as OpenApiDocument);
});

after(async () => {
  await fake.close();
  downloads.remove();
  assert.deepEqual(refusedConnects, [], 'nothing connected beyond 127.0.0.1');
});

beforeEach(() => {
  fake.requests.length = 0;
  fake.script.clear();
  fake.options.taskFailure = undefined;
});

/** The one request the client sent to `path`. */
function sentTo(path: string) {
  const matching = fake.requests.filter((r) => r.path === path);
  assert.equal(matching.length, 1, `one request to ${path}: ${fake.requests.map((r) => r.path).join(', ')}`);
  return matching[0] as FakeDashScope['requests'][number];
}

/** A value's shape: objects by their keys, arrays by their items, leaves by their type. */
function shapeOf(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shapeOf);
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.keys(value).sort().map((key) => [key, shapeOf((value as Record<string, unknown>)[key])]));
  return typeof value;
}

function example(path: string, name: string): unknown {
  return openapi.doc.paths[path]?.post?.requestBody?.content['application/json']?.examples?.[name]?.value;
}

describe('client against DashScope: request bodies', () => {
  it('sends the sync edit as DashScope\'s example has it: images, then the text, then parameters', async () => {
    const images = ['https://example.com/images/input1.png', 'https://example.com/images/input2.png', 'https://example.com/images/input3.png'];
    fake.script.push('sync', { kind: 'error', status: 400, body: { code: 'InvalidParameter', message: 'stop here', request_id: 'fake' } });
    await assert.rejects(client.edit({ model: 'qwen-image-edit-plus-2025-12-15', images, prompt: '图1中的女生穿着图2中的黑色裙子按图3的姿势坐下', n: 2, size: '1024x2048', negativePrompt: '低质量', promptExtend: true, watermark: false }), BadRequestError);
    const sent = sentTo(SYNC);
    assert.deepEqual(sent.body, example(SYNC, 'edit'), 'exactly the documented example');
    assert.equal(sent.headers['x-dashscope-async'], undefined);
    assert.equal(sent.headers.authorization, `Bearer ${fake.apiKey}`);
    assert.equal(sent.headers['content-type'], 'application/json');
    openapi.assertValid('#/components/schemas/DashScopeMessagesBody', sent.body, 'the sync body');
  });

  it('sends text-to-image on the sync route as messages with one text item', async () => {
    await client.generate({ model: 'qwen-image-2.0-pro', prompt: 'A red apple', size: '1024*1024', n: 1, promptExtend: false });
    const sent = sentTo(SYNC);
    assert.deepEqual(shapeOf(sent.body), shapeOf(example(SYNC, 'generate')));
    openapi.assertValid('#/components/schemas/DashScopeMessagesBody', sent.body, 'the text-to-image body');
  });

  it('sends the async text-to-image task with input.prompt and X-DashScope-Async: enable', async () => {
    await client.generate({ model: 'qwen-image-plus', prompt: 'A poster', size: { width: 1328, height: 1328 }, n: 1, seed: 42 }, { async: true });
    const plain = sentTo(TEXT2IMAGE);
    assert.deepEqual(shapeOf(plain.body), shapeOf(example(TEXT2IMAGE, 'poster')));
    assert.deepEqual(plain.body.parameters, { n: 1, size: '1328*1328', seed: 42 });
    assert.equal(plain.headers['x-dashscope-async'], 'enable');
    fake.requests.length = 0;

    await client.generate({ model: 'qwen-image', prompt: 'A lake', negativePrompt: 'people', n: 1, size: '1664*928', seed: 7, promptExtend: true, watermark: true }, { async: true });
    const full = sentTo(TEXT2IMAGE);
    assert.deepEqual(full.body, {
      model: 'qwen-image',
      input: { prompt: 'A lake', negative_prompt: 'people' },
      parameters: { n: 1, size: '1664*928', seed: 7, prompt_extend: true, watermark: true },
    });
    openapi.assertValid('#/components/schemas/DashScopePromptBody', full.body, 'the async body');
  });
});

describe('client against DashScope: calls', () => {
  it('edits bytes synchronously and downloads the results from the result host without the key', async () => {
    const png = await gradientImage(800, 600, 'png');
    const result = await client.edit({ images: png, prompt: 'make it blue', n: 2, seed: 3, negativePrompt: 'blur', promptExtend: false, watermark: false });
    const sent = sentTo(SYNC);
    assert.deepEqual(sent.body, {
      model: 'qwen-image-edit-plus',
      input: { messages: [{ role: 'user', content: [{ image: `data:image/png;base64,${png.toString('base64')}` }, { text: 'make it blue' }] }] },
      parameters: { n: 2, negative_prompt: 'blur', seed: 3, prompt_extend: false, watermark: false },
    });
    openapi.assertValid('#/components/schemas/DashScopeMessagesBody', sent.body, 'the edit body');
    assert.equal(result.images.length, 2);
    assert.deepEqual([result.width, result.height, result.taskId, result.warnings], [1184, 880, null, []]);
    const files = await result.download(downloads.path);
    assert.deepEqual(files.map((file) => file.slice(downloads.path.length + 1)), [`${result.requestId}-1.png`, `${result.requestId}-2.png`]);
    for (const [i, file] of files.entries()) assert.deepEqual(readFileSync(file), fake.results.get(new URL(result.urls[i] as string).pathname));
    const fetched = fake.requests.filter((r) => r.path.startsWith('/results/'));
    assert.equal(fetched.length, 2);
    assert.ok(fetched.every((r) => r.headers.authorization === undefined), 'the key never goes to the result host');
  });

  it('waits for an async text-to-image task through PENDING and RUNNING', async () => {
    const handle = await client.generate({ model: 'qwen-image-plus', prompt: 'a lake', size: '1328*1328' }, { async: true });
    assert.deepEqual([handle.id, handle.status], [[...fake.tasks.keys()].at(-1), 'PENDING']);
    const seen: TaskInfo[] = [];
    const result = await handle.wait({ onProgress: (task) => seen.push(task), pollIntervalMs: 10 });
    assert.deepEqual(seen.map((task) => task.status), ['PENDING', 'RUNNING', 'SUCCEEDED']);
    assert.deepEqual(seen.map((task) => task.queuePosition), [null, null, null], 'DashScope tells no queue position');
    assert.equal(result.taskId, handle.id);
    assert.deepEqual(result.images.map((image) => image.actualPrompt), ['a lake, richly detailed']);
    assert.equal((await handle.get()).submitTime, '2026-01-01 00:00:00.000');
  });

  it('waits with the SDK\'s cadence by default', async () => {
    const handle = await client.generate({ prompt: 'a boat' }, { async: true });
    assert.equal((await handle.wait()).images.length, 1);
    assert.equal(fake.requests.filter((r) => r.path === `/api/v1/tasks/${handle.id}`).length, 3);
  });

  it('cancels a PENDING task; waiting then throws TaskCanceledError; a second cancel is refused', async () => {
    const handle = await client.generate({ prompt: 'a boat' }, { async: true });
    assert.deepEqual(await client.tasks.cancel(handle.id), { id: handle.id, status: 'CANCELED', requestId: 'fake' });
    await assert.rejects(handle.wait(), (error) => error instanceof TaskCanceledError && error.taskId === handle.id);
    await assert.rejects(handle.cancel(), (error) => error instanceof BadRequestError && error.code === 'UnsupportedOperation');
  });
});

describe('client against DashScope: errors', () => {
  it('AuthenticationError, InsufficientBalanceError and PermissionDeniedError by account', async () => {
    const as = (apiKey: string) => createClient({ baseUrl: `${fake.url}/api/v1`, apiKey });
    await assert.rejects(as('sk-nobody').generate({ prompt: 'x' }), (error) => error instanceof AuthenticationError && error.code === 'InvalidApiKey' && error.requestId === 'fake');
    await assert.rejects(as(KEYS.broke).generate({ prompt: 'x' }, { async: true }), (error) => error instanceof InsufficientBalanceError && error.status === 400);
    await assert.rejects(as(KEYS.denied).edit({ images: INLINE, prompt: 'x' }), (error) => error instanceof PermissionDeniedError && error.code === 'Model.AccessDenied');
  });

  it('TaskFailedError with the task\'s code; NotFoundError for an UNKNOWN task', async () => {
    fake.options.taskFailure = { code: 'InternalError.Algo', message: 'the model failed' };
    const handle = await client.generate({ prompt: 'a boat' }, { async: true });
    await assert.rejects(handle.wait({ pollIntervalMs: 10 }), (error) => error instanceof TaskFailedError && error.code === 'InternalError.Algo' && /the model failed/.test(error.message));
    await assert.rejects(client.tasks.wait('task-none'), (error) => error instanceof NotFoundError && error.code === 'UNKNOWN');
  });

  it('ContentBlockedError for DataInspectionFailed, and a throttled poll retried', async () => {
    fake.script.push('sync', { kind: 'error', status: 400, body: { code: 'DataInspectionFailed', message: 'Input data may contain inappropriate content.', request_id: 'fake' } });
    await assert.rejects(client.edit({ images: INLINE, prompt: 'x' }), ContentBlockedError);
    const handle = await client.generate({ prompt: 'a boat' }, { async: true });
    fake.script.push('task', { kind: 'error', status: 429, body: { code: 'Throttling.RateQuota', message: 'slow down', request_id: 'fake' }, headers: { 'retry-after': '0' } });
    assert.equal((await handle.wait({ pollIntervalMs: 10 })).images.length, 1);
  });

  // BUG (src/client/client.ts `handle`): a server that runs the sync route synchronously despite
  // X-DashScope-Async (this fake does) answers without output.task_id; the client hands out a
  // handle whose id is undefined, and handle.get() asks for /tasks/undefined.
  it('refuses an async submission answered without a task id', async () => {
    await assert.rejects(client.edit({ images: INLINE, prompt: 'x' }, { async: true }), (error) => error instanceof Error && /task/i.test(error.message));
  });

  it('NotFoundError for the gateway\'s own routes, which DashScope does not have', async () => {
    await assert.rejects(client.models(), NotFoundError);
    await assert.rejects(client.balance(), NotFoundError);
  });
});
