/** The background operations through the local engine: read from the instruction, done, varied by seed, warned about. */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import sharp from 'sharp';
import { parseInstruction } from '../../../../../src/engines/local/instructions/instructions.js';
import type { Raster } from '../../../../../src/engines/local/raster/raster.js';
import { at, makeCall, run } from '../fixtures.js';
import { portraitScene, subjectScene } from './scenes.js';

const SIDE = 320;
const BODY = [Math.round(SIDE * 0.45), Math.round(SIDE * 0.55)] as const;
let plain: Buffer;
let busy: Buffer;
let scenery: Buffer;

const png = (raster: Raster): Promise<Buffer> => sharp(raster.data, { raw: { width: raster.width, height: raster.height, channels: raster.channels } }).png().toBuffer();

before(async () => {
  plain = await png(subjectScene('plain', SIDE, SIDE).raster);
  busy = await png(subjectScene('busy', SIDE, SIDE).raster);
  scenery = await sharp({ create: { width: 200, height: 300, channels: 3, background: '#2050c0' } }).png().toBuffer();
});

const size = { width: SIDE, height: SIDE };

describe('background instructions', () => {
  const cases: Array<[string, number, string]> = [
    ['remove the background', 1, 'removeBackground'],
    ['make the background transparent', 1, 'removeBackground'],
    ['抠图', 1, 'removeBackground'],
    ['去掉背景', 1, 'removeBackground'],
    ['white background', 1, 'colourBackground'],
    ['白底图', 1, 'colourBackground'],
    ['put it on a red background', 1, 'colourBackground'],
    ['背景换成蓝色', 1, 'colourBackground'],
    ['put image 1 on the background of image 2', 2, 'imageBackground'],
    ['把图1的背景换成图2', 2, 'imageBackground'],
    ['换背景', 2, 'imageBackground'],
    ['blur the background', 1, 'blurBackground'],
    ['背景虚化', 1, 'blurBackground'],
  ];
  for (const [prompt, imageCount, op] of cases) {
    it(`reads "${prompt}"`, () => {
      const plan = parseInstruction(prompt, { imageCount });
      assert.deepEqual(plan.ops.map((o) => o.op), [op], JSON.stringify(plan));
    });
  }

  it('reads the colour, the images and the strength', () => {
    assert.deepEqual(parseInstruction('put it on a red background', { imageCount: 1 }).ops, [{ op: 'colourBackground', colour: { name: 'red', rgb: [220, 30, 30] } }]);
    const swapped = parseInstruction('replace the background of image 2 with image 1', { imageCount: 2 });
    assert.deepEqual([swapped.subject, swapped.ops], [1, [{ op: 'imageBackground', source: 0 }]]);
    assert.deepEqual(parseInstruction('strongly blur the background', { imageCount: 1 }).ops, [{ op: 'blurBackground', strength: 'strong' }]);
  });

  it('still refuses background edits it cannot do', () => {
    for (const prompt of ['把背景换成海滩', 'make the background black and white', 'change the background to a beach']) {
      const plan = parseInstruction(prompt, { imageCount: 1 });
      assert.deepEqual(plan.ops, [], prompt);
      assert.equal(plan.rejected.length, 1, prompt);
    }
  });
});

