/** DashScope request parsing and response rendering, as pure functions. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../../../../src/domain/errors.js';
import { parseImageReference } from '../../../../src/domain/image-ref.js';
import { dashscopeError, formatTime, syncResponse, taskQueryResponse } from '../../../../src/dialects/dashscope/render.js';
import { parseMessagesBody, parsePromptBody } from '../../../../src/dialects/dashscope/wire.js';
import type { TaskRecord } from '../../../../src/domain/task.js';
import { seedBody } from '../../../helpers/seeds.js';

function fails(fn: () => unknown, field: string, pattern: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof AppError);
    assert.equal(error.field, field);
    assert.equal(error.status, 400);
    assert.match(error.message, pattern);
    return true;
  });
}

const body = (content: unknown[], parameters: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({
  model: 'qwen-image-edit-plus',
  input: { messages: [{ role: 'user', content }] },
  parameters,
  ...extra,
});

describe('DashScope messages body', () => {
  it('reads seed 000 as given', () => {
    const parsed = parseMessagesBody(seedBody('000_1147de8a07277233.txt'));
    assert.equal(parsed.request.model, 'qwen-image-edit-plus-2025-12-15');
    assert.equal(parsed.request.images.length, 3);
    assert.equal(parsed.request.prompt, '图1中的女生穿着图2中的黑色裙子按图3的姿势坐下');
    assert.equal(parsed.request.n, 2);
    assert.equal(parsed.request.size, '1024*2048');
    assert.equal(parsed.request.negativePrompt, '低质量');
    assert.equal(parsed.request.promptExtend, true);
    assert.equal(parsed.request.watermark, false);
    assert.deepEqual(parsed.warnings, []);
  });

  it('reads seed 003 (text only)', () => {
    const parsed = parseMessagesBody(seedBody('003_68f3b1401b88ee7b.txt'));
    assert.equal(parsed.request.model, 'qwen-image-2.0-pro');
    assert.equal(parsed.request.images.length, 0);
    assert.match(parsed.request.prompt, /three puppies/);
  });

  it('keeps image order and names each image by its content index', () => {
    const parsed = parseMessagesBody(body([{ text: 'x' }, { image: 'https://a.test/1.png' }, { image: 'https://a.test/2.png' }]));
    assert.deepEqual(parsed.request.images.map((i) => (i.kind === 'url' ? i.url : '')), ['https://a.test/1.png', 'https://a.test/2.png']);
    assert.equal(parsed.fields.image(1), 'input.messages[0].content[2].image');
  });

  it('decodes data URIs', () => {
    const parsed = parseMessagesBody(body([{ image: 'data:image/png;base64,iVBORw0KGgo=' }, { text: 'x' }]));
    const image = parsed.request.images[0];
    assert.equal(image?.kind, 'bytes');
    assert.equal(image?.kind === 'bytes' && image.bytes.subarray(1, 4).toString(), 'PNG');
  });

  it('names unknown parameters in warnings', () => {
    const parsed = parseMessagesBody(body([{ image: 'https://a.test/1.png' }, { text: 'x' }], { n: 1, style: 'vivid' }));
    assert.deepEqual(parsed.warnings, ['parameters.style is not a Qwen-Image parameter and was ignored.']);
  });

  it('refuses what DashScope refuses, naming the field', () => {
    const img = { image: 'https://a.test/1.png' };
    fails(() => parseMessagesBody({ input: { messages: [] } }), 'model', /required/);
    fails(() => parseMessagesBody({ model: 'qwen-image-edit-plus' }), 'input', /required/);
    fails(() => parseMessagesBody(body([img, { text: 'x' }], { n: '2' })), 'parameters.n', /integer/);
    fails(() => parseMessagesBody(body([img, { text: 'x' }], { n: 2.5 })), 'parameters.n', /integer/);
    fails(() => parseMessagesBody(body([img, { text: 'x' }], { watermark: 'yes' })), 'parameters.watermark', /true or false/);
    fails(() => parseMessagesBody(body([img, { text: 'x' }], { size: 1024 })), 'parameters.size', /string/);
    fails(() => parseMessagesBody(body([img])), 'input.messages[0].content', /exactly one \{"text": …\} instruction is required; no text/);
    fails(() => parseMessagesBody(body([img, { text: 'a' }, { text: 'b' }])), 'input.messages[0].content', /2 text items/);
    fails(() => parseMessagesBody(body([{ video: 'x' }, { text: 'a' }])), 'input.messages[0].content[0]', /must be \{"image"/);
    fails(() => parseMessagesBody(body([{ image: 42 }, { text: 'a' }])), 'input.messages[0].content[0].image', /must be a string/);
    fails(() => parseMessagesBody(body([{ image: 'ftp://x/y.png' }, { text: 'a' }])), 'input.messages[0].content[0].image', /http\(s\) URL or a data URI/);
    const twoMessages = { model: 'm', input: { messages: [{ role: 'user', content: [] }, { role: 'user', content: [] }] } };
    fails(() => parseMessagesBody(twoMessages), 'input.messages', /exactly one message/);
    const assistant = { model: 'm', input: { messages: [{ role: 'assistant', content: [{ text: 'x' }] }] } };
    fails(() => parseMessagesBody(assistant), 'input.messages[0].role', /must be "user"/);
  });
});

describe('DashScope prompt body (text2image)', () => {
  it('reads input.prompt and input.negative_prompt', () => {
    const parsed = parsePromptBody({ model: 'qwen-image-plus', input: { prompt: 'a cat', negative_prompt: 'blur' }, parameters: { size: '1328*1328' } });
    assert.equal(parsed.request.prompt, 'a cat');
    assert.equal(parsed.request.negativePrompt, 'blur');
    assert.equal(parsed.fields.prompt, 'input.prompt');
  });
  it('refuses a missing prompt', () => fails(() => parsePromptBody({ model: 'qwen-image', input: {} }), 'input.prompt', /required/));
});

describe('image references', () => {
  it('accepts http(s) URLs and data URIs; refuses the rest', () => {
    assert.equal(parseImageReference('https://x.test/a.png', 'f').kind, 'url');
    assert.equal(parseImageReference('data:image/png;base64,AAAA', 'f').kind, 'bytes');
    fails(() => parseImageReference('oss://bucket/a.png', 'f'), 'f', /oss:\/\//);
    fails(() => parseImageReference('data:image/png,rawtext', 'f'), 'f', /only base64/);
    fails(() => parseImageReference('data:image/png;base64,%%%%', 'f'), 'f', /not valid base64/);
    fails(() => parseImageReference('QUJDREVGR0hJSktMTU5PUA==', 'f'), 'f', /http\(s\) URL/);
    assert.equal(parseImageReference('QUJDREVGR0hJSktMTU5PUA==', 'f', { allowBareBase64: true }).kind, 'bytes');
  });
  it('refuses base64 data over 10 MB before decoding it', () => {
    const big = `data:image/png;base64,${'A'.repeat(14 * 1024 * 1024)}`;
    fails(() => parseImageReference(big, 'f'), 'f', /larger than 10 MB/);
  });
});

function task(overrides: Partial<TaskRecord>): TaskRecord {
  return {
    id: 't1', keyId: 'k', userId: 'usr_k', priceMultiplierPpm: 1_000_000, model: 'qwen-image-edit-plus', kind: 'edit', status: 'succeeded',
    spec: { prompt: 'p', negativePrompt: null, n: 2, size: { width: 1248, height: 832 }, sizeSource: 'default', seed: 1, promptExtend: true, watermark: false, outputFormat: 'png' },
    inputs: [], engine: 'local', operation: null, outputs: [], usage: { imageCount: 2, width: 1248, height: 832 },
    actualPrompt: 'p, extended', error: null, warnings: [], attempts: 1, cancelRequested: false, origin: 'dashscope',
    requestId: 'r', createdAt: Date.UTC(2025, 8, 9, 3, 38, 54, 741), startedAt: null, finishedAt: null, updatedAt: 0, leaseUntil: null, workerId: null,
    billing: { state: 'none', unitPriceMicros: 0, holdMicros: 0, chargedMicros: null },
    ...overrides,
  };
}

describe('DashScope responses', () => {
  it('renders the sync answer exactly as documented', () => {
    assert.deepEqual(syncResponse(task({}), ['u1', 'u2'], 'req', 'CNY'), {
      output: { choices: [{ finish_reason: 'stop', message: { role: 'assistant', content: [{ image: 'u1' }, { image: 'u2' }] } }] },
      usage: { width: 1248, height: 832, image_count: 2 },
      request_id: 'req',
    });
  });
  it("adds to usage what an image cost the key's group and, once settled, the amount charged", () => {
    const held = { state: 'held' as const, unitPriceMicros: 144_000, holdMicros: 288_000, chargedMicros: null };
    assert.deepEqual(syncResponse(task({ billing: held }), ['u1', 'u2'], 'req', 'CNY').usage, { width: 1248, height: 832, image_count: 2, unit_price: '0.144', currency: 'CNY' });
    const settled = { ...held, state: 'settled' as const, unitPriceMicros: 90_000, chargedMicros: 180_000 };
    assert.deepEqual(taskQueryResponse(task({ billing: settled }), ['u1', 'u2'], 'req', 'USD').usage, { image_count: 2, unit_price: '0.09', amount: '0.18', currency: 'USD' });
  });
  it('renders a failed task as HTTP-200 content with output.code and output.message', () => {
    const failed = taskQueryResponse(task({ status: 'failed', usage: null, error: { kind: 'invalid_image', message: 'bad' } }), [], 'req', 'CNY');
    assert.equal(failed.output.task_status, 'FAILED');
    assert.equal(failed.output.code, 'InvalidParameter');
    assert.equal(failed.output.message, 'bad');
    assert.deepEqual(failed.usage, { image_count: 0 });
  });
  it('keeps an upstream DashScope code', () => {
    assert.equal(dashscopeError({ kind: 'content_blocked', upstreamCode: 'DataInspectionFailed' }).code, 'DataInspectionFailed');
    assert.equal(dashscopeError({ kind: 'engine_failed', upstreamCode: 'not a code!' }).code, 'InternalError');
    assert.equal(dashscopeError({ kind: 'engine_unavailable', upstreamCode: 'InvalidApiKey' }).code, 'ModelUnavailable', 'our upstream key is not the client\'s');
  });
  it('formats task times as YYYY-MM-DD HH:mm:ss.SSS', () => {
    assert.match(formatTime(Date.now()) ?? '', /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}$/);
  });
});
