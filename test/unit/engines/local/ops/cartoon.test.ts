/** The cartoon look as a comic rendering: a few flat colours, clean outlines, no specks. */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import type { CartoonParams } from '../../../../../src/engines/local/ops/cartoon.js';
import { cartoon } from '../../../../../src/engines/local/ops/cartoon.js';
import type { Raster } from '../../../../../src/engines/local/raster/raster.js';
import { mulberry32 } from '../../../../../src/engines/local/raster/prng.js';
import type { RawImage } from '../fixtures.js';
import { photoLike } from '../photo-like.js';
import { asRaster, clamp, distinctColours, makeCall, makeRaster, meanLuma, pixel, run } from '../fixtures.js';

const PARAMS: CartoonParams = { colours: 8, smoothRadius: 3, edgeSigma: 1, edgeLow: 70, edgeHigh: 150, outline: 1, seed: 3 };
const SIDE = 256;
/** The boundary between the textured left half and the flat right half. */
const EDGE_X = 128;

/** Left: green grass-like texture (strong per-pixel noise); right: a flat dark blue. */
function textured(): Raster {
  const rng = mulberry32(5);
  return makeRaster(SIDE, SIDE, (x) => {
    if (x >= EDGE_X) return [30, 40, 120];
    const n = (): number => (rng() - 0.5) * 60;
    return [clamp(70 + n()), clamp(150 + n()), clamp(60 + n())];
  });
}

const luma = (v: readonly number[]): number => 0.299 * v[0]! + 0.587 * v[1]! + 0.114 * v[2]!;

/** Share of pixels in a rectangle whose colour differs from the most common one of their 3×3 window. */
function speckShare(raster: Raster, left: number, right: number): number {
  let specks = 0, total = 0;
  for (let y = 1; y < raster.height - 1; y++) {
    for (let x = left + 1; x < right - 1; x++) {
      const counts = new Map<string, number>();
      for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
        const key = pixel(raster, x + dx, y + dy).join();
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      const mode = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]![0];
      if (pixel(raster, x, y).join() !== mode) specks++;
      total++;
    }
  }
  return specks / total;
}

type Rect = { left: number; top: number; width: number; height: number };
const rect = (left: number, top: number, right: number, bottom: number): Rect => ({ left, top, width: right - left, height: bottom - top });

/**
 * A portrait on a landscape, 1024²: a sky gradient and grass texture (which take most of the
 * palette), a tan face with small dark eyes (12 px radius) under a band of dark hair, and a red house with
 * a small dark door.
 */
const PORTRAIT = { eyes: [[560, 430], [680, 430]] as const, eyeRadius: 12, face: [620, 450, 130, 170] as const };
function portrait(): Raster {
  const rng = mulberry32(11);
  const [cx, cy, rx, ry] = PORTRAIT.face;
  return makeRaster(1024, 1024, (x, y) => {
    const n = (rng() - 0.5) * 12;
    // Soft clouds and grass patches: gradients and texture that draw the palette's clusters.
    const cloud = Math.max(0, Math.sin(x / 60) * Math.sin(y / 45)), patch = 0.5 + 0.5 * Math.sin(x / 40 + y / 90);
    let colour: [number, number, number] = y < 600
      ? [90 + y * 0.12 + 150 * cloud, 150 + y * 0.08 + 100 * cloud, 240]
      : [40 + 60 * patch + 30 * rng(), 100 + 80 * patch + 40 * rng(), 40 + 30 * rng()];
    if (x >= 100 && x < 340 && y >= 480 && y < 700) colour = [195, 55, 45];
    if (x >= 200 && x < 240 && y >= 620 && y < 700) colour = [80, 50, 45];
    const fx = (x - cx) / rx, fy = (y - cy) / ry;
    if (fx * fx + fy * fy < 1) {
      colour = fy < -0.75 ? [60, 40, 30] : [225, 180, 145];
      if (PORTRAIT.eyes.some(([ex, ey]) => (x - ex) ** 2 + (y - ey) ** 2 < PORTRAIT.eyeRadius ** 2)) colour = [35, 30, 40];
    }
    return [clamp(colour[0] + n), clamp(colour[1] + n), clamp(colour[2] + n)];
  });
}

/** The cartoon variants of one request, as the engine makes them. */
async function variants(image: Raster | Buffer, seed: number): Promise<RawImage[]> {
  const png = Buffer.isBuffer(image) ? image : await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } }).png().toBuffer();
  const { width = 0, height = 0 } = await sharp(png).metadata();
  return (await run(makeCall({ images: [png], prompt: 'anime style', n: 3, size: { width, height }, seed }))).images;
}

/**
 * A small dark region keeps a dark colour: its mean luma stays below its surroundings' by at least
 * a third of the difference in the input (a door that turns the wall's red loses all of it; the
 * outlines darken a textured surrounding such as a brick wall).
 */
