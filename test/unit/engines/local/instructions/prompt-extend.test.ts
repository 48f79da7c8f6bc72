/** prompt_extend on the local engine: the rule-based rewriter, in English and Chinese. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { languageOf } from '../../../../../src/engines/local/instructions/describe.js';
import { parseInstruction } from '../../../../../src/engines/local/instructions/instructions.js';
import { actualPrompt } from '../../../../../src/engines/local/instructions/prompt-extend.js';

function rewrite(prompt: string, imageCount = 1, extend = true): string {
  const plan = parseInstruction(prompt, { imageCount });
  return actualPrompt(plan, { imageCount, language: languageOf(prompt), extend });
}

describe('local prompt_extend: English', () => {
  const CASES: Array<[string, number, string]> = [
    ['make it black and white', 1, 'black and white, keep the composition and subject unchanged, lighting and shadows remain consistent'],
    ['oil painting with a vignette', 1, 'oil painting; vignette, keep the composition and subject unchanged, lighting and shadows remain consistent'],
    ['rotate it 90 degrees and flip it vertically', 1, 'rotate 90° clockwise; flip vertically, keep the content unchanged'],
    ['crop to 16:9', 1, 'crop to 16:9, keep the content unchanged'],
    ['add the text "Summer Sale" at the top in red', 1, 'add the text "Summer Sale" at the top in red, keep the rest of the image unchanged, the text is clear and legible'],
    ['blend image 2 over image 1', 2, "image 1: blend image 2, keep both images' subjects unchanged, lighting and tone consistent, no visible seams"],
    ['put the three images side by side', 3, "images 1, 2 and 3 side by side, keep every image's subject unchanged, lighting and tone consistent, clean, straight joins"],
    ['make it black and white and rotate it 90 degrees', 1, 'black and white; rotate 90° clockwise, keep the content unchanged, lighting and shadows remain consistent'],
    ['make it sepia and add the text "1920" at the bottom', 1, 'sepia; add the text "1920" at the bottom, keep the composition and subject unchanged, lighting and shadows remain consistent, the text is clear and legible'],
  ];
  for (const [prompt, images, expected] of CASES) {
    it(prompt, () => assert.equal(rewrite(prompt, images), expected));
  }
});

describe('local prompt_extend: Chinese', () => {
  const CASES: Array<[string, number, string]> = [
    ['把图片变成黑白', 1, '黑白，保持构图和主体不变，光影保持一致'],
    ['暖色调', 1, '暖色调，保持构图和主体不变，光影保持一致'],
    ['顺时针旋转90度', 1, '顺时针旋转90度，保持内容不变'],
    ['裁剪为16:9', 1, '裁剪为16:9，保持内容不变'],
    ['在右下角添加红色文字“Sale”', 1, '在右下角添加红色文字“Sale”，保持画面其余部分不变，文字清晰可读'],
    ['把图2放在图1的右下角', 2, '图1：把图2放在右下角，保持两张图片的主体不变，光影和色调一致，没有明显接缝'],
    ['把图1和图2左右拼接', 2, '图1、图2左右拼接，保持两张图片的主体不变，光影和色调一致，拼接处整齐'],
    ['用图2的风格重新绘制图1的人物,保持人物特征不变', 2, '图1：采用图2的色彩，保持构图和主体不变，光影保持一致'],
  ];
  for (const [prompt, images, expected] of CASES) {
    it(prompt, () => assert.equal(rewrite(prompt, images), expected));
  }
});

describe('local prompt_extend: off, and the language', () => {
  it('without prompt_extend the actual prompt is the plan as read', () => {
    assert.equal(rewrite('make it black and white', 1, false), 'black and white');
    assert.equal(rewrite('把图片变成黑白并顺时针旋转90度', 1, false), '黑白；顺时针旋转90度');
  });

  it('follows the prompt, not its quoted text', () => {
    assert.equal(languageOf('把图片变成黑白'), 'zh');
    assert.equal(languageOf('make it black and white'), 'en');
    assert.equal(languageOf('add the text "你好世界" at the top'), 'en');
    assert.equal(languageOf('添加文字“Hello World Again”'), 'zh');
  });
});
