/**
 * The SeaArt queue dialect end to end over plain HTTP: seed 002's body (our image URL), the
 * submit answer, status with the real queue position, `/response` (202 until the end), cancel,
 * failures as COMPLETED with `error_type`, both error shapes, and the same task read through
 * the fal and DashScope dialects. A gate engine holds tasks where the test wants them.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { AppError } from '../../src/domain/errors.js';
import { createGateEngine, type GateEngine } from '../fakes/gate-engine.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { startImageServer, type ImageServer } from '../helpers/image-server.js';
import { gradientImage } from '../helpers/images.js';
import { firstJsonObject } from '../helpers/seeds.js';

let server: TestGateway;
let images: ImageServer;
let gate: GateEngine;

async function call(method: string, path: string, body?: unknown, auth = `Bearer ${server.key}`) {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? null : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, json: text ? (JSON.parse(text) as any) : {} };
}

const SEED_002 = readFileSync(new URL('../fixtures/seeds/002_2cbf9a8754fcb1ec.txt', import.meta.url), 'utf8');

/** Seed 002's curl body, sent verbatim but for the image URL. */
function seed002(): Record<string, any> {
  const body = firstJsonObject(SEED_002, SEED_002.indexOf('--data')) as Record<string, any>;
  body.images = [images.url('/apple.png')];
  return body;
}

async function statusUntil(path: string, wanted: string): Promise<any> {
  for (let i = 0; i < 400; i += 1) {
    const { json } = await call('GET', `${path}/status`);
    if (json.status === wanted) return json;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`${path} did not reach ${wanted}`);
}

before(async () => {
  images = await startImageServer();
  images.put('/apple.png', await gradientImage(900, 600, 'png'));
  gate = createGateEngine();
  server = await startTestGateway({
    engines: new Map([['gate', gate]]),
    config: { engines: { gate: { type: 'local' } }, routes: { '*': ['gate'] }, limits: { workerConcurrency: 1 }, fetch: { allowHosts: [images.hostPort] } },
    worker: { retryBaseDelayMs: 5, retryMaxDelayMs: 10 },
  });
});

after(async () => {
  gate.open();
  await server.close();
  await images.close();
});

