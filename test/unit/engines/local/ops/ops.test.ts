/** The local engine's pixel operations, checked by measurable properties of generated images. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cartoon } from '../../../../../src/engines/local/ops/cartoon.js';
import { blur, sharpen } from '../../../../../src/engines/local/ops/filter.js';
import { flip, rotate } from '../../../../../src/engines/local/ops/geometry.js';
import { colourTransfer, labStats } from '../../../../../src/engines/local/ops/style.js';
import { brightness, gammaForChange, grayscale, invert, linearTone, saturation, sepia } from '../../../../../src/engines/local/ops/tone.js';
import { mulberry32 } from '../../../../../src/engines/local/raster/prng.js';
import type { Raster } from '../../../../../src/engines/local/raster/raster.js';
import { drawText } from '../../../../../src/engines/local/ops/text.js';
import type { Rgb } from '../fixtures.js';
import { channelStats, clamp, distinctColours, isRed, makeRaster, markedCorner, meanLuma, neighbourEnergy, pixel, scene } from '../fixtures.js';

describe('local ops: tone', () => {
  it('black and white has equal channels and keeps luma', async () => {
    const input = scene();
    const out = await grayscale(input);
    for (let i = 0; i < out.data.length; i += 3) {
      assert.equal(out.data[i], out.data[i + 1]);
      assert.equal(out.data[i], out.data[i + 2]);
    }
    assert.ok(Math.abs(meanLuma(out) - meanLuma(input)) < 2);
  });

  it('a contrast change on black and white keeps the channels equal', async () => {
    const out = linearTone(await grayscale(scene()), { contrast: 1.05, offset: -4 });
    for (let i = 0; i < out.data.length; i += 3) assert.equal(out.data[i], out.data[i + 2]);
  });

  it('sepia is warm: R > G > B on average and the mean hue lies in a warm band', async () => {
    for (const tint of [{ green: 0.8, blue: 0.58 }, { green: 0.88, blue: 0.7 }]) {
      const { mean } = channelStats(await sepia(scene(), tint));
      const [r, g, b] = mean;
      assert.ok(r > g && g > b, `R ${r} G ${g} B ${b}`);
      const hue = (60 * (g - b)) / (r - b);
      assert.ok(hue >= 15 && hue <= 50, `hue ${hue}`);
    }
  });

  it('invert maps a known pixel to 255 − v and keeps alpha', async () => {
    const input = scene();
    const out = await invert(input);
    assert.deepEqual(pixel(out, 17, 23), pixel(input, 17, 23).map((v) => 255 - v));
    const rgba: Raster = { data: Buffer.from([10, 20, 30, 128, 200, 100, 0, 255]), width: 2, height: 1, channels: 4 };
    assert.deepEqual([...(await invert(rgba)).data], [245, 235, 225, 128, 55, 155, 255, 255]);
  });

  it('brighter raises mean luma and darker lowers it, without moving black and white', () => {
    const input = scene();
    const before = meanLuma(input);
    assert.ok(meanLuma(brightness(input, 0.75)) > before + 10);
    assert.ok(meanLuma(brightness(input, 1.35)) < before - 10);
    const extremes: Raster = { data: Buffer.from([0, 0, 0, 255, 255, 255]), width: 2, height: 1, channels: 3 };
    assert.deepEqual([...brightness(extremes, 0.6).data], [0, 0, 0, 255, 255, 255]);
  });

  it('contrast widens or narrows the spread around mid-grey', () => {
    const input = scene();
    const spread = (r: Raster): number => channelStats(r).std.reduce((a, b) => a + b, 0);
    assert.ok(spread(linearTone(input, { contrast: 1.3, offset: 0 })) > spread(input) * 1.2);
    assert.ok(spread(linearTone(input, { contrast: 0.7, offset: 0 })) < spread(input) * 0.8);
  });

  it('saturation moves colours away from or toward their grey', () => {
    const input = scene();
    const chroma = (r: Raster): number => {
      let total = 0;
      for (let i = 0; i < r.data.length; i += 3) total += Math.max(r.data[i]!, r.data[i + 1]!, r.data[i + 2]!) - Math.min(r.data[i]!, r.data[i + 1]!, r.data[i + 2]!);
      return total / (r.data.length / 3);
    };
    assert.ok(chroma(saturation(input, 1.5)) > chroma(input) * 1.3);
    assert.ok(chroma(saturation(input, 0.5)) < chroma(input) * 0.6);
    const grey: Raster = { data: Buffer.from([90, 90, 90]), width: 1, height: 1, channels: 3 };
    assert.deepEqual([...saturation(grey, 1.8).data], [90, 90, 90]);
  });

  it('a named percentage moves mid-grey by that much', () => {
    const grey: Raster = { data: Buffer.from([128, 128, 128]), width: 1, height: 1, channels: 3 };
    assert.ok(Math.abs(brightness(grey, gammaForChange(0.2)).data[0]! - 154) <= 1);
    assert.ok(Math.abs(brightness(grey, gammaForChange(-0.2)).data[0]! - 102) <= 1);
  });
});

describe('local ops: filters', () => {
  it('blur lowers high-frequency energy, more with a larger sigma', async () => {
    const input = scene();
    const light = neighbourEnergy(await blur(input, 1));
    const strong = neighbourEnergy(await blur(input, 4));
    assert.ok(light < neighbourEnergy(input) * 0.7);
    assert.ok(strong < light);
  });

  it('sharpen raises high-frequency energy', async () => {
    const input = await blur(scene(), 1.5);
    const out = await sharpen(input, { sigma: 1.2, amount: 1 });
    assert.ok(neighbourEnergy(out) > neighbourEnergy(input) * 1.3);
  });
});

describe('local ops: geometry', () => {
  it('a 90° clockwise rotation swaps the sides and takes the top-left corner to the top-right', async () => {
    const out = await rotate(markedCorner(), 90);
    assert.equal(out.width, 80);
    assert.equal(out.height, 120);
    assert.ok(isRed(pixel(out, out.width - 3, 2)));
    assert.ok(!isRed(pixel(out, 2, 2)));
  });

  it('270° takes the top-left corner to the bottom-left; 180° to the bottom-right', async () => {
    const ccw = await rotate(markedCorner(), 270);
    assert.ok(isRed(pixel(ccw, 2, ccw.height - 3)));
    const half = await rotate(markedCorner(), 180);
    assert.equal(half.width, 120);
    assert.ok(isRed(pixel(half, half.width - 3, half.height - 3)));
  });

  it('a horizontal flip mirrors left↔right, a vertical one top↔bottom', async () => {
    const horizontal = await flip(markedCorner(), 'horizontal');
    assert.ok(isRed(pixel(horizontal, 117, 2)));
    assert.ok(!isRed(pixel(horizontal, 2, 2)));
    const vertical = await flip(markedCorner(), 'vertical');
    assert.ok(isRed(pixel(vertical, 2, 77)));
    assert.ok(!isRed(pixel(vertical, 2, 2)));
  });
});

describe('local ops: cartoon', () => {
  const width = 240;
  const height = 180;
  const radius = 50;
  const [cx, cy] = [120, 90];
  const rng = mulberry32(7);
  const input = makeRaster(width, height, (x, y) => {
    const n = (rng() - 0.5) * 30;
    const inside = (x - cx) ** 2 + (y - cy) ** 2 < radius ** 2;
    return inside ? [clamp(230 + n), clamp(180 + n), clamp(60 + n)] : [clamp(70 + x / 4 + n), clamp(110 + n), clamp(170 + n)];
  });

  function darkOnRing(raster: Raster): number {
    let dark = 0;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const d = Math.hypot(x - cx, y - cy);
        if (Math.abs(d - radius) > 3) continue;
        const [r, g, b] = pixel(raster, x, y);
        if (0.299 * r! + 0.587 * g! + 0.114 * b! < 50) dark++;
      }
    }
    return dark;
  }

  it('reduces the number of distinct colours and draws dark outlines along the boundary', async () => {
    const out = await cartoon(input, { colours: 6, smoothRadius: 3, edgeSigma: 1.2, edgeLow: 70, edgeHigh: 150, outline: 2, seed: 1 });
    assert.ok(distinctColours(out) < distinctColours(input) / 20, `${distinctColours(out)} vs ${distinctColours(input)}`);
    const ringPixels = Math.round(2 * Math.PI * radius * 7);
    assert.equal(darkOnRing(input), 0);
    assert.ok(darkOnRing(out) > ringPixels * 0.2, `dark ${darkOnRing(out)} of ~${ringPixels}`);
  });

  it('leaves flat areas without outlines', async () => {
    const out = await cartoon(input, { colours: 8, smoothRadius: 3, edgeSigma: 1.2, edgeLow: 70, edgeHigh: 150, outline: 2, seed: 1 });
    const [r, g, b] = pixel(out, 20, 20);
    assert.ok(0.299 * r! + 0.587 * g! + 0.114 * b! > 80);
  });
});

describe('local ops: colour transfer', () => {
  const bluish = makeRaster(200, 150, (x, y) => [clamp(60 + x / 10), clamp(90 + y / 10), clamp(170 + (x % 7))]);
  const reddish = makeRaster(160, 160, (x, y) => [clamp(120 + x * 0.8), clamp(40 + (y % 40) * 2), clamp(30 + y / 4)]);

  it('moves the mean and spread of image 1 toward image 2', async () => {
    const reference = await labStats(reddish);
    const before = channelStats(bluish);
    const target = channelStats(reddish);
    const after = channelStats(await colourTransfer(bluish, reference, 1));
    for (let c = 0; c < 3; c++) {
      const meanGap = Math.abs(after.mean[c]! - target.mean[c]!);
      assert.ok(meanGap < Math.abs(before.mean[c]! - target.mean[c]!) * 0.5, `channel ${c} mean ${after.mean[c]} vs ${target.mean[c]}`);
    }
    const spreadGap = (s: { std: Rgb }): number => s.std.reduce((sum, v, c) => sum + Math.abs(v - target.std[c]!), 0);
    assert.ok(spreadGap(after) < spreadGap(before) * 0.6, `spread ${after.std} vs ${target.std}`);
  });

  it('strength 0 gives back the image (the Lab round trip is exact to a level)', async () => {
    const out = await colourTransfer(bluish, await labStats(reddish), 0);
    for (let i = 0; i < out.data.length; i++) assert.ok(Math.abs(out.data[i]! - bluish.data[i]!) <= 1);
  });
});

describe('local ops: text', () => {
  it('draws white text with a shadow in the lower part of the picture', async () => {
    const input = makeRaster(400, 300, () => [90, 120, 150]);
    const out = await drawText(input, 'Hello', { boxWidth: 0.86, boxHeight: 0.16, position: 'bottom' });
    const count = { white: 0, whiteAbove: 0, shadow: 0, shadowAbove: 0 };
    let lowestWhite = 0;
    for (let y = 0; y < 300; y++) {
      for (let x = 0; x < 400; x++) {
        const [r, g, b] = pixel(out, x, y);
        if (r! > 240 && g! > 240 && b! > 240) {
          count.white++;
          if (y < 200) count.whiteAbove++;
          lowestWhite = Math.max(lowestWhite, y);
        }
        if (r! < 80 && b! < 140) {
          count.shadow++;
          if (y < 200) count.shadowAbove++;
        }
      }
    }
    assert.ok(count.white > 500);
    assert.equal(count.whiteAbove, 0);
    assert.ok(count.shadow > 200, `shadow pixels ${count.shadow}`);
    assert.equal(count.shadowAbove, 0);
    // The shadow hugs the glyphs: every shadow pixel has a glyph pixel just above-left of it.
    const white = (x: number, y: number): boolean => x >= 0 && y >= 0 && pixel(out, x, y)[0]! > 240 && pixel(out, x, y)[2]! > 240;
    let stray = 0;
    for (let y = 200; y < 300; y++) {
      for (let x = 0; x < 400; x++) {
        if (pixel(out, x, y)[0]! >= 80) continue;
        let near = false;
        for (let dy = -10; dy <= 3 && !near; dy++) for (let dx = -10; dx <= 3 && !near; dx++) near = white(x + dx, y + dy);
        if (!near) stray++;
      }
    }
    assert.equal(stray, 0);
    assert.ok(lowestWhite < 299);
    assert.equal(out.channels, 3);
  });
});
