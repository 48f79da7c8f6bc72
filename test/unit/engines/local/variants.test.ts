/**
 * The n images of one request differ visibly (every pair by at least VISIBLE_DIFFERENCE in mean
 * absolute difference, on a photo-like picture), or fewer are made and the warning says so.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import sharp from 'sharp';
import { VISIBLE_DIFFERENCE } from '../../../../src/engines/local/ops/ranges.js';
import type { RawDone } from './fixtures.js';
import { makeCall, run } from './fixtures.js';
import { photoLike } from './photo-like.js';

const SIZE = { width: 512, height: 512 };

/** One instruction per operation of the vocabulary, with and without the parameters fixed. */
const PROMPTS = [
  'make it black and white',
  'give it a vintage look',
  'invert the colours',
  'make it 20% brighter',
  'make it brighter',
  'make it slightly darker',
  'increase the contrast',
  'reduce the contrast a lot',
  'make the colours more vivid',
  'reduce the saturation',
  'make it warmer',
  'cool tones',
  'blur it slightly',
  'blur it',
  'sharpen the photo',
  'rotate it 90° counter-clockwise',
  'flip it vertically',
  'crop to 16:9',
  'upscale 2x',
  'anime style',
  'turn it into an oil painting',
  'make it a pencil sketch',
  'watercolor style',
  'pixelate it',
  'heavy mosaic',
  'posterise to 4 levels',
  'posterise',
  'add a vignette',
  'add a thick red border',
  'add a 20px black frame',
  'add a border',
  'add the text "SALE" at the top',
  'add the text "SALE" in the bottom right corner',
  'in the style of image 2',
  'put image 1 and image 2 side by side',
  'put image 2 in the top left corner of image 1',
  'put image 2 in the top left corner of image 1 at 30%',
  'blend image 2 over image 1',
  'blend image 2 over image 1 at 30% opacity',
];

function meanAbsoluteDifference(a: Buffer, b: Buffer): number {
  assert.equal(a.length, b.length);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}

describe('local engine: n variants that differ', () => {
  let images: Buffer[] = [];
  before(async () => {
    const png = (seed: number, negate: boolean): Promise<Buffer> => {
      const { data, width, height } = photoLike(SIZE.width, SIZE.height, seed);
      return sharp(data, { raw: { width, height, channels: 3 } }).negate(negate).png().toBuffer();
    };
    // Image 2 (style, place, blend) is another picture with other colours.
    images = [await png(7, false), await png(99, true)];
  });
  const call = (prompt: string, n: number, seed: number): Promise<RawDone> => run(makeCall({ images, prompt, n, size: SIZE, seed }));

  for (const prompt of PROMPTS) {
    it(`${prompt}: every pair differs visibly, or fewer images are made and the warning says so`, async () => {
      const done = await call(prompt, 4, 1000);
      const made = done.images.length;
      assert.ok(made >= 1 && made <= 4);
      for (let i = 0; i < made; i++) {
        for (let j = i + 1; j < made; j++) {
          const difference = meanAbsoluteDifference(done.images[i]!.data, done.images[j]!.data);
          assert.ok(difference >= VISIBLE_DIFFERENCE, `images ${i} and ${j} differ by ${difference.toFixed(2)}`);
        }
      }
      const fewer = (done.warnings ?? []).filter((w) => w.startsWith('asked for 4 images'));
      assert.equal((done.warnings ?? []).length, fewer.length, `the whole instruction is understood: ${done.warnings?.join('; ')}`);
      if (made < 4) assert.deepEqual(fewer, [`asked for 4 images; this edit has ${made === 1 ? 'one result' : `${made} visibly different results`}, so ${made} ${made === 1 ? 'was' : 'were'} made; only images made are billed`]);
      else assert.deepEqual(fewer, []);
      // An image depends on its own seed only: made alone by a later call, it is the same.
      const alone = await call(prompt, 1, 1000 + made - 1);
      assert.ok(alone.images[0]!.data.equals(done.images[made - 1]!.data));
    });
  }

  it('makes fixed edits once, and variable ones as often as they have distinct results', async () => {
    assert.equal((await call('invert the colours', 4, 5)).images.length, 1);
    assert.equal((await call('rotate it 90 degrees and flip it', 3, 5)).images.length, 1);
    assert.equal((await call('posterise to 4 levels', 2, 5)).images.length, 1);
    assert.equal((await call('make it black and white', 4, 5)).images.length, 4);
    // The most variable operation of a plan sets its count.
    assert.equal((await call('invert the colours and make it black and white', 4, 5)).images.length, 4);
  });

  it('drops a variant that looks like one already made (a picture with little detail), and says so', async () => {
    const flat = await sharp({ create: { width: 256, height: 256, channels: 3, background: '#7fa6c9' } }).png().toBuffer();
    const done = await run(makeCall({ images: [flat], prompt: 'blur it', n: 2, size: { width: 256, height: 256 }, seed: 3 }));
    assert.equal(done.images.length, 1);
    assert.deepEqual(done.warnings, ['asked for 2 images; this edit has one result, so 1 was made; only images made are billed']);
  });

  it('gives the same bytes for the same request and seed', async () => {
    for (const prompt of ['make it black and white', 'add a border', 'turn it into an oil painting']) {
      const first = await call(prompt, 3, 77);
      const again = await call(prompt, 3, 77);
      assert.equal(first.images.length, again.images.length);
      first.images.forEach((image, i) => assert.ok(image.data.equals(again.images[i]!.data), `${prompt} #${i}`));
    }
  });
});
