/**
 * Real answers of the running server, successes and errors of every dialect, held to the schemas
 * GET /openapi.json publishes for their route and status (a scripted engine makes the images).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createScriptedEngine } from '../fakes/scripted-engine.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { gradientImage } from '../helpers/images.js';
import { OpenApiReader, type OpenApiDocument } from '../helpers/openapi.js';

const ADMIN = 'admin-secret-for-openapi';
const METRICS = 'metrics-secret-for-openapi';
let gw: TestGateway;
let reader: OpenApiReader;
let png: Buffer;

interface Call {
  auth?: string | null;
  body?: unknown;
  headers?: Record<string, string>;
}

/** Calls `url` (the concrete form of the documented `path`) and checks the answer against the document. */
async function call(method: string, path: string, url: string, options: Call = {}): Promise<{ status: number; body: any }> {
  const auth = options.auth === undefined ? `Bearer ${gw.key}` : options.auth;
  const response = await fetch(`${gw.url}${url}`, {
    method: method.toUpperCase(),
    headers: { ...(auth === null ? {} : { authorization: auth }), ...(options.body === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const body: unknown = await response.json();
  reader.assertAnswer(method, path, response.status, body);
  return { status: response.status, body };
}

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('answers match the OpenAPI document', { timeout: 180_000 }, () => {
  before(async () => {
    png = await gradientImage(640, 480);
    gw = await startTestGateway({
      env: { QIG_ADMIN_TOKEN: ADMIN, QIG_METRICS_TOKEN: METRICS },
      engines: new Map([['scripted', createScriptedEngine()]]),
      config: { engines: { scripted: { type: 'local' } }, routes: { '*': ['scripted'] } },
    });
    reader = new OpenApiReader((await (await fetch(`${gw.url}/openapi.json`)).json()) as OpenApiDocument);
  });

  after(() => gw?.close());

  it('operations, catalog, account', async () => {
    await call('get', '/healthz', '/healthz', { auth: null });
    await call('get', '/readyz', '/readyz', { auth: null });
    await call('get', '/v1/models', '/v1/models', { auth: null });
    await call('get', '/v1/models/{id}', '/v1/models/qwen-image-edit-plus', { auth: null });
    assert.equal((await call('get', '/v1/models/{id}', '/v1/models/qwen-image-x', { auth: null })).status, 404);
    await call('get', '/v1/presets/negative-prompts', '/v1/presets/negative-prompts', { auth: null });
    await call('get', '/v1/balance', '/v1/balance');
    assert.equal((await call('get', '/v1/balance', '/v1/balance', { auth: 'Bearer sk-wrong' })).status, 401);
    await call('get', '/v1/usage', '/v1/usage');
    assert.equal((await call('get', '/v1/usage', '/v1/usage?limit=0')).status, 400);
    assert.equal((await call('get', '/metrics', '/metrics', { auth: null })).status, 401);
    const metrics = await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${METRICS}` } });
    assert.equal(metrics.status, 200);
    assert.match(metrics.headers.get('content-type') ?? '', /^text\/plain/);
  });

  for (const prefix of ['', '/aliyun']) {
    it(`DashScope${prefix}: submit, poll, list, cancel, errors`, async () => {
      const base = `${prefix}/api/v1`;
      const submitted = await call('post', `${base}/services/aigc/text2image/image-synthesis`, `${base}/services/aigc/text2image/image-synthesis`, { body: { model: 'qwen-image-plus', input: { prompt: 'a lighthouse' }, parameters: { seed: 3, foo: 1 } } });
      const id: string = submitted.body.output.task_id;
      const ended = await until(() => call('get', `${base}/tasks/{taskId}`, `${base}/tasks/${id}`), (answer) => answer.body.output.task_status === 'SUCCEEDED');
      assert.equal(ended.body.output.results.length, 1);
      await call('get', `${base}/tasks/{taskId}`, `${base}/tasks/unknown-task`);
      await call('get', `${base}/tasks`, `${base}/tasks?page_size=5`);
      assert.equal((await call('get', `${base}/tasks`, `${base}/tasks?status=DONE`)).status, 400);
      assert.equal((await call('post', `${base}/tasks/{taskId}/cancel`, `${base}/tasks/${id}/cancel`)).status, 400);
      const sync = await call('post', `${base}/services/aigc/multimodal-generation/generation`, `${base}/services/aigc/multimodal-generation/generation`, {
        body: { model: 'qwen-image-edit-plus', input: { messages: [{ role: 'user', content: [{ image: `data:image/png;base64,${png.toString('base64')}` }, { text: 'make it snow' }] }] } },
      });
      assert.equal(sync.body.output.choices[0].message.content.length, 1);
      const path = `${base}/services/aigc/image-generation/generation`;
      assert.equal((await call('post', path, path, { body: { model: 'qwen-image-edit-plus', input: { messages: [] } } })).status, 400);
      assert.equal((await call('post', path, path, { auth: null, body: {} })).status, 401);
    });
  }

  it('OpenAI Images, with the reseller and ai-nebula bodies', async () => {
    const generations = '/v1/images/generations';
    const openai = await call('post', generations, generations, { body: { prompt: 'a fox', size: '1024x1024', response_format: 'b64_json' } });
    assert.ok(openai.body.data[0].b64_json);
    await call('post', generations, generations, { body: { model: 'qwen-image-plus', input: { prompt: 'a fox' }, n: 1 } });
    await call('post', generations, generations, { body: { model: 'qwen-image-edit-plus', contents: [{ parts: [{ image: `data:image/png;base64,${png.toString('base64')}` }, { text: 'add a hat' }] }] } });
    assert.equal((await call('post', generations, generations, { body: { model: 'qwen-image-edit-plus', contents: [{ parts: [{ image: 'ftp://x' }] }] } })).status, 400);
    assert.equal((await call('post', generations, generations, { body: { prompt: 7 } })).status, 400);
    assert.equal((await call('post', generations, generations, { auth: 'Bearer sk-wrong', body: { prompt: 'a fox' } })).status, 401);

    const form = new FormData();
    form.append('prompt', 'make it black and white');
    form.append('image[]', new Blob([png], { type: 'image/png' }), 'a.png');
    const response = await fetch(`${gw.url}/v1/images/edits`, { method: 'POST', headers: { authorization: `Bearer ${gw.key}` }, body: form });
    reader.assertAnswer('post', '/v1/images/edits', response.status, await response.json());
    assert.equal(response.status, 200);
    assert.equal((await call('post', '/v1/images/edits', '/v1/images/edits', { body: { prompt: 'x' } })).status, 400);
  });

  it('fal: queue, sync, proxy, errors', async () => {
    const submit = '/fal/fal-ai/qwen-image';
    const queued = await call('post', submit, submit, { auth: `Key ${gw.key}`, body: { prompt: 'a cat', image_size: 'square_hd' } });
    const id: string = queued.body.request_id;
    const requests = '/fal/{owner}/{app}/requests/{request_id}';
    const concrete = `/fal/fal-ai/qwen-image/requests/${id}`;
    await until(() => call('get', `${requests}/status`, `${concrete}/status?logs=1`, { auth: `Key ${gw.key}` }), (answer) => answer.body.status === 'COMPLETED');
    await call('get', requests, concrete, { auth: `Key ${gw.key}` });
    assert.equal((await call('put', `${requests}/cancel`, `${concrete}/cancel`, { auth: `Key ${gw.key}` })).status, 400);
    assert.equal((await call('get', requests, '/fal/fal-ai/qwen-image/requests/missing', { auth: `Key ${gw.key}` })).status, 404);
    assert.equal((await call('post', submit, submit, { auth: `Key ${gw.key}`, body: { prompt: 1 } })).status, 422);
    assert.equal((await call('post', submit, submit, { auth: null, body: { prompt: 'a cat' } })).status, 401);
    await call('get', '/fal/proxy', '/fal/proxy', { auth: `Key ${gw.key}`, headers: { 'x-fal-target-url': `https://queue.fal.run/fal-ai/qwen-image/requests/${id}/status` } });
    assert.equal((await call('get', '/fal/proxy', '/fal/proxy', { auth: `Key ${gw.key}` })).status, 400);
    await call('post', '/fal-run/qwen/{model}', '/fal-run/qwen/qwen-image', { auth: `Key ${gw.key}`, body: { prompt: 'a cat', sync_mode: true } });
  });

  it('SeaArt: queue, status, response, cancel, errors', async () => {
    const submit = '/v1/queue/{endpoint}';
    const queued = await call('post', submit, '/v1/queue/qwen_image_edit_plus', { body: { prompt: 'add snow', images: [png.toString('base64')] } });
    const id: string = queued.body.request_id;
    const base = '/v1/queue/{endpoint}/requests/{id}';
    const concrete = `/v1/queue/qwen_image_edit_plus/requests/${id}`;
    await until(() => call('get', `${base}/response`, `${concrete}/response`), (answer) => answer.status === 200);
    await call('get', `${base}/status`, `${concrete}/status?logs=1`);
    assert.equal((await call('put', `${base}/cancel`, `${concrete}/cancel`)).status, 400);
    assert.equal((await call('get', `${base}/status`, '/v1/queue/qwen_image_edit_plus/requests/missing/status')).status, 404);
    assert.equal((await call('post', submit, '/v1/queue/qwen_image_edit_plus', { body: { prompt: 2 } })).status, 422);
    assert.equal((await call('post', submit, '/v1/queue/no_such_model', { body: { prompt: 'x' } })).status, 404);
    assert.equal((await call('post', submit, '/v1/queue/qwen_image_edit_plus', { auth: null, body: { prompt: 'x' } })).status, 401);
  });

  it('admin API and files', async () => {
    const admin = `Bearer ${ADMIN}`;
    const created = await call('post', '/admin/v1/keys', '/admin/v1/keys', { auth: admin, body: { name: 'answers', balance: '2.00' } });
    await call('post', '/admin/v1/keys/{id}/credit', `/admin/v1/keys/${created.body.id}/credit`, { auth: admin, body: { amount: '1.00' } });
    await call('get', '/admin/v1/keys', '/admin/v1/keys', { auth: admin });
    await call('get', '/admin/v1/usage', '/admin/v1/usage', { auth: admin });
    await call('get', '/admin/v1/tasks', '/admin/v1/tasks?limit=5', { auth: admin });
    await call('get', '/admin/v1/engines', '/admin/v1/engines', { auth: admin });
    await call('delete', '/admin/v1/keys/{id}', `/admin/v1/keys/${created.body.id}`, { auth: admin });
    assert.equal((await call('delete', '/admin/v1/keys/{id}', '/admin/v1/keys/key_missing', { auth: admin })).status, 404);
    assert.equal((await call('post', '/admin/v1/keys', '/admin/v1/keys', { auth: admin, body: { name: '' } })).status, 400);
    assert.equal((await call('get', '/admin/v1/keys', '/admin/v1/keys', { auth: 'Bearer nope' })).status, 401);

    const answer = await call('post', '/v1/images/generations', '/v1/images/generations', { body: { prompt: 'a fox', response_format: 'url' } });
    const url = new URL(answer.body.data[0].url as string);
    const file = await fetch(`${gw.url}${url.pathname}${url.search}`);
    assert.equal(file.status, 200);
    assert.match(file.headers.get('content-type') ?? '', /^image\//);
    await file.arrayBuffer();
    assert.equal((await call('get', '/files/{id}', `${url.pathname}?exp=${url.searchParams.get('exp')}&sig=wrong`, { auth: null })).status, 403);
  });
});
