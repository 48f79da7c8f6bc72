/** The fal engine: endpoints, input mapping, the queue lifecycle, errors and cancel, against the fake. */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { AppError } from '../../../src/domain/errors.js';
import type { Engine } from '../../../src/engines/engine.js';
import { appPath, DEFAULT_FAL_ENDPOINTS, resolveEndpoint } from '../../../src/engines/fal/endpoints.js';
import { falInput } from '../../../src/engines/fal/mapping.js';
import { createEngines } from '../../../src/engines/registry.js';
import { silentLogger } from '../../../src/lib/logger.js';
import { engineCall, operationOf, runToEnd } from '../../fakes/dashscope-kit.js';
import { startFakeFal, type FakeFal } from '../../fakes/fal.js';
import { gradientImage } from '../../helpers/images.js';

let png: Buffer;
before(async () => {
  png = await gradientImage(64, 48);
});

async function rejectsWith(promise: Promise<unknown>, check: Partial<Record<'kind' | 'retryable' | 'upstreamCode' | 'retryAfterSeconds', unknown>>): Promise<AppError> {
  let caught: unknown;
  await promise.catch((error: unknown) => (caught = error));
  assert.ok(caught instanceof AppError, `rejects with AppError (got ${String(caught)})`);
  for (const [key, value] of Object.entries(check)) assert.equal((caught as never)[key], value, `${key} of "${caught.message}"`);
  return caught;
}

describe('fal endpoints', () => {
  it('maps each model and kind to its endpoint; a snapshot runs on its family with a warning', () => {
    const edit = (model: string, family = model) => resolveEndpoint(DEFAULT_FAL_ENDPOINTS, { model, family, kind: 'edit' });
    const generate = (model: string) => resolveEndpoint(DEFAULT_FAL_ENDPOINTS, { model, family: model, kind: 'generate' });
    assert.deepEqual(edit('qwen-image-edit-plus'), { id: 'fal-ai/qwen-image-edit-plus' });
    assert.deepEqual(edit('qwen-image-edit-max'), { id: 'fal-ai/qwen-image-max/edit' });
    assert.deepEqual(edit('qwen-image-2.0'), { id: 'fal-ai/qwen-image-2/edit' });
    assert.deepEqual(generate('qwen-image-2.0-pro'), { id: 'fal-ai/qwen-image-2/pro/text-to-image' });
    assert.deepEqual(generate('qwen-image'), { id: 'fal-ai/qwen-image' });
    assert.equal(generate('qwen-image-plus'), undefined);
    const snapshot = edit('qwen-image-edit-plus-2025-12-15', 'qwen-image-edit-plus');
    assert.equal(snapshot?.id, 'fal-ai/qwen-image-edit-plus');
    assert.match(snapshot?.warning ?? '', /no endpoint for qwen-image-edit-plus-2025-12-15/);
  });

  it('drops the sub-path for status, result and cancel', () => {
    assert.equal(appPath('fal-ai/qwen-image-2/pro/edit'), 'fal-ai/qwen-image-2');
    assert.equal(appPath('fal-ai/qwen-image-edit-plus'), 'fal-ai/qwen-image-edit-plus');
  });

  it('builds the model input: prompt, image_urls, explicit image_size, num_images, seed, png', async () => {
    const call = engineCall({ n: 3, negativePrompt: 'blur', promptExtend: true, watermark: true, sizeSource: 'default' }, [png]);
    const { input, warnings } = await falInput(call, 'fal-ai/qwen-image-edit-plus', 'data-uri');
    assert.deepEqual(Object.keys(input), ['prompt', 'image_urls', 'image_size', 'num_images', 'seed', 'negative_prompt', 'output_format', 'enable_safety_checker']);
    assert.deepEqual(input.image_size, { width: 640, height: 480 });
    assert.equal(input.num_images, 3);
    assert.equal(input.output_format, 'png');
    assert.match((input.image_urls as string[])[0]!, /^data:image\/png;base64,/);
    assert.equal(warnings.length, 2, 'watermark and prompt_extend are named');
    const expanded = await falInput(call, 'fal-ai/qwen-image-2/edit', 'url');
    assert.equal(expanded.input.enable_prompt_expansion, true);
    assert.deepEqual(expanded.input.image_urls, ['http://127.0.0.1:1/files/input-1?sig=x']);
    assert.equal(expanded.warnings.length, 1);
  });
});

