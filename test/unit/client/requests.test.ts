/** The client's request bodies: sizes, parameters, the sync route's messages and the async route's prompt. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BadRequestError } from '../../../src/client/errors.js';
import { imageList, messagesBody, parametersOf, promptBody, sizeText } from '../../../src/client/requests.js';

describe('sizeText', () => {
  it('writes every accepted form as DashScope\'s W*H', () => {
    assert.equal(sizeText(undefined), undefined);
    assert.equal(sizeText('1024*1536'), '1024*1536');
    assert.equal(sizeText('1024x1536'), '1024*1536');
    assert.equal(sizeText('1024X1536'), '1024*1536');
    assert.equal(sizeText(' 1024 × 1536 '), '1024*1536');
    assert.equal(sizeText({ width: 1664, height: 928 }), '1664*928');
  });
});

describe('parametersOf', () => {
  it('maps the camelCase options to DashScope\'s names and leaves out what is not given', () => {
    assert.deepEqual(parametersOf({}), {});
    assert.deepEqual(parametersOf({ n: 2, size: '1024x768', negativePrompt: 'blur', seed: 0, promptExtend: false, watermark: true }), {
      n: 2,
      size: '1024*768',
      negative_prompt: 'blur',
      seed: 0,
      prompt_extend: false,
      watermark: true,
    });
  });

  it('passes `extra` through, the named options winning over it', () => {
    assert.deepEqual(parametersOf({ n: 1, extra: { n: 9, style: '<auto>', strength: 0.4 } }), { n: 1, style: '<auto>', strength: 0.4 });
  });
});

describe('messagesBody', () => {
  it('puts the images first and the instruction last, as DashScope\'s examples do', () => {
    const body = messagesBody('qwen-image-edit-plus', ['https://a/1.png', 'data:image/png;base64,AAAA'], 'make it blue', { n: 2, size: { width: 1024, height: 1024 } });
    assert.deepEqual(body, {
      model: 'qwen-image-edit-plus',
      input: { messages: [{ role: 'user', content: [{ image: 'https://a/1.png' }, { image: 'data:image/png;base64,AAAA' }, { text: 'make it blue' }] }] },
      parameters: { n: 2, size: '1024*1024' },
    });
  });

  it('makes a text-to-image body with the text alone and empty parameters', () => {
    assert.deepEqual(messagesBody('qwen-image-plus', [], 'a cat', {}), {
      model: 'qwen-image-plus',
      input: { messages: [{ role: 'user', content: [{ text: 'a cat' }] }] },
      parameters: {},
    });
  });

  it('refuses an empty or missing prompt before anything is sent', () => {
    for (const prompt of ['', '   ', undefined as unknown as string]) {
      assert.throws(() => messagesBody('m', [], prompt, {}), (error) => error instanceof BadRequestError && error.code === 'InvalidParameter' && /^prompt: /.test(error.message));
    }
  });
});

describe('promptBody', () => {
  it('moves the negative prompt into input and keeps the rest in parameters', () => {
    assert.deepEqual(promptBody('qwen-image-plus', { prompt: 'a lake', negativePrompt: 'people', n: 1, size: '1328x1328', seed: 7, promptExtend: true, watermark: false }), {
      model: 'qwen-image-plus',
      input: { prompt: 'a lake', negative_prompt: 'people' },
      parameters: { n: 1, size: '1328*1328', seed: 7, prompt_extend: true, watermark: false },
    });
    assert.deepEqual(promptBody('qwen-image', { prompt: 'a lake' }), { model: 'qwen-image', input: { prompt: 'a lake' }, parameters: {} });
  });

  it('refuses an empty prompt', () => {
    assert.throws(() => promptBody('qwen-image', { prompt: ' ' }), BadRequestError);
  });
});

describe('imageList', () => {
  it('takes one image or a list, and refuses an empty list', () => {
    assert.deepEqual(imageList('https://a/1.png'), ['https://a/1.png']);
    assert.deepEqual(imageList(['a', 'b']), ['a', 'b']);
    assert.throws(() => imageList([]), (error) => error instanceof BadRequestError && /^images: /.test(error.message));
  });
});
