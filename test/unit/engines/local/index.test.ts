/** The built-in CPU engine end to end: plans, sizes, variants, seeds, cancellation, text-to-image. */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import sharp from 'sharp';
import { AppError } from '../../../../src/domain/errors.js';
import type { EngineCall } from '../../../../src/engines/engine.js';
import { capText, titleOf } from '../../../../src/engines/local/generate.js';
import { createLocalEngine } from '../../../../src/engines/local/index.js';
import type { RawImage } from './fixtures.js';
import { at, engine, isRed, makeCall, picture, rejects, run } from './fixtures.js';
import { photoLike } from './photo-like.js';

let landscape: Buffer;
let square: Buffer;
/** Variants are told apart on a picture with detail (on flat colours some look the same and are dropped). */
let photo: Buffer;
before(async () => {
  landscape = await picture(320, 240);
  square = await picture(200, 200, 'jpeg');
  const { data, width, height } = photoLike(320, 240, 7);
  photo = await sharp(data, { raw: { width, height, channels: 3 } }).png().toBuffer();
});

describe('local engine: shape', () => {
  it('declares its capabilities', () => {
    assert.equal(engine.name, 'local');
    assert.equal(engine.type, 'local');
    assert.deepEqual(engine.capabilities, {
      models: '*',
      maxImagesPerCall: 6,
      watermark: false,
      negativePrompt: false,
      promptExtend: true,
      seed: true,
      cancelRunning: true,
    });
    assert.equal(createLocalEngine({ name: 'cpu' }).name, 'cpu');
  });

  it('has nothing to poll and cancels trivially', async () => {
    await assert.rejects(engine.poll(null, makeCall()), (e: unknown) => e instanceof AppError && e.kind === 'internal');
    await engine.cancel(null, makeCall());
  });
});

describe('local engine: edits', () => {
  it('returns raw images of exactly the call size, the plan as actual prompt in the prompt\'s language, and logs it', async () => {
    const call = makeCall({ images: [landscape], prompt: '把图片变成黑白并顺时针旋转90度', size: { width: 304, height: 400 } });
    const result = await run(call);
    const [image] = result.images;
    assert.equal(image!.width, 304);
    assert.equal(image!.height, 400);
    assert.equal(image!.channels, 3);
    assert.equal(result.actualPrompt, '黑白；顺时针旋转90度');
    assert.equal(result.warnings, undefined);
    assert.deepEqual(call.lines, ['local engine plan: black and white; rotate 90° clockwise']);
    const [r, g, b] = at(image!, 150, 200);
    assert.ok(r === g && g === b);
  });

  it('transposes a default size when the plan turns the picture sideways', async () => {
    const sideways = await run(makeCall({ images: [landscape], prompt: 'rotate 90 degrees', size: { width: 320, height: 240 }, sizeSource: 'default' }));
    assert.deepEqual([sideways.images[0]!.width, sideways.images[0]!.height], [240, 320]);
    // The whole picture survives: the marked top-left corner is now top-right.
    assert.ok(isRed(at(sideways.images[0]!, 240 - 5, 5)));
    const requested = await run(makeCall({ images: [landscape], prompt: 'rotate 90 degrees', size: { width: 320, height: 240 } }));
    assert.deepEqual([requested.images[0]!.width, requested.images[0]!.height], [320, 240]);
    const half = await run(makeCall({ images: [landscape], prompt: 'rotate 180 degrees', size: { width: 320, height: 240 }, sizeSource: 'default' }));
    assert.deepEqual([half.images[0]!.width, half.images[0]!.height], [320, 240]);
  });

  it('makes n variants that differ from each other, each seed reproducible', async () => {
    for (const prompt of ['make it black and white', 'add a border', 'add a vignette, strongly', 'pixelate heavily']) {
      const call = makeCall({ images: [photo], prompt, n: 3 });
      const first = await run(call);
      assert.equal(first.images.length, 3, prompt);
      const [a, b, c] = first.images.map((image) => image.data);
      assert.ok(!a!.equals(b!) && !b!.equals(c!) && !a!.equals(c!), prompt);
      const again = await run(makeCall({ images: [photo], prompt, n: 3 }));
      again.images.forEach((image, i) => assert.ok(image.data.equals(first.images[i]!.data), `${prompt} #${i}`));
    }
  });

  it('makes image i from seed + i alone, so it is the same whichever call makes it', async () => {
    for (const prompt of ['make it black and white', 'add a border', 'heavy mosaic', 'turn it into an oil painting']) {
      const together = await run(makeCall({ images: [photo], prompt, n: 3, seed: 40 }));
      const second = await run(makeCall({ images: [photo], prompt, n: 1, seed: 41 }));
      assert.ok(together.images.length >= 2, prompt);
      assert.ok(second.images[0]!.data.equals(together.images[1]!.data), `${prompt}: image 1`);
    }
  });

  it('makes one image of an edit with one result, and says so', async () => {
    const result = await run(makeCall({ images: [landscape], prompt: 'invert the colours', n: 2 }));
    assert.equal(result.images.length, 1);
    assert.deepEqual(result.warnings, ['asked for 2 images; this edit has one result, so 1 was made; only images made are billed']);
    const direct = await sharp(landscape).resize(256, 192, { fit: 'cover' }).negate().raw().toBuffer();
    assert.ok(result.images[0]!.data.equals(direct));
  });

  it('transfers the colours of image 2 and warns about what it left out', async () => {
    const reddish = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#c04020' } }).png().toBuffer();
    const result = await run(makeCall({ images: [landscape, reddish], prompt: '用图2的风格重新绘制图1的人物,保持人物特征不变。xyzzy' }));
    assert.equal(result.actualPrompt, '图1：采用图2的色彩');
    assert.deepEqual(result.warnings, ['not understood by the local engine: "xyzzy"']);
    const image = result.images[0]!;
    let red = 0;
    let blue = 0;
    for (let i = 0; i < image.data.length; i += 3) {
      red += image.data[i]!;
      blue += image.data[i + 2]!;
    }
    assert.ok(red > blue * 1.5);
  });

  it('keeps meaningful transparency and drops an opaque alpha channel', async () => {
    const transparent = await sharp({ create: { width: 100, height: 100, channels: 4, background: { r: 200, g: 50, b: 50, alpha: 0.5 } } }).png().toBuffer();
    const opaque = await sharp({ create: { width: 100, height: 100, channels: 4, background: { r: 200, g: 50, b: 50, alpha: 1 } } }).png().toBuffer();
    const withAlpha = await run(makeCall({ images: [transparent], prompt: 'invert', size: { width: 64, height: 64 } }));
    assert.equal(withAlpha.images[0]!.channels, 4);
    assert.ok(Math.abs(at(withAlpha.images[0]!, 10, 10)[3]! - 128) <= 1);
    const without = await run(makeCall({ images: [opaque], prompt: 'invert', size: { width: 64, height: 64 } }));
    assert.equal(without.images[0]!.channels, 3);
  });

  it('runs every operation on a picture with transparency', async () => {
    const half = await sharp({ create: { width: 120, height: 90, channels: 4, background: { r: 30, g: 160, b: 90, alpha: 0.4 } } }).png().toBuffer();
    const prompt = 'anime style, sharpen, sepia, blur, brighter, more contrast, more vivid, invert, black and white, flip, rotate 90 degrees, add the text "Hi", in the style of image 2';
    const result = await run(makeCall({ images: [half, landscape], prompt, size: { width: 96, height: 64 } }));
    assert.deepEqual(result.warnings, undefined);
    for (const image of result.images) {
      assert.deepEqual([image.width, image.height, image.channels], [96, 64, 4]);
      assert.equal(image.data.length, 96 * 64 * 4);
    }
  });

  it('applies EXIF orientation before editing', async () => {
    // Orientation 6: the stored pixels are displayed turned 90° clockwise.
    const stored = await sharp(await picture(160, 120)).withMetadata({ orientation: 6 }).jpeg().toBuffer();
    const result = await run(makeCall({ images: [stored], prompt: 'sharpen', size: { width: 120, height: 160 } }));
    assert.ok(isRed(at(result.images[0]!, 120 - 6, 6)));
  });
});

