/** The local engine end to end on the newer edits: framing, several images, text, prompt_extend, the seeds. */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { asRaster, at, channelStats, flatPng, isRed, lumaOf, makeCall, meanLuma, picture, rejects, run } from './fixtures.js';

let landscape: Buffer;
let square: Buffer;
let red: Buffer;
let blue: Buffer;
before(async () => {
  landscape = await picture(320, 240);
  square = await picture(200, 200, 'jpeg');
  red = await flatPng(120, 120, '#e01010');
  blue = await flatPng(90, 180, '#1020e0');
});

describe('local engine: framing', () => {
  it('crops to a ratio: a default size takes its shape at about the same pixels, an asked size is covered', async () => {
    const framed = await run(makeCall({ images: [landscape], prompt: '裁剪为16:9', size: { width: 1024, height: 768 }, sizeSource: 'default' }));
    const image = framed.images[0]!;
    assert.equal(image.width % 16, 0);
    assert.equal(image.height % 16, 0);
    assert.ok(Math.abs(image.width / image.height - 16 / 9) < 0.03, `${image.width}×${image.height}`);
    assert.ok(Math.abs(image.width * image.height - 1024 * 768) < 1024 * 768 * 0.05);
    const asked = await run(makeCall({ images: [landscape], prompt: 'crop to 16:9', size: { width: 256, height: 192 } }));
    assert.deepEqual([asked.images[0]!.width, asked.images[0]!.height], [256, 192]);
  });

  it('upscales 2× with a default size (up to 2048 on the long side) and fills an asked size', async () => {
    const doubled = await run(makeCall({ images: [landscape], prompt: '放大并增强细节', size: { width: 320, height: 240 }, sizeSource: 'default' }));
    assert.deepEqual([doubled.images[0]!.width, doubled.images[0]!.height], [640, 480]);
    assert.ok(isRed(at(doubled.images[0]!, 10, 10)), 'the marked corner is still there');
    const capped = await run(makeCall({ images: [landscape], prompt: 'upscale 4x', size: { width: 1024, height: 768 }, sizeSource: 'default' }));
    assert.deepEqual([capped.images[0]!.width, capped.images[0]!.height], [2048, 1536]);
    const asked = await run(makeCall({ images: [landscape], prompt: 'upscale', size: { width: 400, height: 304 } }));
    assert.deepEqual([asked.images[0]!.width, asked.images[0]!.height], [400, 304]);
  });
});

describe('local engine: several images', () => {
  it('puts two images side by side: the width is the sum, each half shows its image', async () => {
    const result = await run(makeCall({ images: [red, blue], prompt: '把图1和图2左右拼接', size: { width: 320, height: 320 }, sizeSource: 'default' }));
    const image = result.images[0]!;
    // At the default height 320: the square red image is 320 wide, the 1:2 blue one 160.
    assert.deepEqual([image.width, image.height], [480, 320]);
    const left = channelStats(asRaster(image), { left: 0, top: 0, width: 320, height: 320 }).mean;
    const right = channelStats(asRaster(image), { left: 320, top: 0, width: 160, height: 320 }).mean;
    assert.ok(left[0] > 150 && left[2] < 80 && right[2] > 150 && right[0] < 80, `${left} | ${right}`);
  });

  it('stacks images and lays out a grid at an asked size', async () => {
    const stacked = await run(makeCall({ images: [red, blue], prompt: 'stack the two images vertically', size: { width: 200, height: 300 } }));
    assert.ok(isRed(at(stacked.images[0]!, 100, 70)));
    assert.ok(at(stacked.images[0]!, 100, 230)[2]! > 150);
    const grid = await run(makeCall({ images: [red, blue, red], prompt: 'images 1, 2 and 3 in a grid', size: { width: 400, height: 300 } }));
    const image = grid.images[0]!;
    assert.ok(isRed(at(image, 100, 75)) && at(image, 300, 75)[2]! > 150 && isRed(at(image, 200, 225)));
    assert.ok(lumaOf(at(image, 40, 225)) > 200, 'white beside the centred last row');
  });

  it('places image 2 in the bottom-right corner of image 1 and changes nothing else', async () => {
    const plain = await run(makeCall({ images: [landscape, red], prompt: 'sharpen', size: { width: 320, height: 240 } }));
    const placed = await run(makeCall({ images: [landscape, red], prompt: '把图2放在图1的右下角，然后锐化', size: { width: 320, height: 240 } }));
    const image = placed.images[0]!;
    assert.ok(isRed(at(image, 320 - 20, 240 - 20)));
    assert.ok(!isRed(at(image, 160, 120)) && isRed(at(image, 5, 5)) === isRed(at(plain.images[0]!, 5, 5)));
    const topLeft = { left: 0, top: 0, width: 160, height: 120 };
    assert.deepEqual(channelStats(asRaster(image), topLeft), channelStats(asRaster(plain.images[0]!), topLeft));
  });

  it('blends image 2 over image 1 at the named opacity', async () => {
    const result = await run(makeCall({ images: [red, blue], prompt: 'blend image 2 over image 1 at 25% opacity', size: { width: 64, height: 64 } }));
    const [r, , b] = channelStats(asRaster(result.images[0]!)).mean;
    assert.ok(Math.abs(r - (0xe0 * 0.75 + 0x10 * 0.25)) < 10 && Math.abs(b - (0x10 * 0.75 + 0xe0 * 0.25)) < 10, `${r} ${b}`);
  });

  it('turns image 1 and still places image 2 where the instruction says', async () => {
    const result = await run(makeCall({ images: [landscape, blue], prompt: 'rotate 90 degrees, then put image 2 in the top right corner', size: { width: 320, height: 240 }, sizeSource: 'default' }));
    const image = result.images[0]!;
    assert.deepEqual([image.width, image.height], [240, 320]);
    assert.ok(at(image, 240 - 15, 30)[2]! > 150, 'blue in the top-right corner');
  });
});