describe('background operations', () => {
  it('cuts the subject out: alpha on, transparent corners, the same seed gives the same bytes', async () => {
    const first = await run(makeCall({ images: [plain], prompt: 'remove the background', size }));
    const again = await run(makeCall({ images: [plain], prompt: 'remove the background', size }));
    const image = first.images[0]!;
    assert.equal(image.channels, 4);
    assert.equal(at(image, 3, 3)[3], 0);
    assert.equal(at(image, ...BODY)[3], 255);
    assert.ok(image.data.equals(again.images[0]!.data));
    assert.ok(first.warnings?.some((w) => /transparent background.*JPEG/.test(w)), JSON.stringify(first.warnings));
    assert.ok(!first.warnings?.some((w) => /rough/.test(w)));
  });

  it('warns that a busy background may be rough', async () => {
    const result = await run(makeCall({ images: [busy], prompt: '抠图', size }));
    assert.ok(result.warnings?.some((w) => /may be rough/.test(w)), JSON.stringify(result.warnings));
  });

  it('puts the subject on white, as one result (a shadow alone does not make variants that differ)', async () => {
    const result = await run(makeCall({ images: [plain], prompt: '白底图', size, n: 2 }));
    assert.equal(result.images.length, 1);
    assert.ok(result.warnings?.some((w) => w.startsWith('asked for 2 images; this edit has one result')), JSON.stringify(result.warnings));
    const [a] = result.images;
    assert.deepEqual(at(a!, 3, 3), [255, 255, 255]);
    assert.ok(at(a!, ...BODY)[0]! > 120 && at(a!, ...BODY)[2]! < 120, 'the orange subject stays');
  });

  it('puts the subject over the second image', async () => {
    const result = await run(makeCall({ images: [plain, scenery], prompt: 'put image 1 on the background of image 2', size }));
    const [r, , b] = at(result.images[0]!, 3, 3);
    assert.ok(b! > 150 && r! < 80, `corner ${at(result.images[0]!, 3, 3)}`);
    assert.ok(at(result.images[0]!, ...BODY)[0]! > 120);
  });

  it('keeps a portrait whole on a landscape background, with or without an asked-for size', async () => {
    const { raster, mask } = await portraitScene('#e9e4dc', 320, 400);
    const portrait = await png(raster);
    const green = [30, 180, 60];
    const beach = await sharp({ create: { width: 480, height: 320, channels: 3, background: { r: green[0]!, g: green[1]!, b: green[2]! } } }).png().toBuffer();
    const maskArea = mask.reduce((sum, m) => sum + m, 0);
    // Without a size the service asks for the last image's shape (the landscape); with one, exactly
    // that, also when the subject is turned on its side first (it then fits at its own size).
    const cases = [
      { prompt: 'put image 1 on the background of image 2', sizeSource: 'default' },
      { prompt: 'put image 1 on the background of image 2', sizeSource: 'request' },
      { prompt: 'rotate 90 degrees, then put image 1 on the background of image 2', sizeSource: 'request' },
    ] as const;
    for (const { prompt, sizeSource } of cases) {
      const result = await run(makeCall({ images: [portrait, beach], prompt, size: { width: 480, height: 320 }, sizeSource }));
      const image = result.images[0]!;
      if (sizeSource === 'default') assert.ok(Math.abs(image.width / image.height - 320 / 400) < 0.03, `${image.width}×${image.height} follows the portrait`);
      else assert.deepEqual([image.width, image.height], [480, 320]);
      // The subject drawn at scale s covers maskArea·s² pixels unless it was cropped.
      const turned = prompt.startsWith('rotate');
      const scale = turned ? 1 : Math.min(image.width / 320, image.height / 400, sizeSource === 'default' ? Infinity : 1);
      let subject = 0;
      for (let y = 0; y < image.height; y++) for (let x = 0; x < image.width; x++) if (Math.hypot(...at(image, x, y).map((v, c) => v - green[c]!)) > 40) subject++;
      const kept = subject / (maskArea * scale * scale);
      assert.ok(kept > 0.93 && kept < 1.07, `${prompt}, ${sizeSource} size: ${(100 * kept).toFixed(1)} % of the subject in the ${image.width}×${image.height} output`);
      assert.deepEqual(at(image, 2, 2).map((v, c) => Math.abs(v - green[c]!) < 12), [true, true, true], 'the background covers the corner');
    }
  });

  it('blurs the background and keeps the subject sharp', async () => {
    const result = await run(makeCall({ images: [busy], prompt: 'blur the background strongly', size }));
    const { raster } = subjectScene('busy', SIDE, SIDE);
    const image = result.images[0]!;
    let backgroundChange = 0;
    let subjectChange = 0;
    for (const [x, y] of [[10, 10], [300, 20], [20, 300], [300, 300]] as const) {
      for (let c = 0; c < 3; c++) backgroundChange += Math.abs(at(image, x, y)[c]! - raster.data[(y * SIDE + x) * 3 + c]!);
    }
    for (let c = 0; c < 3; c++) subjectChange += Math.abs(at(image, ...BODY)[c]! - raster.data[(BODY[1] * SIDE + BODY[0]) * 3 + c]!);
    assert.ok(backgroundChange > 40, `background change ${backgroundChange}`);
    assert.ok(subjectChange < 6, `subject change ${subjectChange}`);
  });
});
