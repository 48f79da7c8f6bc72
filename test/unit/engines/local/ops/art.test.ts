/** The local engine's looks and effects, checked by measurable properties of generated images. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { oilPainting, pencilSketch, watercolour } from '../../../../../src/engines/local/ops/art.js';
import { border, pixelate, vignette } from '../../../../../src/engines/local/ops/effects.js';
import { blur } from '../../../../../src/engines/local/ops/filter.js';
import { grayscale, posterise, temperature } from '../../../../../src/engines/local/ops/tone.js';
import type { Raster } from '../../../../../src/engines/local/raster/raster.js';
import { channelStats, flat, lumaOf, meanLuma, neighbourEnergy, pixel, scene } from '../fixtures.js';

/** The disc of `scene()`: centre and radius. */
const DISC = { cx: 256 * 0.4, cy: 192 * 0.5, r: 192 * 0.25 };

/** Mean luma step across the disc's boundary, between points `gap` pixels inside and outside it. */
function edgeStep(raster: Raster, gap = 3): number {
  let total = 0;
  let count = 0;
  for (let k = 0; k < 180; k++) {
    const angle = (k / 180) * Math.PI * 2;
    const at = (radius: number): number[] => pixel(raster, Math.round(DISC.cx + Math.cos(angle) * radius), Math.round(DISC.cy + Math.sin(angle) * radius));
    total += Math.abs(lumaOf(at(DISC.r - gap)) - lumaOf(at(DISC.r + gap)));
    count++;
  }
  return total / count;
}

describe('local ops: pixelate and posterise', () => {
  it('mosaic blocks are constant and keep their mean colour', () => {
    const input = scene(250, 192);
    const out = pixelate(input, 8);
    for (let y = 0; y < out.height; y++) {
      for (let x = 0; x < out.width; x++) {
        assert.deepEqual(pixel(out, x, y), pixel(out, x - (x % 8), y - (y % 8)), `(${x}, ${y})`);
      }
    }
    const rect = { left: 16, top: 24, width: 8, height: 8 };
    const before = channelStats(input, rect).mean;
    const after = channelStats(out, rect).mean;
    for (let c = 0; c < 3; c++) assert.ok(Math.abs(before[c]! - after[c]!) <= 0.5);
    // The partial column at the right edge (250 = 31 × 8 + 2) is constant too.
    assert.deepEqual(pixel(out, 249, 5), pixel(out, 248, 0));
    // A shifted grid: blocks start 3 px before the left and 5 px before the top edge.
    const shifted = pixelate(input, 8, { x: 3, y: 5 });
    for (let y = 0; y < 40; y++) for (let x = 0; x < 40; x++) assert.deepEqual(pixel(shifted, x, y), pixel(shifted, Math.max(0, x - ((x + 3) % 8)), Math.max(0, y - ((y + 5) % 8))));
    const corner = channelStats(input, { left: 0, top: 0, width: 5, height: 3 }).mean;
    pixel(shifted, 0, 0).forEach((v, c) => assert.ok(Math.abs(v - corner[c]!) <= 0.5));
  });

  it('posterise leaves few levels per channel', () => {
    const out = posterise(scene(), 4);
    for (let c = 0; c < 3; c++) {
      const levels = new Set<number>();
      for (let i = c; i < out.data.length; i += 3) levels.add(out.data[i]!);
      assert.ok(levels.size <= 4, `channel ${c}: ${[...levels]}`);
      for (const v of levels) assert.ok([0, 85, 170, 255].includes(v));
    }
  });
});