describe('local engine: refusals and cancellation', () => {
  it('rejects an instruction with nothing doable, naming the reason, where the vocabulary is, and how to connect Qwen-Image', async () => {
    await rejects(makeCall({ images: [landscape, square, square], prompt: '图1中的女生穿着图2中的黑色裙子按图3的姿势坐下' }), 'engine_rejected', /changing a pose.*docs\/local-engine\.md#vocabulary.*DASHSCOPE_API_KEY=/);
    await rejects(makeCall({ images: [landscape], prompt: '将人物的表情改为微笑,保持其他特征不变' }), 'engine_rejected', /facial expression/);
    await rejects(makeCall({ images: [landscape], prompt: 'florp the wibble' }), 'engine_rejected', /"florp the wibble" was not understood\. What it can do: GET \/v1\/models \(builtInEngine\.vocabulary\) or docs\/local-engine\.md#vocabulary/);
    await rejects(makeCall({ images: [landscape], prompt: 'in the style of image 2' }), 'engine_rejected', /needs a second input image/);
  });

  it('warns, rather than fails, when other operations remain', async () => {
    const result = await run(makeCall({ images: [landscape], prompt: 'make it black and white, in the style of image 2' }));
    assert.equal(result.actualPrompt, 'black and white');
    assert.match(result.warnings?.[0] ?? '', /needs a second input image/);
  });

  it('stops between operations once the signal is aborted', async () => {
    const controller = new AbortController();
    const call = makeCall({ images: [landscape], prompt: 'blur, then rotate 90 degrees', signal: controller.signal, n: 3 });
    call.inputs[0]!.read = async () => {
      controller.abort();
      return landscape;
    };
    await rejects(call, 'canceled', /canceled/);
    const aborted = new AbortController();
    aborted.abort();
    await rejects(makeCall({ images: [landscape], signal: aborted.signal }), 'canceled', /canceled/);
  });

  it('reports an undecodable input as an invalid image', async () => {
    await rejects(makeCall({ images: [Buffer.from('not an image at all')] }), 'invalid_image', /image 1 could not be decoded/);
  });
});

describe('local engine: text-to-image placeholder', () => {
  const generate = (overrides: Partial<EngineCall> = {}): EngineCall =>
    makeCall({ kind: 'generate', model: 'qwen-image-plus', family: 'qwen-image-plus', size: { width: 416, height: 240 }, ...overrides });

  /** Pixels within a band of rows that differ clearly from the card's background (its top-left pixel). */
  function inked(image: RawImage, top: number, bottom: number): number {
    const background = at(image, 0, Math.max(0, top));
    let count = 0;
    for (let y = top; y < bottom; y++) {
      for (let x = 0; x < image.width; x++) {
        const pixel = at(image, x, y);
        if (Math.abs(pixel[0]! - background[0]!) + Math.abs(pixel[1]! - background[1]!) + Math.abs(pixel[2]! - background[2]!) > 90) count++;
      }
    }
    return count;
  }

  function meanAbsDifference(a: RawImage, b: RawImage): number {
    let sum = 0;
    for (let i = 0; i < a.data.length; i++) sum += Math.abs(a.data[i]! - b.data[i]!);
    return sum / a.data.length;
  }

  it('sets the prompt as a typographic card of the requested size, and says it is a placeholder', async () => {
    const result = await run(generate({ prompt: 'a red and orange poster with the title "Summer Sale"', n: 3, size: { width: 416, height: 240 } }));
    assert.equal(result.images.length, 3);
    for (const image of result.images) {
      assert.deepEqual([image.width, image.height, image.channels], [416, 240, 3]);
      // The title and the prompt in the upper four fifths, the label in the bottom sixth.
      assert.ok(inked(image, 0, 190) > 2000, `text: ${inked(image, 0, 190)}`);
      assert.ok(inked(image, 200, 240) > 100, `label: ${inked(image, 200, 240)}`);
    }
    assert.equal(result.actualPrompt, 'typographic placeholder card, not a generated image (title "Summer Sale"; colours: red, orange)');
    assert.match(result.warnings?.[0] ?? '', /placeholder.*typographic card of the prompt, not a generated image.*not Qwen-Image.*upstream engine/);
    assert.equal(result.warnings?.length, 1);
    // Variants differ in theme and layout: clearly, not by noise (8 levels of 255 on average).
    const [a, b, c] = result.images;
    for (const [x, y] of [[a!, b!], [b!, c!], [a!, c!]] as const) assert.ok(meanAbsDifference(x, y) > 8, `mean difference ${meanAbsDifference(x, y).toFixed(1)}`);
  });

  it('finds the title in quotes or after "title"/标题', () => {
    assert.equal(titleOf('a poster with the title “Grand Opening” in gold'), 'Grand Opening');
    assert.equal(titleOf('「夏日」海报'), '夏日');
    assert.equal(titleOf('a blue poster titled Summer Sale on a beach'), 'Summer Sale');
    assert.equal(titleOf('海报，标题为夏日特惠，蓝色背景'), '夏日特惠');
    assert.equal(titleOf('a quiet morning by the lake'), undefined);
  });

  it('is byte-identical for the same seed and takes its colours from the prompt when it names none', async () => {
    const a = await run(generate({ prompt: 'a quiet morning', seed: 9 }));
    const b = await run(generate({ prompt: 'a quiet morning', seed: 9 }));
    assert.ok(a.images[0]!.data.equals(b.images[0]!.data));
    assert.equal(a.actualPrompt, "typographic placeholder card, not a generated image (colours from the prompt's hash)");
    const other = await run(generate({ prompt: 'a quiet morning', seed: 10 }));
    assert.ok(meanAbsDifference(a.images[0]!, other.images[0]!) > 8);
  });

  it('sets a Chinese title, and leaves out only the characters no shipped font has', async () => {
    const result = await run(generate({ prompt: '一张蓝色海报，标题为“新年快乐”' }));
    assert.equal(result.actualPrompt, 'typographic placeholder card, not a generated image (title "新年快乐"; colours: blue)');
    assert.equal(result.warnings?.length, 1);
    assert.ok(inked(result.images[0]!, 0, 190) > 1500);
    const odd = await run(generate({ prompt: 'a card saying "Hi 𓀀"' }));
    assert.equal(odd.actualPrompt, 'typographic placeholder card, not a generated image (title "Hi"; colours from the prompt\'s hash)');
    assert.match(odd.warnings?.[1] ?? '', /no shipped font can draw 𓀀; the card leaves those characters out/);
  });

  it('caps a long prompt', async () => {
    assert.equal(capText('a  b\n c', 10), 'a b c');
    const long = capText('word '.repeat(1000), 280);
    assert.equal([...long].length, 280);
    assert.ok(long.endsWith('…'));
    const result = await run(generate({ prompt: `一张海报 ${'很长的描述，'.repeat(600)}` }));
    assert.deepEqual([result.images[0]!.width, result.images[0]!.height], [416, 240]);
  });
});
