/** The SeaArt dialect's pure mappings: the body, failures' error_type, and both error shapes. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError, ERROR_KINDS, type ErrorKind } from '../../../../src/domain/errors.js';
import { endpointNameOf, listModels, modelFromEndpointName } from '../../../../src/domain/models.js';
import type { TaskRecord } from '../../../../src/domain/task.js';
import { failureResponse, resultBody, seaartError, seaartFailure, seaartWebhook } from '../../../../src/dialects/seaart/render.js';
import { translateSeaArt } from '../../../../src/dialects/seaart/wire.js';

const BARE = Buffer.from('\x89PNG\r\n\x1a\n0123456789abcdef').toString('base64');

function task(overrides: Partial<TaskRecord>): TaskRecord {
  return {
    id: 't1', keyId: 'k', userId: 'usr_k', priceMultiplierPpm: 1_000_000, model: 'qwen-image-edit-plus', kind: 'edit', status: 'succeeded',
    spec: { prompt: 'apple', negativePrompt: null, n: 1, size: { width: 1024, height: 1024 }, sizeSource: 'default', seed: 1, promptExtend: true, watermark: false, outputFormat: 'png' },
    inputs: [], engine: 'x', operation: null,
    outputs: [{ blobId: 'b.png', contentType: 'image/png', width: 1024, height: 1024, bytes: 10, seed: 1 }],
    usage: null, actualPrompt: 'a red apple, studio light', error: null, warnings: [], attempts: 1, cancelRequested: false,
    origin: 'seaart', requestId: 'r', createdAt: 0, startedAt: 0, finishedAt: 1000, updatedAt: 1000, leaseUntil: null, workerId: null,
    billing: { state: 'none', unitPriceMicros: 0, holdMicros: 0, chargedMicros: null },
    ...overrides,
  };
}

describe('SeaArt body', () => {
  it('translates the flat body, with bare base64 images and the webhook', () => {
    const parsed = translateSeaArt(
      { prompt: 'p', images: ['https://example.com/a.png', BARE], negative_prompt: 'n', size: '1024*1536', n: 2, prompt_extend: false, watermark: true, seed: 3, webhook: 'https://example.com/hook', style: 'x' },
      'qwen-image-edit-plus',
    );
    assert.deepEqual(parsed.request.images.map((i) => i.kind), ['url', 'bytes']);
    assert.deepEqual([parsed.request.size, parsed.request.n, parsed.request.promptExtend, parsed.request.watermark, parsed.request.seed], ['1024*1536', 2, false, true, 3]);
    assert.equal(parsed.webhook, 'https://example.com/hook');
    assert.deepEqual(parsed.warnings, ['style is not a parameter of this endpoint and was ignored.']);
  });

  it('names the field of a wrong value', () => {
    assert.throws(() => translateSeaArt({ prompt: 'p', images: 'https://example.com/a.png' }, 'qwen-image-edit-plus'), (e: AppError) => e.field === 'images');
    assert.throws(() => translateSeaArt({ prompt: 'p', images: ['not an image'] }, 'qwen-image-edit-plus'), (e: AppError) => e.field === 'images[0]');
    assert.throws(() => translateSeaArt({ images: [] }, 'qwen-image-edit-plus'), (e: AppError) => e.field === 'prompt');
  });

  it('has an endpoint for every catalog model, dated ones too', () => {
    for (const model of listModels()) assert.equal(modelFromEndpointName(endpointNameOf(model.id))?.id, model.id);
    assert.equal(endpointNameOf('qwen-image-2.0-pro'), 'qwen_image_2_0_pro');
  });
});

describe('SeaArt answers', () => {
  it('maps every error kind to one of SeaArt\'s error types', () => {
    const allowed = ['INFERENCE_FAILURE', 'INFERENCE_TIMEOUT', 'REQUEST_INVALID', 'CONTENT_BLOCKED', 'CANCELED', 'INTERNAL_SERVER_ERROR'];
    for (const kind of Object.keys(ERROR_KINDS) as ErrorKind[]) {
      const failure = seaartFailure(task({ status: 'failed', error: { kind, message: 'm' } }));
      assert.ok(failure && allowed.includes(failure.error_type), kind);
    }
    assert.deepEqual(seaartFailure(task({ status: 'failed', error: { kind: 'engine_timeout', message: 'slow' } })), { error: 'slow', error_type: 'INFERENCE_TIMEOUT' });
    assert.deepEqual(seaartFailure(task({ status: 'canceled' }))?.error_type, 'CANCELED');
    assert.equal(seaartFailure(task({})), null);
    assert.equal(failureResponse(task({}), { error: 'x', error_type: 'CONTENT_BLOCKED' }).status, 422);
  });

  it('renders the result and the webhook', () => {
    assert.deepEqual(resultBody(task({}), ['https://x/files/b.png']), {
      request_id: 't1',
      outputs: [{ type: 'image', url: 'https://x/files/b.png', content_type: 'image/png', file_name: 'b.png', width: 1024, height: 1024 }],
      metadata: { prompt: 'a red apple, studio light' },
    });
    assert.equal(seaartWebhook(task({}), ['u']).status, 'OK');
    const failed = seaartWebhook(task({ status: 'failed', error: { kind: 'content_blocked', message: 'flagged' } }), []);
    assert.deepEqual([failed.status, failed.error, (failed.payload as any).error_type], ['ERROR', 'flagged', 'CONTENT_BLOCKED']);
  });

  it('answers gateway errors as {error: {code, message}, request_id} and app errors as {detail}', () => {
    assert.deepEqual(seaartError(new AppError('unauthorized', 'bad key'), 'req'), { status: 401, headers: {}, body: { error: { code: 'UNAUTHORIZED', message: 'bad key' }, request_id: 'req' } });
    assert.deepEqual(seaartError(new AppError('rate_limited', 'slow down', { retryAfterSeconds: 3 }), 'req').headers, { 'retry-after': '3' });
    assert.equal((seaartError(new AppError('rate_limited', 'x'), 'r').body as any).error.code, 'RATE_LIMIT_EXCEEDED');
    assert.deepEqual(seaartError(new AppError('model_not_found', 'App not found: x'), 'r'), { status: 404, headers: {}, body: { detail: 'App not found: x' } });
    assert.deepEqual(seaartError(new AppError('invalid_parameter', 'n: too many', { field: 'n' }), 'r').body, { detail: [{ loc: ['body', 'n'], msg: 'n: too many', type: 'value_error' }] });
    assert.deepEqual(seaartError(new AppError('invalid_url', 'webhook: blocked', { field: 'webhook' }), 'r'), { status: 400, headers: {}, body: { detail: 'webhook: blocked' } });
    assert.equal(seaartError(new AppError('internal', 'oops'), 'r').status, 500);
  });
});
