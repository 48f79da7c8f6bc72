/** The models' parameter rules, table-driven (protocols.md §1.2, seeds 000–004). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../../../src/domain/errors.js';
import { listModels } from '../../../src/domain/models.js';
import {
  DASHSCOPE_FIELD_NAMES,
  outputSizeFor,
  truncateChars,
  validateRequest,
  type GenerationRequest,
  type ImageRef,
} from '../../../src/domain/request.js';
import { areaSize, parseSizeText } from '../../../src/domain/size.js';

const IMG: ImageRef = { kind: 'url', url: 'https://example.test/a.png' };
const options = { fields: DASHSCOPE_FIELD_NAMES, randomSeed: () => 424242 };

function request(overrides: Partial<GenerationRequest>): GenerationRequest {
  return { model: 'qwen-image-edit-plus', prompt: '把图片变成黑白', images: [IMG], ...overrides };
}

function rejects(overrides: Partial<GenerationRequest>, field: string, pattern: RegExp): void {
  assert.throws(
    () => validateRequest(request(overrides), options),
    (error: unknown) => {
      assert.ok(error instanceof AppError, 'an AppError');
      assert.equal(error.field, field);
      assert.equal(error.status, 400);
      assert.match(error.message, pattern);
      assert.ok(error.message.startsWith(field), `message names the field: ${error.message}`);
      return true;
    },
  );
}

describe('model catalog', () => {
  it('knows every model of the seeds, with dated snapshots', () => {
    const ids = listModels().map((m) => m.id);
    for (const id of [
      'qwen-image-edit',
      'qwen-image-edit-plus',
      'qwen-image-edit-plus-2025-10-30',
      'qwen-image-edit-plus-2025-12-15',
      'qwen-image-edit-max',
      'qwen-image-edit-max-2026-01-16',
      'qwen-image',
      'qwen-image-plus',
      'qwen-image-max',
      'qwen-image-2.0',
      'qwen-image-2.0-pro',
      'qwen-image-2.0-pro-2026-03-03',
    ]) {
      assert.ok(ids.includes(id), `catalog has ${id}`);
    }
  });

  it('refuses an unknown model with DashScope\'s message', () => {
    assert.throws(
      () => validateRequest(request({ model: 'qwen-image-edit-ultra' }), options),
      (error: unknown) => error instanceof AppError && error.kind === 'model_not_found' && error.message === 'Model not exist.',
    );
  });
});

describe('n per model', () => {
  const cases: Array<[string, number, boolean, ImageRef[]]> = [
    ['qwen-image-edit-plus', 1, true, [IMG]],
    ['qwen-image-edit-plus', 6, true, [IMG]],
    ['qwen-image-edit-plus', 7, false, [IMG]],
    ['qwen-image-edit-plus', 0, false, [IMG]],
    ['qwen-image-edit-max', 6, true, [IMG]],
    ['qwen-image-edit', 1, true, [IMG]],
    ['qwen-image-edit', 2, false, [IMG]],
    ['qwen-image-2.0-pro', 6, true, []],
    ['qwen-image-2.0', 4, true, [IMG]],
    ['qwen-image', 2, false, []],
    ['qwen-image-plus', 2, false, []],
    ['qwen-image-max', 2, false, []],
    ['qwen-image-max', 1, true, []],
  ];
  for (const [model, n, ok, images] of cases) {
    it(`${model} n=${n} is ${ok ? 'accepted' : 'refused'}`, () => {
      if (ok) assert.equal(validateRequest(request({ model, n, images }), options).n, n);
      else rejects({ model, n, images }, 'parameters.n', /parameters\.n: must be/);
    });
  }
  it('refuses a fractional n', () => rejects({ n: 1.5 }, 'parameters.n', /integer/));
});

describe('images per model', () => {
  it('edit models take 1 to 3 images', () => {
    assert.equal(validateRequest(request({ images: [IMG, IMG, IMG] }), options).kind, 'edit');
    rejects({ images: [IMG, IMG, IMG, IMG] }, DASHSCOPE_FIELD_NAMES.images, /at most 3 input images; 4 given/);
    rejects({ images: [] }, DASHSCOPE_FIELD_NAMES.images, /needs 1 to 3 input images/);
  });
  it('generate-only models take none', () => {
    rejects({ model: 'qwen-image-plus', images: [IMG] }, DASHSCOPE_FIELD_NAMES.images, /takes no input image/);
  });
  it('2.0 models generate without images and edit with them', () => {
    assert.equal(validateRequest(request({ model: 'qwen-image-2.0-pro', images: [] }), options).kind, 'generate');
    assert.equal(validateRequest(request({ model: 'qwen-image-2.0-pro', images: [IMG] }), options).kind, 'edit');
  });
});

describe('size', () => {
  it('parses W*H and WxH', () => {
    assert.deepEqual(parseSizeText('1024*1536'), { width: 1024, height: 1536 });
    assert.deepEqual(parseSizeText('1024x1536'), { width: 1024, height: 1536 });
    assert.equal(parseSizeText('1024-1536'), undefined);
  });

  const cases: Array<[string, string, boolean, ([number, number] | undefined)?, ImageRef[]?]> = [
    ['qwen-image-edit-plus', '1024*1536', true, [1024, 1536]],
    ['qwen-image-edit-plus', '1000x1000', true, [1008, 1008]],
    ['qwen-image-edit-plus', '1030*517', true, [1024, 512]],
    ['qwen-image-edit-plus', '512*2048', true, [512, 2048]],
    ['qwen-image-edit-plus', '511*1024', false],
    ['qwen-image-edit-plus', '1024*2049', false],
    ['qwen-image-edit-max', '1536*1024', true, [1536, 1024]],
    ['qwen-image-edit', '1024*1024', false],
    ['qwen-image-2.0-pro', '2048*2048', true, [2048, 2048], []],
    ['qwen-image-2.0-pro', '2560*1440', true, [2560, 1440], []],
    ['qwen-image-2.0-pro', '2560*2048', false, undefined, []],
    ['qwen-image-2.0-pro', '500*500', false, undefined, []],
    ['qwen-image-max', '1664*928', true, [1664, 928], []],
    ['qwen-image-max', '1024*1024', true, [1024, 1024], []],
    ['qwen-image-plus', '1328*1328', true, [1328, 1328], []],
    ['qwen-image-plus', '1024*1024', false, undefined, []],
    ['qwen-image', '928*1664', true, [928, 1664], []],
  ];
  for (const [model, size, ok, expected, images] of cases) {
    it(`${model} size ${size} is ${ok ? 'accepted' : 'refused'}`, () => {
      const overrides = { model, size, images: images ?? [IMG] };
      if (ok) {
        const result = validateRequest(request(overrides), options);
        assert.deepEqual(result.size, { width: expected?.[0], height: expected?.[1] });
      } else {
        rejects(overrides, 'parameters.size', /not allowed for model/);
      }
    });
  }

  it('refuses malformed size text, naming the field', () => rejects({ size: '1024 by 1024' }, 'parameters.size', /width\*height/));
  it('treats "auto" as the default', () => assert.equal(validateRequest(request({ size: 'auto' }), options).size, null));

  it('defaults to the last image\'s aspect ratio at about 1 MP (a 3:2 input gives 1248×832)', () => {
    const validated = validateRequest(request({ images: [IMG, IMG] }), options);
    assert.deepEqual(outputSizeFor(validated, { width: 1500, height: 1000 }), { width: 1248, height: 832 });
    assert.deepEqual(outputSizeFor(validated, { width: 1000, height: 1000 }), { width: 1024, height: 1024 });
    assert.deepEqual(outputSizeFor(validated, { width: 900, height: 1600 }), { width: 768, height: 1360 });
  });

  it('default sizes are multiples of 16 and near 1 MP for many ratios', () => {
    for (let w = 400; w <= 3000; w += 137) {
      const size = areaSize({ width: w, height: 1000 }, 1024 * 1024);
      assert.equal(size.width % 16, 0);
      assert.equal(size.height % 16, 0);
      assert.ok(Math.abs(size.width * size.height - 1048576) / 1048576 < 0.06, `${w}: ${size.width}x${size.height}`);
    }
  });

  it('2.0 editing defaults to the last image\'s own resolution, within the pixel range', () => {
    const validated = validateRequest(request({ model: 'qwen-image-2.0-pro' }), options);
    assert.deepEqual(outputSizeFor(validated, { width: 1200, height: 800 }), { width: 1200, height: 800 });
    const big = outputSizeFor(validated, { width: 3000, height: 3000 });
    assert.ok(big.width * big.height <= 2048 * 2048);
    const small = outputSizeFor(validated, { width: 384, height: 384 });
    assert.ok(small.width * small.height >= 512 * 512);
  });

  it('text-to-image defaults per model', () => {
    const gen = (model: string) => outputSizeFor(validateRequest(request({ model, images: [] }), options), undefined);
    assert.deepEqual(gen('qwen-image-2.0-pro'), { width: 2048, height: 2048 });
    assert.deepEqual(gen('qwen-image-plus'), { width: 1664, height: 928 });
    assert.deepEqual(gen('qwen-image-max'), { width: 1664, height: 928 });
  });
});

describe('prompts', () => {
  it('truncates the prompt at 800 characters, counting CJK and emoji as one', () => {
    const long = '图'.repeat(801);
    const result = validateRequest(request({ prompt: long }), options);
    assert.equal(Array.from(result.prompt).length, 800);
    assert.match(result.warnings.join(), /truncated/);
    assert.equal(truncateChars('😀'.repeat(3), 2).text, '😀😀');
  });
  it('truncates the negative prompt at 500 characters', () => {
    const result = validateRequest(request({ negativePrompt: 'x'.repeat(600) }), options);
    assert.equal(result.negativePrompt?.length, 500);
    assert.match(result.warnings.join(), /parameters\.negative_prompt was longer than 500/);
  });
  it('refuses an empty prompt', () => rejects({ prompt: '   ' }, DASHSCOPE_FIELD_NAMES.prompt, /must not be empty/));
  it('drops an empty negative prompt', () => assert.equal(validateRequest(request({ negativePrompt: '' }), options).negativePrompt, null));
});

describe('seed, prompt_extend, watermark', () => {
  it('uses a random seed when absent and records it', () => assert.equal(validateRequest(request({}), options).seed, 424242));
  it('accepts 0 and 2147483647', () => {
    assert.equal(validateRequest(request({ seed: 0 }), options).seed, 0);
    assert.equal(validateRequest(request({ seed: 2147483647 }), options).seed, 2147483647);
  });
  it('refuses seeds out of range', () => {
    rejects({ seed: -1 }, 'parameters.seed', /0 to 2147483647/);
    rejects({ seed: 2147483648 }, 'parameters.seed', /0 to 2147483647/);
    rejects({ seed: 1.5 }, 'parameters.seed', /integer/);
  });
  it('prompt_extend defaults to true, watermark to false', () => {
    const result = validateRequest(request({}), options);
    assert.equal(result.promptExtend, true);
    assert.equal(result.watermark, false);
  });
  it('prompt_extend is off (with a warning when asked) for models without it', () => {
    const silent = validateRequest(request({ model: 'qwen-image-edit' }), options);
    assert.equal(silent.promptExtend, false);
    assert.equal(silent.warnings.length, 0);
    const asked = validateRequest(request({ model: 'qwen-image-edit', promptExtend: true }), options);
    assert.equal(asked.promptExtend, false);
    assert.match(asked.warnings.join(), /prompt_extend is not supported/);
  });
});
