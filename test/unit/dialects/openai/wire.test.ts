/** OpenAI request translation and error rendering, as pure functions. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError, ERROR_KINDS, type ErrorKind } from '../../../../src/domain/errors.js';
import { openAiError } from '../../../../src/dialects/openai/render.js';
import { coerceMultipartFields, jsonEditImages, translateOpenAi } from '../../../../src/dialects/openai/wire.js';
import { nebulaError } from '../../../../src/dialects/nebula/render.js';
import { isNebulaBody, parseNebulaBody } from '../../../../src/dialects/nebula/wire.js';

const options = { defaultModel: 'qwen-image-2.0-pro', images: [], imageField: (i: number) => `image[${i}]` };

describe('OpenAI request translation', () => {
  it('maps the OpenAI fields and the Qwen parameters, top-level or nested', () => {
    const parsed = translateOpenAi(
      { prompt: 'p', n: 2, size: '1024x768', response_format: 'b64_json', output_format: 'webp', output_compression: 80, negative_prompt: 'blur', parameters: { seed: 5, prompt_extend: false } },
      options,
    );
    assert.equal(parsed.request.model, 'qwen-image-2.0-pro');
    assert.equal(parsed.request.n, 2);
    assert.equal(parsed.request.size, '1024x768');
    assert.equal(parsed.request.negativePrompt, 'blur');
    assert.equal(parsed.request.seed, 5);
    assert.equal(parsed.request.promptExtend, false);
    assert.equal(parsed.request.outputFormat, 'webp');
    assert.equal(parsed.request.outputQuality, 80);
    assert.equal(parsed.fields.seed, 'parameters.seed');
    assert.equal(parsed.fields.negativePrompt, 'negative_prompt');
    assert.equal(parsed.responseFormat, 'b64_json');
    assert.deepEqual(parsed.ignored, []);
  });

  it('names fields without Qwen meaning, unknown ones, and output_compression with png', () => {
    const parsed = translateOpenAi({ prompt: 'p', quality: 'high', background: 'transparent', moderation: 'low', output_compression: 50, foo: 1 }, options);
    assert.deepEqual(parsed.ignored.sort(), ['background', 'foo', 'moderation', 'output_compression', 'quality']);
  });

  it('serves OpenAI model names with the default model, and says which', () => {
    assert.equal(translateOpenAi({ prompt: 'p', model: 'gpt-image-1' }, options).aliasedFrom, 'gpt-image-1');
    assert.equal(translateOpenAi({ prompt: 'p', model: 'dall-e-2' }, options).request.model, 'qwen-image-2.0-pro');
    assert.equal(translateOpenAi({ prompt: 'p', model: 'qwen-image-max' }, options).aliasedFrom, null);
  });

  it('refuses wrong types and conflicting duplicates, naming the field', () => {
    const fails = (body: unknown, field: string) =>
      assert.throws(() => translateOpenAi(body, options), (e: unknown) => e instanceof AppError && e.field === field && e.status === 400);
    fails({ prompt: 'p', n: '2' }, 'n');
    fails({ prompt: 'p', response_format: 'png' }, 'response_format');
    fails({ prompt: 'p', output_format: 'gif' }, 'output_format');
    fails({ prompt: 'p', seed: 1, parameters: { seed: 2 } }, 'seed');
    fails({ n: 1 }, 'prompt');
    fails({ prompt: 'p', parameters: { watermark: 'yes' } }, 'parameters.watermark');
  });

  it('reads multipart strings back into numbers and booleans', () => {
    assert.deepEqual(coerceMultipartFields({ n: '2', seed: '10', watermark: 'true', stream: '0', prompt: '12', size: '1024x1024', n2: 'x' }), {
      n: 2, seed: 10, watermark: true, stream: false, prompt: '12', size: '1024x1024', n2: 'x',
    });
    assert.deepEqual(coerceMultipartFields({ n: 'two' }), { n: 'two' });
  });

  it('reads JSON edit images as strings or {image_url}', () => {
    assert.deepEqual(jsonEditImages({ image: 'u1', images: [{ image_url: 'u2' }, 'u3'] }).map((i) => [i.value, i.field]), [
      ['u1', 'image'],
      ['u2', 'images[0].image_url'],
      ['u3', 'images[1]'],
    ]);
    assert.throws(() => jsonEditImages({ images: [42] }), /images\[0\]/);
  });
});

describe('error shapes', () => {
  it('renders every kind as an OpenAI error with a retry hint', () => {
    for (const kind of Object.keys(ERROR_KINDS) as ErrorKind[]) {
      const { status, headers, body } = openAiError(new AppError(kind, 'm', { field: 'f' }));
      assert.ok(status >= 400 && status < 600, kind);
      assert.ok(headers['x-should-retry'] === 'true' || headers['x-should-retry'] === 'false');
      assert.deepEqual(Object.keys(body.error), ['message', 'type', 'param', 'code']);
    }
    assert.equal(openAiError(new AppError('insufficient_balance', 'm')).status, 429);
    assert.equal(openAiError(new AppError('insufficient_balance', 'm')).body.error.code, 'insufficient_quota');
    assert.equal(openAiError(new AppError('rate_limited', 'm', { retryAfterSeconds: 3 })).headers['retry-after'], '3');
    assert.equal(openAiError(new AppError('timeout', 'm')).headers['x-should-retry'], 'false');
    // A 409 while the same Idempotency-Key is still being accepted: retry after a second.
    assert.equal(openAiError(new AppError('conflict', 'm', { retryAfterSeconds: 1 })).headers['x-should-retry'], 'true');
    assert.equal(openAiError(new AppError('conflict', 'm')).headers['x-should-retry'], 'false');
  });

  it('renders every kind as a nebula envelope with one of its five codes', () => {
    for (const kind of Object.keys(ERROR_KINDS) as ErrorKind[]) {
      const { status, body } = nebulaError(new AppError(kind, 'm'));
      assert.ok([400, 401, 403, 429, 500].includes(status), kind);
      assert.equal(body.code, status);
      assert.equal(body.data, null);
    }
    assert.equal(nebulaError(new AppError('insufficient_balance', 'x')).status, 403);
  });
});

describe('nebula body', () => {
  it('detects it and reads parts in order, the text last', () => {
    const body = { model: 'qwen-image-edit-plus', prompt: 'ignored when a text part is given', parameters: { n: 2 }, contents: [{ role: 'user', parts: [{ image: 'https://a.test/1.png' }, { text: 'make it sepia' }] }] };
    assert.ok(isNebulaBody(body));
    const parsed = parseNebulaBody(body);
    assert.equal(parsed.request.prompt, 'make it sepia');
    assert.equal(parsed.request.images.length, 1);
    assert.equal(parsed.fields.image(0), 'contents[0].parts[0].image');
    assert.equal(parsed.fields.n, 'parameters.n');
  });
  it('falls back to prompt and refuses bad parts', () => {
    assert.equal(parseNebulaBody({ model: 'm', prompt: 'p', contents: [{ parts: [{ image: 'https://a.test/1.png' }] }] }).request.prompt, 'p');
    assert.throws(() => parseNebulaBody({ model: 'm', contents: [{ parts: [{ video: 'x' }] }] }), /contents\[0\]\.parts\[0\]/);
    assert.throws(() => parseNebulaBody({ model: 'm', contents: [{ parts: [{ image: 'https://a.test/1.png' }] }] }), /prompt: an instruction is required/);
  });
});
