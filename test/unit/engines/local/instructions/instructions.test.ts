/** The local engine's instruction reader: English and Chinese instructions → ordered plans. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { explainNothingDoable, parseInstruction, planWarnings } from '../../../../../src/engines/local/instructions/instructions.js';
import type { PlanOp } from '../../../../../src/engines/local/plan.js';

interface Case {
  prompt: string;
  images?: number;
  ops: PlanOp[];
  subject?: number;
  preserved?: number;
}

const BW: PlanOp = { op: 'grayscale' };
const CW: PlanOp = { op: 'rotate', angle: 90 };
const CCW: PlanOp = { op: 'rotate', angle: 270 };
const HALF: PlanOp = { op: 'rotate', angle: 180 };
const H: PlanOp = { op: 'flip', axis: 'horizontal' };
const V: PlanOp = { op: 'flip', axis: 'vertical' };

const CASES: Case[] = [
  // English, single operations
  { prompt: 'make it black and white', ops: [BW] },
  { prompt: 'Convert to grayscale', ops: [BW] },
  { prompt: 'give it a sepia, old photo look', ops: [{ op: 'sepia' }] },
  { prompt: 'invert the colours', ops: [{ op: 'invert' }] },
  { prompt: 'blur it slightly', ops: [{ op: 'blur', strength: 'light' }] },
  { prompt: 'heavy blur', ops: [{ op: 'blur', strength: 'strong' }] },
  { prompt: 'sharpen the photo', ops: [{ op: 'sharpen', strength: 'normal' }] },
  { prompt: 'deblur this picture', ops: [{ op: 'sharpen', strength: 'normal' }] },
  { prompt: 'make it a bit brighter', ops: [{ op: 'brightness', direction: 'up', strength: 'light', percent: undefined }] },
  { prompt: 'darken it by 30%', ops: [{ op: 'brightness', direction: 'down', strength: 'normal', percent: 30 }] },
  { prompt: 'increase the contrast', ops: [{ op: 'contrast', direction: 'up', strength: 'normal' }] },
  { prompt: 'make the colours more vibrant', ops: [{ op: 'saturation', direction: 'up', strength: 'normal' }] },
  { prompt: 'slightly desaturate', ops: [{ op: 'saturation', direction: 'down', strength: 'light' }] },
  { prompt: 'rotate 90 degrees', ops: [CW] },
  { prompt: 'rotate it 90° counter-clockwise', ops: [CCW] },
  { prompt: 'rotate left', ops: [CCW] },
  { prompt: 'rotate right', ops: [CW] },
  { prompt: 'rotate by 270 degrees', ops: [CCW] },
  { prompt: 'turn it upside down', ops: [HALF] },
  { prompt: 'mirror the image', ops: [H] },
  { prompt: 'flip it vertically', ops: [V] },
  { prompt: 'flip it upside down', ops: [V] },
  { prompt: 'turn it into an anime picture', ops: [{ op: 'cartoon' }] },
  { prompt: 'cartoon style please', ops: [{ op: 'cartoon' }] },
  { prompt: 'add the text "Summer Sale" at the bottom', ops: [{ op: 'text', text: 'Summer Sale', position: 'bottom', colour: undefined }] },
  { prompt: '加上文字“Hello, World”', ops: [{ op: 'text', text: 'Hello, World', position: 'bottom', colour: undefined }] },
  { prompt: 'give it a "vintage" look', ops: [{ op: 'sepia' }] },
  // English, several operations in order
  { prompt: 'make it black and white and rotate it 90 degrees', ops: [BW, CW] },
  { prompt: 'rotate left, then flip horizontally and vertically, slightly blur', ops: [CCW, H, V, { op: 'blur', strength: 'light' }] },
  { prompt: 'invert the colours; mirror it. Also sharpen', ops: [{ op: 'invert' }, H, { op: 'sharpen', strength: 'normal' }] },
  { prompt: 'make it vintage while keeping the composition', ops: [{ op: 'sepia' }], preserved: 1 },
  // Chinese, single and several
  { prompt: '把图片变成黑白', ops: [BW] },
  { prompt: '复古老照片效果', ops: [{ op: 'sepia' }] },
  { prompt: '反色', ops: [{ op: 'invert' }] },
  { prompt: '轻微模糊', ops: [{ op: 'blur', strength: 'light' }] },
  { prompt: '去模糊，让图片更清晰', ops: [{ op: 'sharpen', strength: 'normal' }] },
  { prompt: 'rotate 90 degrees, then rotate 90 degrees again', ops: [CW, CW] },
  { prompt: '调暗一点', ops: [{ op: 'brightness', direction: 'down', strength: 'light', percent: undefined }] },
  { prompt: '提高亮度20%', ops: [{ op: 'brightness', direction: 'up', strength: 'normal', percent: 20 }] },
  { prompt: '大幅降低对比度', ops: [{ op: 'contrast', direction: 'down', strength: 'strong' }] },
  { prompt: '让颜色更鲜艳', ops: [{ op: 'saturation', direction: 'up', strength: 'normal' }] },
  { prompt: '逆时针旋转90度', ops: [CCW] },
  { prompt: '旋转一百八十度', ops: [HALF] },
  { prompt: '水平翻转', ops: [H] },
  { prompt: '上下翻转', ops: [V] },
  { prompt: '镜像', ops: [H] },
  { prompt: '变成卡通漫画风格', ops: [{ op: 'cartoon' }] },
  { prompt: '把图片变成黑白并顺时针旋转90度', ops: [BW, CW] },
  { prompt: '先左右翻转，然后逆时针旋转90度，再提亮', ops: [H, CCW, { op: 'brightness', direction: 'up', strength: 'normal', percent: undefined }] },
  { prompt: '黑白旋转180度', ops: [BW, HALF] },
  // The seeds' examples
  { prompt: '将这张图片转换为日系动漫风格,保持原有构图和色调', ops: [{ op: 'cartoon' }], preserved: 1 },
  { prompt: '用图2的风格重新绘制图1的人物,保持人物特征不变', images: 2, ops: [{ op: 'style', source: 1 }], subject: 0, preserved: 1 },
  // Image references
  { prompt: 'apply the colours of image 2 to image 1 and sharpen it', images: 2, ops: [{ op: 'style', source: 1 }, { op: 'sharpen', strength: 'normal' }] },
  { prompt: 'in the style of the second image', images: 2, ops: [{ op: 'style', source: 1 }] },
  { prompt: '图2的风格', images: 3, ops: [{ op: 'style', source: 1 }] },
  { prompt: 'style transfer', images: 2, ops: [{ op: 'style', source: 1 }] },
  { prompt: '参考第三张图的色调处理图1', images: 3, ops: [{ op: 'style', source: 2 }], subject: 0 },
  { prompt: 'make image 2 sepia', images: 2, ops: [{ op: 'sepia' }], subject: 1 },
  { prompt: '用图1的风格处理图2', images: 2, ops: [{ op: 'style', source: 0 }], subject: 1 },
  { prompt: 'rotate the second picture 90 degrees clockwise', images: 3, ops: [CW], subject: 1 },
];

describe('local instructions: operations and parameters in order', () => {
  for (const c of CASES) {
    it(c.prompt, () => {
      const plan = parseInstruction(c.prompt, { imageCount: c.images ?? 1 });
      assert.deepEqual(plan.ops, c.ops);
      assert.deepEqual(plan.unrecognised, []);
      assert.deepEqual(plan.rejected, []);
      assert.equal(plan.subject, c.subject ?? 0);
      assert.equal(plan.preserved.length, c.preserved ?? 0);
    });
  }
});

describe('local instructions: descriptions', () => {
  it('describes the plan in order', () => {
    assert.equal(parseInstruction('make it black and white and rotate it 90 degrees', { imageCount: 1 }).description, 'black and white; rotate 90° clockwise');
    assert.equal(parseInstruction('逆时针旋转90度，上下翻转', { imageCount: 1 }).description, 'rotate 90° counter-clockwise; flip vertically');
    assert.equal(parseInstruction('用图2的风格重新绘制图1', { imageCount: 2 }).description, 'image 1: colours of image 2');
  });

  it('quotes preserved clauses as written', () => {
    const plan = parseInstruction('将这张图片转换为日系动漫风格,保持原有构图和色调', { imageCount: 1 });
    assert.deepEqual(plan.preserved, ['保持原有构图和色调']);
  });
});

describe('local instructions: what cannot be done', () => {
  it('names clothing and pose for the try-on seed', () => {
    const plan = parseInstruction('图1中的女生穿着图2中的黑色裙子按图3的姿势坐下', { imageCount: 3 });
    assert.deepEqual(plan.ops, []);
    assert.equal(plan.rejected.length, 1);
    const reason = plan.rejected[0]!.reason;
    assert.match(reason, /changing a pose/);
    assert.match(reason, /changing clothing/);
    assert.match(reason, /generative model; route this model to an upstream engine/);
    assert.match(explainNothingDoable(plan), /图1中的女生穿着图2中的黑色裙子按图3的姿势坐下/);
  });

  it('names the expression for the smile seed and keeps the preservation as a no-op', () => {
    const plan = parseInstruction('将人物的表情改为微笑,保持其他特征不变', { imageCount: 1 });
    assert.deepEqual(plan.ops, []);
    assert.deepEqual(plan.preserved, ['保持其他特征不变']);
    assert.equal(plan.rejected[0]!.clause, '将人物的表情改为微笑');
    assert.match(plan.rejected[0]!.reason, /changing a facial expression needs a generative model/);
  });

  const IMPOSSIBLE: Array<[string, RegExp]> = [
    ['make her smile', /facial expression/],
    ['change the pose so he is sitting', /pose/],
    ['put a red dress on her', /clothing/],
    ['把背景换成海滩', /background/],
    ['make the background black and white', /background/],
    ['give him a beard', /appearance/],
    ['remove the watermark', /text that is already in the picture/],
    ['add a cat next to the dog', /adding things/],
    ['erase the car', /removing things/],
    ['generate a scene with mountains', /generating new content/],
    ['convert to ink wash painting style', /art style/],
    ['把它变成水墨画风格', /art style/],
    ['添加文字', /put the words in quotes/],
    ['给黑白照片上色', /colourising/],
    ['restore this old photo', /restoring/],
    ['crop it', /name the aspect ratio/],
    ['crop to 9:1', /between 1:4 and 4:1/],
    ['zoom in a bit', /size parameter/],
    ['给人脸打马赛克', /finding a face/],
    ['upscale 8x', /at most 4/],
    ["将图片中的文字'Hello'改为'World'", /text that is already in the picture/],
  ];
  for (const [prompt, reason] of IMPOSSIBLE) {
    it(`rejects "${prompt}"`, () => {
      const plan = parseInstruction(prompt, { imageCount: 1 });
      assert.deepEqual(plan.ops, []);
      assert.match(plan.rejected[0]?.reason ?? '', reason);
    });
  }

  it('keeps the doable part and warns about the rest', () => {
    const plan = parseInstruction('make it black and white, make her smile and xyzzy', { imageCount: 1 });
    assert.deepEqual(plan.ops, [BW]);
    assert.deepEqual(plan.unrecognised, ['xyzzy']);
    const warnings = planWarnings(plan);
    assert.ok(warnings.includes('not understood by the local engine: "xyzzy"'));
    assert.ok(warnings.some((w) => w.startsWith('"make her smile": changing a facial expression')));
  });

  it('does not let a keep-list swallow a new request after a comma', () => {
    const plan = parseInstruction('保持人物不变，将背景改为雪山', { imageCount: 1 });
    assert.deepEqual(plan.preserved, ['保持人物不变']);
    assert.match(plan.rejected[0]!.reason, /background/);
    assert.deepEqual(parseInstruction('keep the pose and the dress, rotate it left', { imageCount: 1 }).ops, [CCW]);
  });

  it('rejects gibberish in one short message: what, where the vocabulary is, and the line that connects Qwen-Image', () => {
    const plan = parseInstruction('florp the wibble', { imageCount: 1 });
    assert.deepEqual(plan.ops, []);
    assert.deepEqual(plan.unrecognised, ['florp the wibble']);
    const message = explainNothingDoable(plan);
    assert.match(message, /^The built-in CPU engine cannot do this edit: "florp the wibble" was not understood\./);
    assert.match(message, /docs\/local-engine\.md#vocabulary/);
    assert.match(message, /DASHSCOPE_API_KEY=/);
    assert.ok(!message.includes('黑白') && !message.includes('rotate'), 'the vocabulary itself is not listed');
  });

  it('keeps every refusal under 300 characters, naming only the first reason', () => {
    const long = `${'make her smile and give him a beard, '.repeat(20)}and turn it into a ${'very '.repeat(100)}nice ink wash painting`;
    const prompts = ['图1中的女生穿着图2中的黑色裙子按图3的姿势坐下', 'convert to ink wash painting style', 'zoom in a bit', '添加文字', long, '', 'keep everything unchanged'];
    for (const prompt of prompts) {
      const plan = parseInstruction(prompt, { imageCount: 3 });
      const message = explainNothingDoable(plan);
      assert.ok(message.length <= 300, `${message.length}: ${message}`);
      assert.match(message, /What it can do: GET \/v1\/models \(builtInEngine\.vocabulary\) or docs\/local-engine\.md#vocabulary; for Qwen-Image set DASHSCOPE_API_KEY=sk-… on the server\.$/);
      const first = plan.rejected[0];
      if (first) assert.ok(message.includes(first.reason.split(/[;(]/)[0]!.trim().slice(0, 30)), `${first.reason} in ${message}`);
    }
    const tryOn = explainNothingDoable(parseInstruction('make her smile and give him a beard', { imageCount: 1 }));
    assert.match(tryOn, /facial expression/);
    assert.doesNotMatch(tryOn, /appearance/, 'the second reason is left to the docs');
  });

  it('says a style transfer needs a second image', () => {
    const plan = parseInstruction('in the style of image 2', { imageCount: 1 });
    assert.deepEqual(plan.ops, []);
    assert.match(plan.rejected[0]!.reason, /needs a second input image/);
  });

  it('refuses images that were not given, and a second subject', () => {
    assert.match(parseInstruction('把图3变成黑白', { imageCount: 2 }).rejected[0]!.reason, /image 3 is named but only 2/);
    const plan = parseInstruction('make image 1 black and white and rotate image 2', { imageCount: 2 });
    assert.deepEqual(plan.ops, [BW]);
    assert.match(plan.rejected[0]!.reason, /one image per output/);
  });

  it('refuses rotations that are not quarter turns', () => {
    assert.match(parseInstruction('rotate 45 degrees', { imageCount: 1 }).rejected[0]!.reason, /multiples of 90°/);
  });

  it('draws Chinese, Japanese and Korean text, and refuses text no shipped font can draw', () => {
    assert.deepEqual(parseInstruction('添加文字“新年快乐”', { imageCount: 1 }).ops, [{ op: 'text', text: '新年快乐', position: 'bottom', colour: undefined }]);
    assert.deepEqual(parseInstruction('add the text "こんにちは 안녕" at the top', { imageCount: 1 }).ops, [{ op: 'text', text: 'こんにちは 안녕', position: 'top', colour: undefined }]);
    // The text keeps its full-width punctuation (the rest of the instruction is read after NFKC).
    assert.deepEqual(parseInstruction('在底部添加文字“新年快乐，万事如意！”', { imageCount: 1 }).ops, [{ op: 'text', text: '新年快乐，万事如意！', position: 'bottom', colour: undefined }]);
    assert.deepEqual(parseInstruction('add the text ＂ＳＡＬＥ＂ at the top', { imageCount: 1 }).ops, [{ op: 'text', text: 'SALE', position: 'top', colour: undefined }]);
    assert.match(parseInstruction('添加文字“新年𓀀”', { imageCount: 1 }).rejected[0]!.reason, /no shipped font .*has glyphs for 𓀀;/u);
  });

  it('treats an instruction that only keeps things as nothing to do', () => {
    const plan = parseInstruction('keep everything unchanged', { imageCount: 1 });
    assert.deepEqual(plan.ops, []);
    assert.match(explainNothingDoable(plan), /only asks to keep things/);
  });
});
