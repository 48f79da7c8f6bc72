/** The reseller engine in its three body styles: what it sends, and how it reads answers and errors. */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { AppError } from '../../../src/domain/errors.js';
import type { Engine, EngineDone } from '../../../src/engines/engine.js';
import { createEngines } from '../../../src/engines/registry.js';
import { silentLogger } from '../../../src/lib/logger.js';
import { engineCall } from '../../fakes/dashscope-kit.js';
import { startFakeReseller, type FakeReseller } from '../../fakes/reseller.js';
import { gradientImage } from '../../helpers/images.js';

let fake: FakeReseller;
let png: Buffer;
before(async () => {
  fake = await startFakeReseller();
  png = await gradientImage(64, 48);
});
after(() => fake.close());
beforeEach(() => fake.script.clear());

function reseller(config: Record<string, unknown>): Engine {
  const full = { type: 'openai-compatible', baseUrl: fake.url, apiKey: fake.apiKey, ...config } as never;
  return createEngines({ shop: full }, { logger: silentLogger(), fetch: { allowHosts: [] } }).get('shop') as Engine;
}

async function done(engine: Engine, ...args: Parameters<typeof engineCall>): Promise<EngineDone> {
  const result = await engine.start(engineCall(...args));
  assert.equal(result.status, 'done');
  return result as EngineDone;
}

async function rejectsWith(promise: Promise<unknown>, check: Partial<Record<'kind' | 'retryable' | 'upstreamCode' | 'field' | 'retryAfterSeconds', unknown>>): Promise<void> {
  let caught: unknown;
  await promise.catch((error: unknown) => (caught = error));
  assert.ok(caught instanceof AppError, `rejects with AppError (got ${String(caught)})`);
  for (const [key, value] of Object.entries(check)) assert.equal((caught as never)[key], value, `${key} of "${caught.message}"`);
}

describe('reseller, dashscope style', () => {
  it("posts the DashScope body on 302.ai's /aliyun path and reads the DashScope answer", async () => {
    const result = await done(reseller({ style: 'dashscope', baseUrl: `${fake.url}/aliyun` }), { n: 2, watermark: true }, [png]);
    assert.equal(result.images.length, 2);
    assert.equal(result.images[0]?.kind, 'url');
    const request = fake.requests.at(-1)!;
    assert.equal(request.style, 'dashscope-native');
    assert.equal(request.body.parameters.watermark, true);
    assert.match(request.images[0]!, /^data:image\/png;base64,/);
  });

  it("posts the DashScope body on aigc.it's OpenAI path and reads data[] (metadata alongside)", async () => {
    const result = await done(reseller({ style: 'dashscope', path: '/v1/images/generations' }), {}, [png]);
    assert.equal(result.images.length, 1);
    assert.equal(fake.requests.at(-1)!.style, 'dashscope-on-openai-path');
  });

  it('reads DashScope-shaped errors', async () => {
    fake.script.push('aliyun', { kind: 'error', status: 400, body: { code: 'DataInspectionFailed', message: 'Input data may contain inappropriate content.', request_id: 'r' } });
    await rejectsWith(reseller({ style: 'dashscope', baseUrl: `${fake.url}/aliyun` }).start(engineCall({}, [png])), { kind: 'content_blocked', upstreamCode: 'DataInspectionFailed' });
  });
});