describe('local ops: painterly looks', () => {
  const input = scene();

  it('oil painting flattens fine detail but keeps edges sharp (unlike a blur)', async () => {
    const out = await oilPainting(input, { radius: 4, saturation: 1.2 });
    assert.ok(neighbourEnergy(out) < neighbourEnergy(input) * 0.6, `${neighbourEnergy(out)} vs ${neighbourEnergy(input)}`);
    const blurred = await blur(input, 3);
    assert.ok(edgeStep(out, 2) > edgeStep(input, 2) * 0.85, `edge ${edgeStep(out, 2)} vs ${edgeStep(input, 2)}`);
    assert.ok(edgeStep(out, 2) > edgeStep(blurred, 2) * 1.15, `oil ${edgeStep(out, 2)} vs blur ${edgeStep(blurred, 2)}`);
  });

  it('a pencil sketch is mostly light paper, near grey, with dark strokes along the edges', async () => {
    const out = await pencilSketch(input, { strokeSigma: 6, darkness: 2.2, paper: 3 });
    let light = 0;
    let maxSpread = 0;
    for (let i = 0; i < out.data.length; i += 3) {
      const v = [out.data[i]!, out.data[i + 1]!, out.data[i + 2]!];
      if (lumaOf(v) > 200) light++;
      maxSpread = Math.max(maxSpread, Math.max(...v) - Math.min(...v));
    }
    assert.ok(light > (out.width * out.height) * 0.7, `light share ${light / (out.width * out.height)}`);
    assert.ok(maxSpread <= 6, `channel spread ${maxSpread}`);
    let darkOnEdge = 0;
    for (let k = 0; k < 360; k++) {
      const angle = (k / 360) * Math.PI * 2;
      for (const d of [-2, -1, 0, 1, 2]) {
        const v = pixel(out, Math.round(DISC.cx + Math.cos(angle) * (DISC.r + d)), Math.round(DISC.cy + Math.sin(angle) * (DISC.r + d)));
        if (lumaOf(v) < 170) {
          darkOnEdge++;
          break;
        }
      }
    }
    assert.ok(darkOnEdge > 250, `dark strokes on ${darkOnEdge} of 360 boundary points`);
  });

  it('watercolour softens texture, keeps the main edges, and lightens toward the paper', async () => {
    const out = await watercolour(input, { washSigma: 4, edgeThreshold: 30, lightness: 0.1, pooling: 0.2, grain: 6, grainSeed: 9 });
    assert.ok(neighbourEnergy(out) < neighbourEnergy(input) * 0.7, `${neighbourEnergy(out)} vs ${neighbourEnergy(input)}`);
    // Lightening by 10 % caps the step at 90 % of the input's; a plain blur of the same sigma loses more.
    const blurred = await blur(input, 4);
    assert.ok(edgeStep(out) > edgeStep(input) * 0.65, `edge ${edgeStep(out)} vs ${edgeStep(input)}`);
    assert.ok(edgeStep(out) > edgeStep(blurred) * 1.1, `watercolour ${edgeStep(out)} vs blur ${edgeStep(blurred)}`);
    assert.ok(meanLuma(out) > meanLuma(input) + 5);
  });
});

describe('local ops: tone and frame', () => {
  const redMinusBlue = (r: Raster): number => {
    const { mean } = channelStats(r);
    return mean[0] - mean[2];
  };

  it('warm raises the mean of R − B, cool lowers it', () => {
    const input = scene();
    assert.ok(redMinusBlue(temperature(input, 0.15)) > redMinusBlue(input) + 8);
    assert.ok(redMinusBlue(temperature(input, -0.15)) < redMinusBlue(input) - 8);
    const extremes: Raster = { data: Buffer.from([0, 0, 0, 255, 255, 255]), width: 2, height: 1, channels: 3 };
    assert.deepEqual([...temperature(extremes, 0.3).data], [0, 0, 0, 255, 255, 255]);
  });

  it('a vignette darkens the corners relative to the centre', () => {
    const out = vignette(flat(200, 120, [160, 160, 160]), { strength: 0.5, inner: 0.4 });
    const centre = meanLuma(out, { left: 90, top: 50, width: 20, height: 20 });
    const corner = meanLuma(out, { left: 0, top: 0, width: 10, height: 10 });
    assert.ok(Math.abs(centre - 160) <= 1);
    assert.ok(corner < centre * 0.65, `corner ${corner} centre ${centre}`);
    // Symmetric: all four corners alike.
    assert.ok(Math.abs(corner - meanLuma(out, { left: 190, top: 110, width: 10, height: 10 })) <= 1);
  });

  it('a border is a uniform frame of the named colour and thickness', async () => {
    const input = scene(200, 100);
    const out = await border(input, 10, [220, 30, 30]);
    assert.deepEqual([out.width, out.height], [200, 100]);
    for (let y = 0; y < 100; y++) {
      for (let x = 0; x < 200; x++) {
        const inFrame = x < 10 || x >= 190 || y < 10 || y >= 90;
        if (inFrame) assert.deepEqual(pixel(out, x, y), [220, 30, 30], `(${x}, ${y})`);
      }
    }
    assert.notDeepEqual(pixel(out, 12, 50), [220, 30, 30]);
    assert.notDeepEqual(pixel(out, 100, 12), [220, 30, 30]);
  });

  it('black and white through a colour filter keeps equal channels and lightens reds', async () => {
    const red = flat(4, 4, [200, 40, 40]);
    const plain = await grayscale(red);
    const filtered = await grayscale(red, [0.6, 0.34, 0.06]);
    assert.equal(filtered.data[0], filtered.data[1]);
    assert.equal(filtered.data[1], filtered.data[2]);
    assert.ok(filtered.data[0]! > plain.data[0]! + 30);
  });
});
