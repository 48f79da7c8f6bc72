/**
 * End to end: the real gateway with the DashScope engine built by the registry against the fake
 * DashScope. Results are downloaded from the fake's result host and re-hosted at our URLs.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { colourFor } from '../fakes/dashscope-kit.js';
import { ASYNC_PATH, call, editBody, fetchOutput, SYNC_PATH, waitForTask } from '../fakes/dashscope-client.js';
import { startFakeDashScope, type FakeDashScope } from '../fakes/dashscope.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { gradientImage } from '../helpers/images.js';

let fake: FakeDashScope;
let server: TestGateway;
let png: Buffer;

before(async () => {
  fake = await startFakeDashScope({ pendingQueries: 0, runningQueries: 1 });
  png = await gradientImage(800, 600);
  server = await startTestGateway({
    config: {
      engines: { cloud: { type: 'dashscope', baseUrl: fake.url, apiKey: fake.apiKey }, cpu: { type: 'local' } },
      routes: { '*': ['cloud', 'cpu'] },
      fetch: { allowHosts: [fake.hostPort] },
    },
    worker: { retryBaseDelayMs: 5, retryMaxDelayMs: 20 },
  });
});

after(async () => {
  await server.close();
  await fake.close();
});

beforeEach(() => fake.script.clear());

describe('gateway → DashScope engine', () => {
  it('edits through DashScope and answers with our re-hosted copies', async () => {
    const body = editBody('qwen-image-edit-plus-2025-12-15', [png, png], 'make the sky purple', { n: 2, size: '1024*768', seed: 1234, watermark: true, prompt_extend: false });
    const { status, json } = await call(server, 'POST', SYNC_PATH, body);
    assert.equal(status, 200, JSON.stringify(json));
    const upstream = fake.requests.find((r) => r.path === SYNC_PATH)!;
    assert.equal(upstream.body.model, 'qwen-image-edit-plus-2025-12-15');
    assert.deepEqual(upstream.body.parameters, { n: 2, size: '1024*768', prompt_extend: false, watermark: true, seed: 1234 });
    const urls = json.output.choices[0].message.content.map((c: { image: string }) => c.image);
    assert.equal(urls.length, 2);
    for (const [i, url] of urls.entries()) {
      const image = await fetchOutput(server, url);
      assert.deepEqual([image.width, image.height], [1024, 768]);
      const colour = colourFor(1234, i);
      assert.deepEqual(image.mean, [colour.r, colour.g, colour.b], 'the pixels DashScope made, not a redraw (DashScope drew the watermark)');
    }
    assert.ok(fake.requests.some((r) => r.path.startsWith('/results/')), 'the runner downloaded from the result host');
  });

  it('runs qwen-image-plus as an upstream async task and reports actual_prompt', async () => {
    const submitted = await call(server, 'POST', ASYNC_PATH, { model: 'qwen-image-plus', input: { prompt: 'a red kite' }, parameters: { size: '1328*1328', seed: 5 } }, { 'x-dashscope-async': 'enable', 'x-request-id': 'kite-request-7' });
    assert.equal(submitted.status, 200, JSON.stringify(submitted.json));
    assert.equal(submitted.json.request_id, 'kite-request-7', "the client's request id is the answer's");
    const task = await waitForTask(server, submitted.json.output.task_id);
    assert.equal(task.output.task_status, 'SUCCEEDED', JSON.stringify(task));
    assert.equal(task.output.results[0].actual_prompt, 'a red kite, richly detailed');
    const image = await fetchOutput(server, task.output.results[0].url);
    assert.deepEqual([image.width, image.height], [1328, 1328]);
    assert.ok(fake.taskQueryTimes.length >= 2, 'the task was polled upstream');
    const upstream = fake.requests.filter((r) => r.path === '/api/v1/services/aigc/text2image/image-synthesis' || r.path.startsWith('/api/v1/tasks/'));
    assert.ok(upstream.length >= 3 && upstream.every((r) => r.headers['x-request-id'] === 'kite-request-7'), 'every upstream call carried it');
  });

  it("ends the task on the request's own fault, keeping DashScope's code, without failing over", async () => {
    fake.script.push('sync', { kind: 'error', status: 400, body: { code: 'DataInspectionFailed', message: 'Input data may contain inappropriate content.' } });
    const { status, json } = await call(server, 'POST', SYNC_PATH, editBody('qwen-image-edit-plus', [png], 'make it black and white'));
    assert.equal(status, 400);
    assert.equal(json.code, 'DataInspectionFailed');
  });

  it('retries a throttled call and succeeds', async () => {
    fake.script.push('sync', { kind: 'error', status: 429, body: { code: 'Throttling.RateQuota', message: 'Requests rate limit exceeded' }, headers: { 'retry-after': '0' } });
    const { status } = await call(server, 'POST', SYNC_PATH, editBody('qwen-image-edit-plus', [png], 'x', { size: '512*512' }));
    assert.equal(status, 200);
  });

  // Last: the account error takes the credential out of rotation (decision 0011), so later calls run locally.
  it('fails over to the local engine at once when the DashScope account cannot serve', async () => {
    fake.script.push('sync', { kind: 'error', status: 400, body: { code: 'Arrearage', message: 'Access denied, please make sure your account is in good standing.' } });
    const before = fake.requests.length;
    const { status, json } = await call(server, 'POST', SYNC_PATH, editBody('qwen-image-edit-plus', [png], 'make it black and white', { size: '768*512' }));
    assert.equal(status, 200, JSON.stringify(json));
    assert.equal(fake.requests.length - before, 1, 'no retries on an account error');
    const image = await fetchOutput(server, json.output.choices[0].message.content[0].image);
    assert.deepEqual([image.width, image.height], [768, 512]);
    assert.equal(new Set(image.mean).size, 1, 'grey: the local engine did it');
  });
});

describe('DASHSCOPE_API_KEY', () => {
  it('enables the dashscope engine, first in every route', async () => {
    const own = await startFakeDashScope({ apiKey: 'sk-from-env' });
    const envServer = await startTestGateway({
      env: { DASHSCOPE_API_KEY: 'sk-from-env', DASHSCOPE_BASE_URL: own.url },
      config: { fetch: { allowHosts: [own.hostPort] } },
    });
    try {
      const { status, json } = await call(envServer, 'POST', SYNC_PATH, editBody('qwen-image-edit-plus', [png], 'x', { size: '640*640' }));
      assert.equal(status, 200, JSON.stringify(json));
      assert.equal(own.requests.filter((r) => r.path === SYNC_PATH).length, 1);
      const image = await fetchOutput(envServer, json.output.choices[0].message.content[0].image);
      assert.deepEqual([image.width, image.height], [640, 640]);
    } finally {
      await envServer.close();
      await own.close();
    }
  });
});