describe('fal engine against the fake', () => {
  let fake: FakeFal;
  let engine: Engine;
  before(async () => {
    fake = await startFakeFal({ queuedQueries: 2, runningQueries: 1 });
    engine = createEngines({ fal: { type: 'fal', baseUrl: fake.url, apiKey: fake.apiKey } }, { logger: silentLogger(), fetch: { allowHosts: [] } }).get('fal') as Engine;
  });
  after(() => fake.close());
  beforeEach(() => {
    fake.script.clear();
    fake.options.failure = undefined;
    fake.options.nsfw = [];
  });

  it('submits to owner/app/sub, polls owner/app/requests/{id}/status until COMPLETED, reads the result', async () => {
    const logs: string[] = [];
    const call = engineCall({ model: 'qwen-image-edit-max', family: 'qwen-image-edit-max', n: 2, log: (line) => logs.push(line) }, [png]);
    const { result, polls } = await runToEnd(engine, call);
    assert.equal(polls, 4);
    assert.equal(result.images.length, 2);
    assert.equal(result.images[0]?.kind, 'url');
    const paths = fake.log.map((entry) => `${entry.method} ${entry.path.replace(/req-\d+/, 'ID')}`);
    assert.deepEqual(paths, [
      'POST /fal-ai/qwen-image-max/edit',
      'GET /fal-ai/qwen-image-max/requests/ID/status',
      'GET /fal-ai/qwen-image-max/requests/ID/status',
      'GET /fal-ai/qwen-image-max/requests/ID/status',
      'GET /fal-ai/qwen-image-max/requests/ID/status',
      'GET /fal-ai/qwen-image-max/requests/ID',
    ]);
    assert.deepEqual(logs.map((l) => l.replace(/req-\d+/, 'ID')), ['fal (fal): request ID in queue at position 1', 'fal (fal): request ID in queue at position 0', 'fal (fal): request ID running']);
    const request = [...fake.requests.values()].at(-1)!;
    assert.equal(request.input.num_images, 2);
    fake.log.length = 0;
  });

  it('fails a COMPLETED request that carries an error, by its error_type', async () => {
    fake.options.failure = { error: 'NSFW content detected', error_type: 'CONTENT_BLOCKED' };
    await rejectsWith(runToEnd(engine, engineCall({}, [png])), { kind: 'content_blocked', upstreamCode: 'CONTENT_BLOCKED' });
    fake.options.failure = { error: 'CUDA error', error_type: 'INFERENCE_FAILURE' };
    await rejectsWith(runToEnd(engine, engineCall({}, [png])), { kind: 'engine_failed', retryable: true });
  });

  it('leaves out images the safety checker flagged, and fails when it flagged them all', async () => {
    fake.options.nsfw = [1];
    const { result } = await runToEnd(engine, engineCall({ n: 2 }, [png]));
    assert.equal(result.images.length, 1);
    assert.ok(result.warnings?.some((w) => /flagged 1 image/.test(w)));
    fake.options.nsfw = [0];
    await rejectsWith(runToEnd(engine, engineCall({ n: 1 }, [png])), { kind: 'content_blocked' });
  });

  it('reads validation errors, throttling, bad keys and garbage', async () => {
    await rejectsWith(engine.start(engineCall({ prompt: '' }, [png])), { kind: 'invalid_parameter', retryable: false });
    fake.script.push('submit', { kind: 'error', status: 429, body: { detail: 'Too many requests' }, headers: { 'retry-after': '5' } });
    await rejectsWith(engine.start(engineCall({}, [png])), { kind: 'rate_limited', retryAfterSeconds: 5 });
    const wrong = createEngines({ fal: { type: 'fal', baseUrl: fake.url, apiKey: 'nope' } }, { logger: silentLogger(), fetch: { allowHosts: [] } }).get('fal') as Engine;
    await rejectsWith(wrong.start(engineCall({}, [png])), { kind: 'engine_unavailable', retryable: false });
    const started = await engine.start(engineCall({}, [png]));
    fake.script.push('status', { kind: 'garbage' });
    await rejectsWith(engine.poll(operationOf(started), engineCall()), { kind: 'engine_failed' });
    fake.script.push('status', { kind: 'error', status: 200, body: { status: 'WHATEVER' } });
    await rejectsWith(engine.poll(operationOf(started), engineCall()), { kind: 'engine_failed' });
  });

  it('refuses a model it has no endpoint for, so the runner fails over at once', async () => {
    await rejectsWith(engine.start(engineCall({ model: 'qwen-image-plus', family: 'qwen-image-plus', kind: 'generate' })), { kind: 'engine_unavailable', retryable: false });
  });

  it('cancels a queued request, and shrugs at one already completed', async () => {
    const call = engineCall({}, [png]);
    const started = await engine.start(call);
    const operation = operationOf(started);
    await engine.cancel(operation, call);
    assert.equal(fake.requests.get(operation.requestId)?.canceled, true);
    await engine.cancel(operation, call);
  });
});