describe('local engine: text', () => {
  it('adds red text at the top and nothing below', async () => {
    const grey = await flatPng(400, 300, '#808080');
    const result = await run(makeCall({ images: [grey], prompt: 'add the text "SALE" at the top in red', size: { width: 400, height: 300 } }));
    const image = asRaster(result.images[0]!);
    let redTop = 0;
    let redBelow = 0;
    for (let y = 0; y < 300; y++) {
      for (let x = 0; x < 400; x++) {
        if (!isRed(at(result.images[0]!, x, y))) continue;
        if (y < 100) redTop++;
        else redBelow++;
      }
    }
    assert.ok(redTop > 300, `red pixels at the top: ${redTop}`);
    assert.equal(redBelow, 0);
    assert.ok(meanLuma(image, { left: 0, top: 200, width: 400, height: 100 }) > 120);
  });
});

describe('local engine: prompt_extend', () => {
  it('adds the preservation clauses in the prompt\'s language', async () => {
    const zh = await run(makeCall({ images: [landscape], prompt: '把图片变成黑白', promptExtend: true }));
    assert.equal(zh.actualPrompt, '黑白，保持构图和主体不变，光影保持一致');
    const en = await run(makeCall({ images: [landscape], prompt: 'rotate it 90 degrees', promptExtend: true }));
    assert.equal(en.actualPrompt, 'rotate 90° clockwise, keep the content unchanged');
    const multi = await run(makeCall({ images: [landscape, red], prompt: 'put image 2 in the bottom right corner', promptExtend: true }));
    assert.equal(multi.actualPrompt, "image 1: put image 2 in the bottom-right corner, keep both images' subjects unchanged, lighting and tone consistent, no visible seams");
  });

  it('without prompt_extend gives the plan as read, in the prompt\'s language', async () => {
    const result = await run(makeCall({ images: [landscape], prompt: 'make it black and white', promptExtend: false }));
    assert.equal(result.actualPrompt, 'black and white');
  });
});

describe('local engine: the seeds\' Chinese instructions', () => {
  it('honours the anime and style-transfer examples', async () => {
    const anime = await run(makeCall({ images: [landscape], prompt: '将这张图片转换为日系动漫风格,保持原有构图和色调', promptExtend: true }));
    assert.equal(anime.images.length, 1);
    assert.equal(anime.actualPrompt, '动漫卡通风格，保持构图和主体不变，光影保持一致');
    const style = await run(makeCall({ images: [landscape, red], prompt: '用图2的风格重新绘制图1的人物,保持人物特征不变' }));
    assert.ok(channelStats(asRaster(style.images[0]!)).mean[0] > channelStats(asRaster(style.images[0]!)).mean[2] * 1.5);
  });

  it('fails the ones a classical editor cannot do, saying why', async () => {
    await rejects(makeCall({ images: [landscape, square, square], prompt: '图1中的女生穿着图2中的黑色裙子按图3的姿势坐下' }), 'engine_rejected', /changing a pose and changing clothing need a generative model/);
    await rejects(makeCall({ images: [landscape], prompt: '将人物的表情改为微笑,保持其他特征不变' }), 'engine_rejected', /facial expression needs a generative model/);
    await rejects(
      makeCall({ images: [landscape], prompt: '生成一张符合深度图的图像,遵循以下描述:一辆红色的破旧的自行车停在一条泥泞的小路上,背景是茂密的原始森林' }),
      'engine_rejected',
      /"生成一张符合深度图的图像": generating new content needs a generative model\. What it can do: GET \/v1\/models \(builtInEngine\.vocabulary\) or docs\/local-engine\.md#vocabulary/,
    );
  });
});