describe('SeaArt queue (seed 002)', () => {
  it('queues with the real position, answers 202 from /response until done, and cancels queued work', async () => {
    const first = await call('POST', '/v1/queue/qwen_image_edit_plus', seed002());
    assert.equal(first.status, 200, JSON.stringify(first.json));
    assert.deepEqual(Object.keys(first.json), ['request_id', 'response_url', 'status_url', 'cancel_url', 'queue_position']);
    const base = `${server.url}/v1/queue/qwen_image_edit_plus/requests/${first.json.request_id}`;
    assert.deepEqual([first.json.response_url, first.json.status_url, first.json.cancel_url], [`${base}/response`, `${base}/status`, `${base}/cancel`]);
    await gate.waitForStarts(1);
    const second = await call('POST', '/v1/queue/qwen_image_edit_plus', seed002(), `Key ${server.key}`);
    const third = await call('POST', '/v1/queue/qwen_image_edit_plus', seed002());
    assert.equal(third.json.queue_position, 1);

    const running = await call('GET', `/v1/queue/qwen_image_edit_plus/requests/${first.json.request_id}/status`);
    assert.equal(running.json.status, 'IN_PROGRESS');
    const waiting = await call('GET', `/v1/queue/qwen_image_edit_plus/requests/${third.json.request_id}/status?logs=1`);
    assert.deepEqual([waiting.json.status, waiting.json.queue_position], ['IN_QUEUE', 1]);
    assert.match(waiting.json.logs[0].message, /^queued: qwen-image-edit-plus/);
    const early = await call('GET', `/v1/queue/qwen_image_edit_plus/requests/${third.json.request_id}/response`);
    assert.deepEqual([early.status, early.json.status], [202, 'IN_QUEUE']);

    const canceled = await call('PUT', `/v1/queue/qwen_image_edit_plus/requests/${second.json.request_id}/cancel`);
    assert.deepEqual([canceled.status, canceled.json], [202, { status: 'CANCELLATION_REQUESTED' }]);
    const after = await call('GET', `/v1/queue/qwen_image_edit_plus/requests/${third.json.request_id}/status`);
    assert.equal(after.json.queue_position, 0, 'the position follows the real queue');
    const done = await call('GET', `/v1/queue/qwen_image_edit_plus/requests/${second.json.request_id}/status`);
    assert.deepEqual([done.json.status, done.json.error_type], ['COMPLETED', 'CANCELED']);
    const response = await call('GET', `/v1/queue/qwen_image_edit_plus/requests/${second.json.request_id}/response`);
    assert.deepEqual([response.status, response.json.error_type], [400, 'CANCELED']);
    const again = await call('PUT', `/v1/queue/qwen_image_edit_plus/requests/${second.json.request_id}/cancel`);
    assert.deepEqual([again.status, again.json], [400, { status: 'ALREADY_COMPLETED' }]);
    const unknown = await call('PUT', '/v1/queue/qwen_image_edit_plus/requests/nope/cancel');
    assert.deepEqual([unknown.status, unknown.json], [404, { status: 'NOT_FOUND' }]);

    gate.open();
    const path = `/v1/queue/qwen_image_edit_plus/requests/${first.json.request_id}`;
    const completed = await statusUntil(path, 'COMPLETED');
    assert.equal(typeof completed.metrics.inference_time, 'number');
    assert.equal(completed.error, undefined);
    const result = await call('GET', `${path}/response`);
    assert.equal(result.status, 200);
    assert.deepEqual(Object.keys(result.json), ['request_id', 'outputs', 'metadata']);
    const [output] = result.json.outputs;
    // 3:2 input, no size: about 1 MP at the last image's aspect ratio.
    assert.deepEqual([output.type, output.content_type, output.width, output.height], ['image', 'image/png', 1248, 832]);
    assert.match(output.file_name, /^[0-9a-f]{64}\.png$/);
    assert.equal(result.json.metadata.prompt, `${seed002().prompt} (as the gate engine read it)`);
    assert.equal((await fetch(output.url)).status, 200);
    await statusUntil(`/v1/queue/qwen_image_edit_plus/requests/${third.json.request_id}`, 'COMPLETED');
  });

  it('serves every catalog endpoint (dated ones too) and reads the task through the fal and DashScope dialects', async () => {
    const pro = await call('POST', '/v1/queue/qwen_image_2_0_pro', { prompt: 'a lighthouse', size: '1024*768', n: 2, seed: 5 });
    assert.equal(pro.status, 200, JSON.stringify(pro.json));
    await statusUntil(`/v1/queue/qwen_image_2_0_pro/requests/${pro.json.request_id}`, 'COMPLETED');
    const fal = await call('GET', `/fal/qwen/qwen-image-2.0-pro/requests/${pro.json.request_id}`, undefined, `Key ${server.key}`);
    assert.deepEqual(fal.json.images.map((i: any) => [i.width, i.height]), [[1024, 768], [1024, 768]]);
    assert.equal(fal.json.seed, 5);
    const dashscope = await call('GET', `/api/v1/tasks/${pro.json.request_id}`);
    assert.equal(dashscope.json.output.task_status, 'SUCCEEDED');

    const bare = (await gradientImage(512, 512, 'png')).toString('base64');
    const dated = await call('POST', '/v1/queue/qwen_image_edit_plus_2025_10_30', { prompt: 'brighter', images: [bare], n: 1, watermark: true });
    assert.equal(dated.status, 200, JSON.stringify(dated.json));
    const result = await statusUntil(`/v1/queue/qwen_image_edit_plus_2025_10_30/requests/${dated.json.request_id}`, 'COMPLETED');
    assert.equal(result.error, undefined);
  });

  it('reports failures as COMPLETED with error_type, and /response with the matching status', async () => {
    gate.failWith(new AppError('content_blocked', 'The input image was flagged by the content filter.'));
    try {
      const blocked = await call('POST', '/v1/queue/qwen_image_edit', { prompt: 'make it red', images: [images.url('/apple.png')] });
      const path = `/v1/queue/qwen_image_edit/requests/${blocked.json.request_id}`;
      const status = await statusUntil(path, 'COMPLETED');
      assert.deepEqual([status.error_type, status.error], ['CONTENT_BLOCKED', 'The input image was flagged by the content filter.']);
      const response = await call('GET', `${path}/response`);
      assert.deepEqual([response.status, response.json.error_type], [422, 'CONTENT_BLOCKED']);

      gate.failWith(new AppError('engine_failed', 'The upstream fell over.'));
      const failed = await call('POST', '/v1/queue/qwen_image_edit', { prompt: 'make it red', images: [images.url('/apple.png')] });
      const failure = await statusUntil(`/v1/queue/qwen_image_edit/requests/${failed.json.request_id}`, 'COMPLETED');
      assert.equal(failure.error_type, 'INFERENCE_FAILURE');
    } finally {
      gate.failWith(null);
    }
  });

  it('answers errors in SeaArt\'s two shapes', async () => {
    const unauthorized = await call('POST', '/v1/queue/qwen_image_edit_plus', seed002(), 'Bearer wrong');
    assert.equal(unauthorized.status, 401);
    assert.deepEqual(Object.keys(unauthorized.json), ['error', 'request_id']);
    assert.equal(unauthorized.json.error.code, 'UNAUTHORIZED');

    const missing = await call('POST', '/v1/queue/flux_dev', seed002());
    assert.deepEqual([missing.status, missing.json], [404, { detail: 'App not found: flux_dev' }]);

    const tooMany = await call('POST', '/v1/queue/qwen_image_edit_plus', { ...seed002(), images: Array(4).fill(images.url('/apple.png')) });
    assert.equal(tooMany.status, 422);
    assert.deepEqual(tooMany.json.detail[0].loc, ['body', 'images']);
    assert.match(tooMany.json.detail[0].msg, /at most 3 input images/);

    const badN = await call('POST', '/v1/queue/qwen_image_edit_plus', { ...seed002(), n: 7 });
    assert.deepEqual([badN.status, badN.json.detail[0].loc], [422, ['body', 'n']]);
    const badType = await call('POST', '/v1/queue/qwen_image_edit_plus', { ...seed002(), seed: 'x' });
    assert.deepEqual([badType.status, badType.json.detail[0].loc], [422, ['body', 'seed']]);

    const webhook = await call('POST', '/v1/queue/qwen_image_edit_plus', { ...seed002(), webhook: 'http://127.0.0.1:9/hook' });
    assert.equal(webhook.status, 400);
    assert.match(webhook.json.detail, /^webhook: .*127\.0\.0\.1.*loopback/);

    const unknown = await call('GET', '/v1/queue/qwen_image_edit_plus/requests/nope/status');
    assert.equal(unknown.status, 404);
  });
});