describe('reseller, openai style', () => {
  it('generates with JSON on /v1/images/generations, size as WxH, Qwen parameters flattened', async () => {
    const result = await done(reseller({ style: 'openai', responseFormat: 'b64_json' }), { model: 'qwen-image-2.0-pro', family: 'qwen-image-2.0-pro', kind: 'generate', n: 2, negativePrompt: 'text', promptExtend: true, size: { width: 512, height: 768 } });
    const body = fake.requests.at(-1)!.body;
    assert.deepEqual(body, { model: 'qwen-image-2.0-pro', prompt: 'make it blue', n: 2, size: '512x768', response_format: 'b64_json', negative_prompt: 'text', prompt_extend: true, seed: 42 });
    assert.equal(result.images[0]?.kind, 'encoded', 'b64_json answers are images in hand');
    assert.equal(result.actualPrompt, 'make it blue (extended)', 'revised_prompt is the actual prompt');
  });

  it('edits with multipart on /v1/images/edits: one image[] part per image, in order', async () => {
    const second = await gradientImage(32, 32, 'jpeg');
    const call = engineCall({ n: 1 }, [png, second]);
    (call.inputs[1] as { contentType: string }).contentType = 'image/jpeg';
    const result = await reseller({ style: 'openai' }).start(call);
    assert.equal(result.status, 'done');
    const request = fake.requests.at(-1)!;
    assert.equal(request.style, 'openai-edit');
    assert.match(request.contentType ?? '', /^multipart\/form-data; boundary=/);
    assert.deepEqual(request.images.map((uri) => uri.slice(0, 16)), ['data:image/png;b', 'data:image/jpeg;']);
    assert.equal(request.body.prompt, 'make it blue');
    assert.equal(request.body.size, '640x480');
    assert.equal(request.body.seed, '42');
    assert.equal(reseller({ style: 'openai' }).capabilities.watermark, false, 'the runner draws the watermark');
  });

  it('reads OpenAI errors: bad key, exhausted quota, moderation, throttling, bad parameter', async () => {
    await rejectsWith(reseller({ style: 'openai', apiKey: 'sk-wrong' }).start(engineCall()), { kind: 'engine_unavailable', retryable: false, upstreamCode: 'invalid_api_key' });
    const engine = reseller({ style: 'openai' });
    fake.script.push('generations', { kind: 'error', status: 429, body: { error: { message: 'You exceeded your current quota.', type: 'insufficient_quota', param: null, code: 'insufficient_quota' } } });
    await rejectsWith(engine.start(engineCall()), { kind: 'engine_unavailable', retryable: false });
    fake.script.push('generations', { kind: 'error', status: 400, body: { error: { message: 'Your request was rejected by the safety system.', type: 'image_generation_user_error', param: null, code: 'moderation_blocked' } } });
    await rejectsWith(engine.start(engineCall()), { kind: 'content_blocked', upstreamCode: 'moderation_blocked' });
    fake.script.push('generations', { kind: 'error', status: 429, body: { error: { message: 'Rate limit reached', type: 'requests', param: null, code: 'rate_limit_exceeded' } }, headers: { 'retry-after': '2' } });
    await rejectsWith(engine.start(engineCall()), { kind: 'rate_limited', retryable: true, retryAfterSeconds: 2 });
    fake.script.push('generations', { kind: 'error', status: 400, body: { error: { message: 'Invalid size', type: 'invalid_request_error', param: 'size', code: null } } });
    await rejectsWith(engine.start(engineCall()), { kind: 'invalid_parameter', field: 'size', upstreamCode: 'invalid_request_error' });
  });

  it('turns garbage and empty answers into engine_failed', async () => {
    const engine = reseller({ style: 'openai' });
    fake.script.push('generations', { kind: 'garbage' });
    await rejectsWith(engine.start(engineCall()), { kind: 'engine_failed' });
    fake.script.push('generations', { kind: 'error', status: 200, body: { created: 1, data: [] } });
    await rejectsWith(engine.start(engineCall()), { kind: 'engine_failed' });
    fake.script.push('generations', { kind: 'garbage', status: 502 });
    await rejectsWith(engine.start(engineCall()), { kind: 'engine_failed', retryable: true });
  });
});

describe('reseller, nebula style', () => {
  it('posts {model, prompt, parameters, contents[].parts} and reads the {code, msg, data} envelope', async () => {
    const result = await done(reseller({ style: 'nebula' }), { n: 2, negativePrompt: 'distortion', watermark: true }, [png, png]);
    assert.equal(result.images.length, 2);
    assert.equal(result.images[0]?.kind, 'url', 'an empty b64_json falls back to the url');
    const body = fake.requests.at(-1)!.body;
    assert.equal(body.model, 'qwen-image-edit-plus');
    assert.equal(body.prompt, 'make it blue');
    assert.deepEqual(body.parameters, { n: 2, size: '640*480', negative_prompt: 'distortion', prompt_extend: false, watermark: true, seed: 42 });
    assert.equal(body.contents[0].role, 'user');
    assert.deepEqual(Object.keys(body.contents[0].parts[0]), ['image']);
    assert.deepEqual(body.contents[0].parts.at(-1), { text: 'make it blue' });
  });

  it('reads errors in the envelope, on HTTP 200 too', async () => {
    await rejectsWith(reseller({ style: 'nebula' }).start(engineCall({}, [png, png, png, png])), { kind: 'invalid_parameter', retryable: false });
    fake.script.push('generations', { kind: 'error', status: 403, body: { code: 403, msg: 'Insufficient permissions or balance', data: null } });
    await rejectsWith(reseller({ style: 'nebula' }).start(engineCall({}, [png])), { kind: 'engine_unavailable', retryable: false });
    fake.script.push('generations', { kind: 'error', status: 200, body: { code: 500, msg: 'Internal Server Error', data: null } });
    await rejectsWith(reseller({ style: 'nebula' }).start(engineCall({}, [png])), { kind: 'engine_failed', retryable: true });
  });

  it('sends our signed URLs when told the upstream can reach us', async () => {
    await done(reseller({ style: 'nebula', inputs: 'url' }), {}, [png]);
    assert.equal(fake.requests.at(-1)!.body.contents[0].parts[0].image, 'http://127.0.0.1:1/files/input-1?sig=x');
  });
});
