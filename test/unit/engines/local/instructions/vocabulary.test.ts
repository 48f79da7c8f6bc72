/** The instruction reader's newer vocabulary: art looks, framing, text placement and multi-image edits. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NamedColour } from '../../../../../src/engines/local/raster/colours.js';
import { parseInstruction } from '../../../../../src/engines/local/instructions/instructions.js';
import type { PlanOp } from '../../../../../src/engines/local/plan.js';

const RED: NamedColour = { name: 'red', rgb: [220, 30, 30] };
const BLACK: NamedColour = { name: 'black', rgb: [12, 12, 12] };
const WHITE: NamedColour = { name: 'white', rgb: [255, 255, 255] };

interface Case {
  prompt: string;
  images?: number;
  ops: PlanOp[];
  subject?: number;
}

const CASES: Case[] = [
  // One example per operation, English and Chinese
  { prompt: 'pixelate it', ops: [{ op: 'pixelate', strength: 'normal' }] },
  { prompt: '给图片打上马赛克', ops: [{ op: 'pixelate', strength: 'normal' }] },
  { prompt: 'heavy mosaic', ops: [{ op: 'pixelate', strength: 'strong' }] },
  { prompt: 'posterize it', ops: [{ op: 'posterise', strength: 'normal', levels: undefined }] },
  { prompt: 'posterise to 4 levels', ops: [{ op: 'posterise', strength: 'normal', levels: 4 }] },
  { prompt: '色调分离', ops: [{ op: 'posterise', strength: 'normal', levels: undefined }] },
  { prompt: 'turn it into an oil painting', ops: [{ op: 'oil', strength: 'normal' }] },
  { prompt: '油画效果', ops: [{ op: 'oil', strength: 'normal' }] },
  { prompt: 'oil painting, strong', ops: [{ op: 'oil', strength: 'strong' }] },
  { prompt: 'make it a pencil sketch', ops: [{ op: 'sketch', strength: 'normal' }] },
  { prompt: '变成素描', ops: [{ op: 'sketch', strength: 'normal' }] },
  { prompt: 'watercolor style', ops: [{ op: 'watercolour', strength: 'normal' }] },
  { prompt: '水彩画风格', ops: [{ op: 'watercolour', strength: 'normal' }] },
  { prompt: 'make it warmer', ops: [{ op: 'temperature', direction: 'warm', strength: 'normal' }] },
  { prompt: '暖色调', ops: [{ op: 'temperature', direction: 'warm', strength: 'normal' }] },
  { prompt: 'give it cool tones', ops: [{ op: 'temperature', direction: 'cool', strength: 'normal' }] },
  { prompt: '稍微偏冷一点', ops: [{ op: 'temperature', direction: 'cool', strength: 'light' }] },
  { prompt: 'add a vignette', ops: [{ op: 'vignette', strength: 'normal' }] },
  { prompt: '加暗角', ops: [{ op: 'vignette', strength: 'normal' }] },
  { prompt: 'add a thick red border', ops: [{ op: 'border', thickness: 'strong', pixels: undefined, colour: RED }] },
  { prompt: 'add a 20px black frame', ops: [{ op: 'border', thickness: 'normal', pixels: 20, colour: BLACK }] },
  { prompt: '加一个细白色边框', ops: [{ op: 'border', thickness: 'light', pixels: undefined, colour: WHITE }] },
  { prompt: '加个相框', ops: [{ op: 'border', thickness: 'normal', pixels: undefined, colour: undefined }] },
  { prompt: 'crop to 16:9', ops: [{ op: 'crop', ratio: { width: 16, height: 9 } }] },
  { prompt: '裁剪为16:9', ops: [{ op: 'crop', ratio: { width: 16, height: 9 } }] },
  { prompt: '裁成4比3', ops: [{ op: 'crop', ratio: { width: 4, height: 3 } }] },
  { prompt: 'crop it to a square', ops: [{ op: 'crop', ratio: { width: 1, height: 1 } }] },
  { prompt: 'upscale it', ops: [{ op: 'upscale', factor: undefined }] },
  { prompt: 'upscale 3x', ops: [{ op: 'upscale', factor: 3 }] },
  { prompt: '放大并增强细节', ops: [{ op: 'upscale', factor: undefined }] },
  { prompt: '放大两倍', ops: [{ op: 'upscale', factor: 2 }] },
  { prompt: 'add the text "SALE" at the top in red', ops: [{ op: 'text', text: 'SALE', position: 'top', colour: RED }] },
  { prompt: 'write "Hello" in the bottom left corner', ops: [{ op: 'text', text: 'Hello', position: 'bottom-left', colour: undefined }] },
  { prompt: '在右下角添加红色文字“Sale”', ops: [{ op: 'text', text: 'Sale', position: 'bottom-right', colour: RED }] },
  { prompt: '在左上角添加文字“你好 Qwen”', ops: [{ op: 'text', text: '你好 Qwen', position: 'top-left', colour: undefined }] },
  { prompt: '在顶部加上黑色文字“Hi”', ops: [{ op: 'text', text: 'Hi', position: 'top', colour: BLACK }] },
  { prompt: '在中间添加文字“OK”', ops: [{ op: 'text', text: 'OK', position: 'centre', colour: undefined }] },
  // Several operations
  { prompt: 'make it black and white and rotate it 90 degrees', ops: [{ op: 'grayscale' }, { op: 'rotate', angle: 90 }] },
  { prompt: '把图片变成黑白并顺时针旋转90度', ops: [{ op: 'grayscale' }, { op: 'rotate', angle: 90 }] },
  { prompt: 'crop to 4:3, add a vignette and a white border', ops: [{ op: 'crop', ratio: { width: 4, height: 3 } }, { op: 'vignette', strength: 'normal' }, { op: 'border', thickness: 'normal', pixels: undefined, colour: WHITE }] },
  { prompt: '油画风格，然后加暗角', ops: [{ op: 'oil', strength: 'normal' }, { op: 'vignette', strength: 'normal' }] },
  // Multi-image: collage, place, blend
  { prompt: 'put image 1 and image 2 side by side', images: 2, ops: [{ op: 'collage', layout: 'horizontal', images: [0, 1] }] },
  { prompt: '把图1和图2左右拼接', images: 2, ops: [{ op: 'collage', layout: 'horizontal', images: [0, 1] }] },
  { prompt: '把三张图上下拼接', images: 3, ops: [{ op: 'collage', layout: 'vertical', images: [0, 1, 2] }] },
  { prompt: 'stack images 2 and 1 vertically', images: 2, ops: [{ op: 'collage', layout: 'vertical', images: [1, 0] }], subject: 1 },
  { prompt: 'make a grid of the three images', images: 3, ops: [{ op: 'collage', layout: 'grid', images: [0, 1, 2] }] },
  { prompt: '图1、图2、图3拼成宫格', images: 3, ops: [{ op: 'collage', layout: 'grid', images: [0, 1, 2] }] },
  { prompt: 'put images 1 and 2 side by side, then make it black and white', images: 2, ops: [{ op: 'collage', layout: 'horizontal', images: [0, 1] }, { op: 'grayscale' }] },
  { prompt: '把图2放在图1的右下角', images: 2, ops: [{ op: 'place', source: 1, position: 'bottom-right', scale: undefined }], subject: 0 },
  { prompt: 'put image 2 in the top left corner of image 1 at 30%', images: 2, ops: [{ op: 'place', source: 1, position: 'top-left', scale: 0.3 }], subject: 0 },
  { prompt: '在图2的左上角放上图1', images: 2, ops: [{ op: 'place', source: 0, position: 'top-left', scale: undefined }], subject: 1 },
  { prompt: 'put image 1 in the centre of image 2, small', images: 2, ops: [{ op: 'place', source: 0, position: 'centre', scale: 0.2 }], subject: 1 },
  { prompt: 'put image 3 in the bottom right corner', images: 3, ops: [{ op: 'place', source: 2, position: 'bottom-right', scale: undefined }], subject: 0 },
  { prompt: 'blend image 2 over image 1 at 30% opacity', images: 2, ops: [{ op: 'blend', source: 1, opacity: 0.3 }], subject: 0 },
  { prompt: '融合图1和图2', images: 2, ops: [{ op: 'blend', source: 1, opacity: undefined }], subject: 0 },
  { prompt: '把图2以50%透明度叠加到图1上', images: 2, ops: [{ op: 'blend', source: 1, opacity: 0.5 }], subject: 0 },
  { prompt: 'blend image 1 into image 2', images: 2, ops: [{ op: 'blend', source: 0, opacity: undefined }], subject: 1 },
  { prompt: 'blend the three images', images: 3, ops: [{ op: 'blend', source: 1, opacity: 0.5 }, { op: 'blend', source: 2, opacity: 1 / 3 }], subject: 0 },
  { prompt: '把图2放在图1的右下角，然后变成黑白', images: 2, ops: [{ op: 'place', source: 1, position: 'bottom-right', scale: undefined }, { op: 'grayscale' }], subject: 0 },
];

describe('local vocabulary: one example per operation, multi-image references, several operations', () => {
  for (const c of CASES) {
    it(c.prompt, () => {
      const plan = parseInstruction(c.prompt, { imageCount: c.images ?? 1 });
      assert.deepEqual(plan.ops, c.ops);
      assert.deepEqual(plan.unrecognised, []);
      assert.deepEqual(plan.rejected, []);
      assert.equal(plan.subject, c.subject ?? 0);
    });
  }
});

describe('local vocabulary: what does not go together', () => {
  const REFUSED: Array<[string, number, RegExp]> = [
    ['put image 1 and image 2 side by side', 1, /image 2 is named but only 1/],
    ['put them side by side', 1, /only one was given/],
    ['put image 2 in the corner', 1, /needs two input images/],
    ['blend image 2 over image 1', 1, /needs two input images/],
    ['put image 4 in the corner of image 1', 3, /image 4 is named but only 3/],
    ['crop to 16:9 and put images 1 and 2 side by side', 2, /cropping cannot be combined with a collage/],
    ['put images 1 and 2 side by side, then put image 3 in the corner', 3, /placing an image cannot be combined with a collage/],
    ['put images 1 and 2 side by side, then make image 2 black and white', 2, /editing image 2 alone is not supported/],
    ['put images 1 and 2 side by side and put them in a grid', 2, /one collage per instruction/],
    ['make image 2 black and white, then put images 1 and 2 side by side', 2, /cannot follow edits of image 2 alone/],
    ['put image 1 in the corner of image 1', 2, /cannot be placed on itself/],
    ['add the text "𓀀𓁐" at the top', 1, /no shipped font .*has glyphs for 𓀀𓁐/u],
  ];
  for (const [prompt, images, reason] of REFUSED) {
    it(`refuses "${prompt}"`, () => {
      const plan = parseInstruction(prompt, { imageCount: images });
      assert.ok(plan.rejected.some((r) => reason.test(r.reason)), JSON.stringify(plan.rejected));
    });
  }

  it('applies an edit written before a collage to the whole collage when it names no image', () => {
    const plan = parseInstruction('make it black and white, then put images 1 and 2 side by side', { imageCount: 2 });
    assert.deepEqual(plan.ops, [{ op: 'grayscale' }, { op: 'collage', layout: 'horizontal', images: [0, 1] }]);
    assert.deepEqual(plan.rejected, []);
  });

  it('keeps the doable part of a multi-image instruction and names the rest', () => {
    const plan = parseInstruction('把图2放在图1的右下角，然后把图1的背景换成海滩', { imageCount: 2 });
    assert.deepEqual(plan.ops, [{ op: 'place', source: 1, position: 'bottom-right', scale: undefined }]);
    assert.match(plan.rejected[0]!.reason, /background/);
  });
});

describe('local vocabulary: every example in docs/local-engine.md is understood', () => {
  const EXAMPLES: Array<[string, number]> = [
    ['give it a vintage look', 1], ['make it 20% brighter', 1], ['降低饱和度', 1], ['cool tones', 1], ['增强细节', 1],
    ['水平翻转', 1], ['anime style', 1], ['make a grid of the three images', 3], ['stack the images vertically', 2],
    ['上下拼接', 2], ['拼成宫格', 3], ['put image 2 in the top left corner of image 1 at 30%', 2], ['add a 20px black frame', 1],
    ['in the style of image 2', 2], ['用图2的风格重新绘制图1', 2], ['rotate it 90° counter-clockwise', 1],
  ];
  for (const [prompt, images] of EXAMPLES) {
    it(prompt, () => {
      const plan = parseInstruction(prompt, { imageCount: images });
      assert.ok(plan.ops.length > 0);
      assert.deepEqual([plan.rejected, plan.unrecognised], [[], []]);
    });
  }
});