function assertDark(input: Raster, image: RawImage, region: Rect, around: Rect, what: string): void {
  const contrast = meanLuma(input, around) - meanLuma(input, region);
  assert.ok(contrast > 20, `${what} is dark in the input`);
  const inside = meanLuma(asRaster(image), region), outside = meanLuma(asRaster(image), around);
  assert.ok(outside - inside > contrast / 3, `${what}: luma ${inside.toFixed(0)} against ${outside.toFixed(0)} around it (input: ${contrast.toFixed(0)} darker)`);
}

describe('local ops: cartoon', () => {
  for (const seed of [1, 4]) {
    it(`keeps small dark eyes, dark hair and a dark door in every variant (seed ${seed})`, async () => {
      const input = portrait();
      const images = await variants(input, seed);
      assert.equal(images.length, 3);
      const [cx, cy, , ry] = PORTRAIT.face;
      const cheek = rect(cx - 40, cy + 20, cx + 40, cy + 60);
      for (const [i, image] of images.entries()) {
        for (const [ex, ey] of PORTRAIT.eyes) assertDark(input, image, rect(ex - 6, ey - 6, ex + 6, ey + 6), cheek, `variant ${i}, eye at ${ex},${ey}`);
        assertDark(input, image, rect(cx - 40, cy - ry + 12, cx + 40, cy - ry + 38), cheek, `variant ${i}, hair`);
        assertDark(input, image, rect(206, 630, 234, 690), rect(120, 630, 180, 690), `variant ${i}, door`);
      }
    });
  }

  it('keeps the eyes, hair and windows of the photo-like picture dark in every variant', async () => {
    const input = photoLike(1024, 1024);
    for (const seed of [1, 2, 3, 4]) {
      for (const [i, image] of (await variants(input, seed)).entries()) {
        const cheek = rect(600, 440, 670, 480);
        for (const ex of [584, 685]) assertDark(input, image, rect(ex - 8, 398, ex + 8, 410), cheek, `seed ${seed} variant ${i}, eye at ${ex}`);
        assertDark(input, image, rect(600, 280, 670, 320), cheek, `seed ${seed} variant ${i}, hair`);
        assertDark(input, image, rect(115, 425, 160, 515), rect(180, 425, 225, 515), `seed ${seed} variant ${i}, window`);
      }
    }
  });

  it('keeps the door of the example picture and its tree trunk dark in every variant', async () => {
    const png = await readFile(join(import.meta.dirname, '..', '..', '..', '..', '..', 'examples', 'sample.png'));
    const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const input: Raster = { data, width: info.width, height: info.height, channels: 3 };
    for (let seed = 1; seed <= 12; seed++) {
      for (const [i, image] of (await variants(png, seed)).entries()) {
        assertDark(input, image, rect(232, 348, 248, 384), rect(190, 348, 220, 384), `seed ${seed} variant ${i}, door`);
        assertDark(input, image, rect(465, 366, 475, 394), rect(420, 366, 455, 394), `seed ${seed} variant ${i}, trunk`);
      }
    }
  });

  it('paints few colours, with no specks in a textured area', async () => {
    const input = textured();
    const out = await cartoon(input, PARAMS);
    assert.ok(distinctColours(input) > 1000);
    // The palette plus its darkened outline shades.
    assert.ok(distinctColours(out) <= 2 * PARAMS.colours, `${distinctColours(out)} colours`);
    const share = speckShare(out, 8, EDGE_X - 8);
    assert.ok(share < 0.05, `${(share * 100).toFixed(1)} % of the textured half differs from its 3×3 mode`);
    assert.ok(speckShare(input, 8, EDGE_X - 8) > 0.5);
  });

  it('draws a dark outline along the boundary, and none inside the flat area', async () => {
    const out = await cartoon(textured(), PARAMS);
    let outlined = 0;
    for (let y = 8; y < SIDE - 8; y++) {
      // Ink is its region's colour at about a fifth: much darker than the same side a few pixels away.
      const inked = (dx: number): boolean => luma(pixel(out, EDGE_X + dx, y)) < 0.6 * luma(pixel(out, EDGE_X + (dx < 0 ? -8 : 8), y));
      if ([-3, -2, -1, 0, 1, 2].some(inked)) outlined++;
    }
    assert.ok(outlined > (SIDE - 16) * 0.9, `outlined on ${outlined} of ${SIDE - 16} rows`);
    for (let y = 8; y < SIDE - 8; y += 7) for (let x = EDGE_X + 8; x < SIDE - 8; x += 7) assert.ok(luma(pixel(out, x, y)) > 35);
  });

  it('gives the same bytes for the same parameters and seed', async () => {
    const a = await cartoon(textured(), PARAMS);
    const b = await cartoon(textured(), PARAMS);
    assert.ok(a.data.equals(b.data));
  });
});
