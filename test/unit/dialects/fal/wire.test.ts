/** The fal dialect's pure mappings: endpoints, paths, inputs, errors, status and result bodies. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../../../../src/domain/errors.js';
import type { TaskRecord } from '../../../../src/domain/task.js';
import { appOf, parseFalPath, resolveFalEndpoint } from '../../../../src/dialects/fal/endpoints.js';
import { falError, falTaskFailure, falWebhook, finalResultFailure, resultBody } from '../../../../src/dialects/fal/render.js';
import { locOf } from '../../../../src/dialects/queue-common/loc.js';
import { proxyTarget } from '../../../../src/dialects/fal/routes.js';
import { queueLinks, statusBody, taskLogLines } from '../../../../src/dialects/queue-common/status.js';
import { IMAGE_SIZE_PRESETS, parseMaxQueueLength, parseStartTimeout, translateFal } from '../../../../src/dialects/fal/wire.js';

const PNG = 'data:image/png;base64,iVBORw0KGgo=';

function endpoint(id: string) {
  const resolved = resolveFalEndpoint(id);
  assert.ok(resolved, id);
  return resolved;
}

function task(overrides: Partial<TaskRecord> = {}): TaskRecord {
  return {
    id: 'task-1',
    keyId: 'key',
    userId: 'usr_key',
    priceMultiplierPpm: 1_000_000,
    model: 'qwen-image-edit-plus',
    kind: 'edit',
    status: 'succeeded',
    spec: { prompt: 'p', negativePrompt: null, n: 1, size: { width: 1024, height: 768 }, sizeSource: 'request', seed: 42, promptExtend: false, watermark: false, outputFormat: 'png' },
    inputs: [],
    engine: 'local',
    operation: null,
    outputs: [{ blobId: `${'a'.repeat(64)}.png`, contentType: 'image/png', width: 1024, height: 768, bytes: 1234, seed: 42 }],
    usage: { imageCount: 1, width: 1024, height: 768 },
    actualPrompt: null,
    error: null,
    warnings: [],
    attempts: 1,
    cancelRequested: false,
    origin: 'fal',
    requestId: 'r',
    createdAt: 1_000,
    startedAt: 2_000,
    finishedAt: 4_500,
    updatedAt: 4_500,
    leaseUntil: null,
    workerId: null,
    billing: { state: 'none', unitPriceMicros: 0, holdMicros: 0, chargedMicros: null },
    ...overrides,
  };
}

describe('fal endpoints and paths', () => {
  it('maps fal endpoint ids to models, and accepts qwen/{model} for catalog models', () => {
    assert.deepEqual(
      ['fal-ai/qwen-image-edit-plus', 'fal-ai/qwen-image-edit', 'fal-ai/qwen-image-max/edit', 'fal-ai/qwen-image-2/edit', 'fal-ai/qwen-image-2/text-to-image', 'fal-ai/qwen-image-2/pro/edit', 'fal-ai/qwen-image', 'fal-ai/qwen-image-max/text-to-image'].map((id) => endpoint(id).model),
      ['qwen-image-edit-plus', 'qwen-image-edit', 'qwen-image-edit-max', 'qwen-image-2.0', 'qwen-image-2.0', 'qwen-image-2.0-pro', 'qwen-image', 'qwen-image-max'],
    );
    assert.deepEqual(resolveFalEndpoint('qwen/qwen-image-edit-plus-2025-10-30'), { id: 'qwen/qwen-image-edit-plus-2025-10-30', model: 'qwen-image-edit-plus-2025-10-30', kind: null, falNative: false });
    assert.equal(resolveFalEndpoint('fal-ai/flux/dev'), undefined);
    assert.equal(resolveFalEndpoint('qwen/not-a-model'), undefined);
  });

  it('splits paths into a submit or an operation on a request (the sub-path dropped)', () => {
    assert.deepEqual(parseFalPath('fal-ai/qwen-image-2/pro/edit'), { kind: 'submit', endpoint: 'fal-ai/qwen-image-2/pro/edit' });
    assert.deepEqual(parseFalPath('fal-ai/qwen-image-2/requests/abc/status'), { kind: 'status', app: 'fal-ai/qwen-image-2', requestId: 'abc' });
    assert.deepEqual(parseFalPath('/fal-ai/qwen-image-2/requests/abc/status/stream'), { kind: 'stream', app: 'fal-ai/qwen-image-2', requestId: 'abc' });
    assert.deepEqual(parseFalPath('fal-ai/qwen-image-2/requests/abc'), { kind: 'result', app: 'fal-ai/qwen-image-2', requestId: 'abc' });
    assert.deepEqual(parseFalPath('fal-ai/qwen-image-2/requests/abc/cancel'), { kind: 'cancel', app: 'fal-ai/qwen-image-2', requestId: 'abc' });
    assert.equal(parseFalPath('fal-ai/qwen-image-2/pro/requests/abc'), null);
    assert.equal(parseFalPath('fal-ai/qwen-image-2/requests/abc/logs'), null);
    assert.equal(parseFalPath('fal-ai'), null);
    assert.equal(appOf('fal-ai/qwen-image-max/edit'), 'fal-ai/qwen-image-max');
  });

  it('reads x-fal-target-url: the queue, fal.run (sync), storage; anything else is refused', () => {
    const queued = proxyTarget('https://queue.fal.run/fal-ai/qwen-image-edit-plus?fal_webhook=https%3A%2F%2Fexample.com%2Fh');
    assert.ok(queued !== 'storage');
    assert.deepEqual([queued.operation, queued.sync, queued.query.get('fal_webhook')], [{ kind: 'submit', endpoint: 'fal-ai/qwen-image-edit-plus' }, false, 'https://example.com/h']);
    const sync = proxyTarget('https://fal.run/fal-ai/qwen-image');
    assert.ok(sync !== 'storage' && sync.sync);
    assert.equal(proxyTarget('https://rest.fal.ai/storage/upload/initiate?storage_type=fal-cdn-v3'), 'storage');
    assert.throws(() => proxyTarget('https://evil.example/fal-ai/x'), /queue\.fal\.run/);
    assert.throws(() => proxyTarget(undefined), /x-fal-target-url: the header is required/);
    assert.throws(() => proxyTarget('https://fal.run/fal-ai/qwen-image/requests/x/status'), /not a fal queue path/);
  });
});

describe('fal inputs', () => {
  it('translates the edit-plus input, naming fields as fal spells them', () => {
    const parsed = translateFal(
      { prompt: 'warmer', image_urls: [PNG, 'https://example.com/b.png'], image_size: 'portrait_4_3', num_images: 2, seed: 9, negative_prompt: 'blur', output_format: 'jpeg', sync_mode: true },
      endpoint('fal-ai/qwen-image-edit-plus'),
    );
    assert.equal(parsed.request.model, 'qwen-image-edit-plus');
    assert.deepEqual(parsed.request.size, IMAGE_SIZE_PRESETS.portrait_4_3);
    assert.deepEqual([parsed.request.n, parsed.request.seed, parsed.request.negativePrompt, parsed.request.outputFormat], [2, 9, 'blur', 'jpeg']);
    assert.equal(parsed.request.images.length, 2);
    assert.equal(parsed.request.promptExtend, false, "fal's endpoints rewrite no prompt unless asked");
    assert.equal(parsed.syncMode, true);
    assert.deepEqual(parsed.warnings, []);
    assert.equal(parsed.fields.image(1), 'image_urls[1]');
    assert.equal(parsed.fields.n, 'num_images');
  });

  it('maps every image_size preset to a size inside Qwen\'s range, in multiples of 16', () => {
    for (const [name, size] of Object.entries(IMAGE_SIZE_PRESETS)) {
      assert.ok(size.width % 16 === 0 && size.height % 16 === 0, name);
      assert.ok(size.width >= 512 && size.height >= 512 && size.width <= 2048 && size.height <= 2048, name);
    }
    assert.deepEqual(translateFal({ prompt: 'x', image_size: { width: 800, height: 600 } }, endpoint('qwen/qwen-image-2.0')).request.size, { width: 800, height: 600 });
  });

  it('names the inputs no engine uses in warnings instead of losing them', () => {
    const parsed = translateFal(
      { prompt: 'x', image_url: PNG, num_inference_steps: 30, guidance_scale: 4, acceleration: 'regular', enable_safety_checker: true, loras: [] },
      endpoint('fal-ai/qwen-image-edit'),
    );
    assert.equal(parsed.fields.image(0), 'image_url');
    assert.equal(parsed.warnings.length, 5);
    assert.ok(parsed.warnings.some((w) => w.startsWith('num_inference_steps has no equivalent')));
    assert.ok(parsed.warnings.some((w) => w.startsWith('enable_safety_checker was ignored')));
    assert.ok(parsed.warnings.some((w) => w.startsWith('loras is not an input of fal-ai/qwen-image-edit')));
    const sized = translateFal({ prompt: 'x', image_url: PNG, image_size: 'square' }, endpoint('fal-ai/qwen-image-edit'));
    assert.equal(sized.request.size, undefined);
    assert.match(sized.warnings[0]!, /image_size is not supported by qwen-image-edit/);
  });

  it('requires images on edit endpoints and ignores them (with a warning) on text-to-image ones', () => {
    assert.throws(() => translateFal({ prompt: 'x' }, endpoint('fal-ai/qwen-image-max/edit')), (error: AppError) => error.field === 'image_urls');
    const generated = translateFal({ prompt: 'x', image_urls: [PNG] }, endpoint('fal-ai/qwen-image-2/text-to-image'));
    assert.deepEqual(generated.request.images, []);
    assert.match(generated.warnings[0]!, /image_urls is not an input of fal-ai\/qwen-image-2\/text-to-image/);
    assert.equal(translateFal({ prompt: 'x' }, endpoint('qwen/qwen-image-2.0')).request.promptExtend, undefined, 'qwen/{model} keeps the model default');
  });

  it('refuses wrong types naming the field', () => {
    assert.throws(() => translateFal({ prompt: 'x', image_urls: [PNG], num_images: 'two' }, endpoint('fal-ai/qwen-image-edit-plus')), (error: AppError) => error.field === 'num_images');
    assert.throws(() => translateFal({ prompt: 'x', image_urls: [PNG], image_size: 'huge' }, endpoint('fal-ai/qwen-image-edit-plus')), (error: AppError) => error.field === 'image_size');
    assert.throws(() => translateFal({ prompt: 'x', image_urls: [PNG], output_format: 'gif' }, endpoint('fal-ai/qwen-image-edit-plus')), (error: AppError) => error.field === 'output_format');
    assert.throws(() => translateFal({ image_urls: [PNG] }, endpoint('fal-ai/qwen-image-edit-plus')), (error: AppError) => error.field === 'prompt');
  });

  it('reads x-fal-request-timeout and fal_max_queue_length', () => {
    assert.equal(parseStartTimeout(undefined), undefined);
    assert.equal(parseStartTimeout('2.5'), 2.5);
    assert.throws(() => parseStartTimeout('soon'), /x-fal-request-timeout/);
    assert.throws(() => parseStartTimeout('0'), /x-fal-request-timeout/);
    assert.equal(parseMaxQueueLength(null), undefined);
    assert.equal(parseMaxQueueLength('3'), 3);
    assert.throws(() => parseMaxQueueLength('-1'), /fal_max_queue_length/);
  });
});

describe('fal answers', () => {
  it('turns field paths into pydantic locations', () => {
    assert.deepEqual(locOf('image_urls[1]'), ['body', 'image_urls', 1]);
    assert.deepEqual(locOf('image_size.width'), ['body', 'image_size', 'width']);
    assert.deepEqual(locOf(undefined), ['body']);
  });

  it('renders model errors as 422 lists, request errors flat with x-fal-error-type', () => {
    const invalid = falError(new AppError('invalid_parameter', 'num_images: must be 1 to 6.', { field: 'num_images' }));
    assert.deepEqual([invalid.status, invalid.body], [422, { detail: [{ loc: ['body', 'num_images'], msg: 'num_images: must be 1 to 6.', type: 'value_error' }] }]);
    const limited = falError(new AppError('rate_limited', 'too many', { retryAfterSeconds: 2 }));
    assert.deepEqual([limited.status, limited.headers['x-fal-error-type'], limited.headers['retry-after']], [429, 'runner_scheduling_failure', '2']);
    const webhook = falError(new AppError('invalid_url', 'fal_webhook: loopback', { field: 'fal_webhook' }));
    assert.deepEqual([webhook.status, webhook.body], [400, { detail: 'fal_webhook: loopback', error_type: 'bad_request' }]);
    assert.equal(falError(new AppError('unauthorized', 'no key')).status, 401);
    assert.equal(falError(new AppError('content_blocked', 'flagged')).errorType, 'content_policy_violation');
  });

  it('reports why a task did not succeed: user start timeout, cancel, failure', () => {
    assert.equal(falTaskFailure(task(), false), null);
    const timedOut = falTaskFailure(task({ status: 'canceled' }), true)!;
    assert.deepEqual([timedOut.status, timedOut.headers['x-fal-request-timeout-type'], timedOut.errorType], [504, 'user', 'request_timeout']);
    const canceled = falTaskFailure(task({ status: 'canceled' }), false)!;
    assert.deepEqual([canceled.status, canceled.errorType], [499, 'client_cancelled']);
    const failed = falTaskFailure(task({ status: 'failed', error: { kind: 'engine_timeout', message: 'slow' } }), false)!;
    assert.deepEqual([failed.status, failed.errorType], [504, 'generation_timeout']);
  });

  it("answers a queue result GET of a task that ended in a gateway outage with a 500 the fal client does not retry, still marked resubmittable", () => {
    const outage = falTaskFailure(task({ status: 'failed', error: { kind: 'unavailable', message: "The gateway's object storage is unavailable right now; retry shortly." } }), false)!;
    assert.equal(outage.status, 503, 'a sync run answers 503: submitting again may succeed');
    const final = finalResultFailure(outage);
    assert.deepEqual([final.status, final.headers['x-fal-retryable'], final.body], [500, 'true', outage.body]);
    const timeout = falTaskFailure(task({ status: 'failed', error: { kind: 'engine_timeout', message: 'slow' } }), false)!;
    assert.equal(finalResultFailure(timeout).status, 504, "fal's own timeout status is kept");
    const invalid = falTaskFailure(task({ status: 'failed', error: { kind: 'invalid_image', message: 'bad' } }), false)!;
    assert.equal(finalResultFailure(invalid), invalid);
  });

  it('renders the result, the status and the webhook', () => {
    const body = resultBody(task(), ['https://x/files/a.png']);
    assert.deepEqual(body, {
      images: [{ url: 'https://x/files/a.png', width: 1024, height: 768, content_type: 'image/png', file_name: `${'a'.repeat(64)}.png`, file_size: 1234 }],
      seed: 42,
      prompt: 'p',
      has_nsfw_concepts: [false],
      timings: { inference: 2.5 },
    });
    const links = queueLinks('https://x/fal/fal-ai/qwen-image-edit-plus', 'task-1');
    assert.equal(links.response_url, 'https://x/fal/fal-ai/qwen-image-edit-plus/requests/task-1');
    assert.deepEqual(statusBody(task({ status: 'queued' }), links, { position: 3 }), { status: 'IN_QUEUE', ...links, queue_position: 3 });
    assert.deepEqual(statusBody(task(), links), { status: 'COMPLETED', ...links, metrics: { inference_time: 2.5 } });
    const lines = taskLogLines(task({ warnings: ['seed was clamped'] }), [{ at: 3_000, level: 'info', message: 'engine local chosen' }]);
    assert.deepEqual(lines.map((l) => [l.level, l.message]), [['WARN', 'seed was clamped'], ['INFO', 'engine local chosen']]);
    assert.equal(lines[1]!.timestamp, new Date(3_000).toISOString());
    assert.deepEqual(falWebhook(task({ status: 'failed', error: { kind: 'engine_failed', message: 'boom' } }), [], false), {
      request_id: 'task-1',
      gateway_request_id: 'task-1',
      status: 'ERROR',
      payload: { detail: [{ loc: ['body'], msg: 'boom', type: 'downstream_service_error' }] },
      error: 'boom',
    });
  });
});
