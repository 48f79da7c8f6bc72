/** The cartoon look as a comic rendering: a few flat colours, clean outlines, no specks. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CartoonParams } from '../../../../../src/engines/local/ops/cartoon.js';
import { cartoon } from '../../../../../src/engines/local/ops/cartoon.js';
import type { Raster } from '../../../../../src/engines/local/raster/raster.js';
import { mulberry32 } from '../../../../../src/engines/local/raster/prng.js';
import { clamp, distinctColours, makeRaster, pixel } from '../fixtures.js';

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

describe('local ops: cartoon', () => {
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
