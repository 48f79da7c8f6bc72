/** Cropping, upscaling, text placement and multi-image operations, by measurable properties. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { frameCollage, frameSubject } from '../../../../../src/engines/local/framing.js';
import { assemble, blend, place } from '../../../../../src/engines/local/ops/compose.js';
import { upscale } from '../../../../../src/engines/local/ops/filter.js';
import type { Raster } from '../../../../../src/engines/local/raster/raster.js';
import { decodeImage } from '../../../../../src/engines/local/raster/raster.js';
import { enlarge } from '../../../../../src/engines/local/raster/resample.js';
import { drawText } from '../../../../../src/engines/local/ops/text.js';
import { channelStats, flat, isRed, lumaOf, makeRaster, neighbourEnergy, pixel, scene } from '../fixtures.js';

function encode(raster: Raster): Promise<Buffer> {
  return sharp(raster.data, { raw: { width: raster.width, height: raster.height, channels: raster.channels } }).png().toBuffer();
}

/** Left third red, middle green, right third blue. */
const thirds = makeRaster(300, 100, (x) => (x < 100 ? [220, 20, 20] : x < 200 ? [20, 200, 20] : [20, 20, 220]));

describe('local ops: crop', () => {
  it('crops the centre to the named ratio, then covers the size', async () => {
    const png = await encode(thirds);
    const square = await decodeImage(png, { kind: 'cover', size: { width: 64, height: 64 }, crops: [{ width: 1, height: 1 }] });
    assert.deepEqual([square.width, square.height], [64, 64]);
    // Only the green middle third survives a centred square crop.
    assert.ok(channelStats(square).mean[1] > 180 && channelStats(square).mean[0] < 40);
    // A 16:9 crop of a square picture, covering a 4:3 size, zooms in past the 16:9 band.
    const tall = await encode(scene(200, 200));
    const out = await decodeImage(tall, { kind: 'cover', size: { width: 120, height: 90 }, crops: [{ width: 16, height: 9 }] });
    assert.deepEqual([out.width, out.height], [120, 90]);
  });

  it('with a default size the output takes the ratio at about the same pixels, in multiples of 16', () => {
    const frame = frameSubject({ size: { width: 1024, height: 1024 }, sizeSource: 'default' }, [{ op: 'crop', ratio: { width: 16, height: 9 } }], { width: 1024, height: 1024 });
    assert.equal(frame.output.width % 16, 0);
    assert.equal(frame.output.height % 16, 0);
    assert.ok(Math.abs(frame.output.width / frame.output.height - 16 / 9) < 0.03);
    assert.ok(Math.abs(frame.output.width * frame.output.height - 1024 * 1024) < 1024 * 1024 * 0.05);
    const asked = frameSubject({ size: { width: 640, height: 480 }, sizeSource: 'request' }, [{ op: 'crop', ratio: { width: 16, height: 9 } }], { width: 1024, height: 1024 });
    assert.deepEqual(asked.output, { width: 640, height: 480 });
    assert.deepEqual(asked.crops, [{ width: 16, height: 9 }]);
  });

  it('reads a crop after a quarter turn in the turned frame', () => {
    const frame = frameSubject({ size: { width: 1024, height: 1024 }, sizeSource: 'default' }, [{ op: 'rotate', angle: 90 }, { op: 'crop', ratio: { width: 16, height: 9 } }], { width: 1024, height: 1024 });
    assert.deepEqual(frame.crops, [{ width: 9, height: 16 }]);
    assert.ok(frame.output.width > frame.output.height, 'the finished picture is 16:9');
  });
});

describe('local ops: upscale', () => {
  it('Lanczos enlargement keeps flat colour, reproduces a ramp at pixel centres, and keeps the picture', () => {
    assert.deepEqual(new Set(enlarge(flat(10, 8, [90, 140, 200]), { width: 25, height: 19 }).data), new Set([90, 140, 200]));
    const ramp = makeRaster(100, 4, (x) => [20 + 2 * x, 20 + 2 * x, 20 + 2 * x]);
    const wide = enlarge(ramp, { width: 200, height: 8 });
    // Output pixel o samples the input at (o + 0.5) / 2 − 0.5, away from the clamped edges.
    for (let o = 8; o < 192; o++) assert.ok(Math.abs(pixel(wide, o, 3)[0]! - (20 + 2 * ((o + 0.5) / 2 - 0.5))) <= 0.51, `x ${o}`);
    const input = scene(128, 96);
    const out = enlarge(input, { width: 256, height: 192 });
    let diff = 0;
    for (let y = 0; y < 96; y++) {
      for (let x = 0; x < 128; x++) {
        for (let c = 0; c < 3; c++) {
          const mean = [0, 1].reduce((sum, dy) => sum + [0, 1].reduce((s2, dx) => s2 + pixel(out, 2 * x + dx, 2 * y + dy)[c]!, 0), 0) / 4;
          diff += Math.abs(mean - pixel(input, x, y)[c]!);
        }
      }
    }
    assert.ok(diff / (128 * 96 * 3) < 5, `2×2 means drift ${diff / (128 * 96 * 3)}`);
  });

  it('doubles the sides, keeps the content and adds detail over a plain enlargement', async () => {
    const input = scene(128, 96);
    const out = await upscale(input, { width: 256, height: 192 }, { sigma: 1, amount: 0.8 });
    assert.deepEqual([out.width, out.height], [256, 192]);
    const plain = enlarge(input, { width: 256, height: 192 });
    assert.ok(neighbourEnergy(out) > neighbourEnergy(plain) * 1.2, `${neighbourEnergy(out)} vs ${neighbourEnergy(plain)}`);
    const back = await sharp(out.data, { raw: { width: 256, height: 192, channels: 3 } }).resize(128, 96).raw().toBuffer();
    let diff = 0;
    for (let i = 0; i < back.length; i++) diff += Math.abs(back[i]! - input.data[i]!);
    assert.ok(diff / back.length < 8, `content drift ${diff / back.length}`);
  });

  it('with a default size grows 2× up to 2048 on the long side; an asked size is filled', () => {
    const ops = [{ op: 'upscale' as const }];
    const small = frameSubject({ size: { width: 768, height: 512 }, sizeSource: 'default' }, ops, { width: 768, height: 512 });
    assert.deepEqual(small.output, { width: 1536, height: 1024 });
    assert.deepEqual(small.decode, { width: 768, height: 512 }, 'decodes small and enlarges after the enhancement');
    const capped = frameSubject({ size: { width: 1248, height: 832 }, sizeSource: 'default' }, ops, { width: 1248, height: 832 });
    assert.equal(Math.max(capped.output.width, capped.output.height), 2048);
    const big = frameSubject({ size: { width: 768, height: 512 }, sizeSource: 'default' }, ops, { width: 3000, height: 2000 });
    assert.deepEqual(big.decode, big.output, 'a large input is decoded straight at the output size');
    const asked = frameSubject({ size: { width: 800, height: 600 }, sizeSource: 'request' }, ops, { width: 400, height: 300 });
    assert.deepEqual(asked.output, { width: 800, height: 600 });
  });
});

describe('local ops: text placement and colour', () => {
  const grey = flat(400, 300, [128, 128, 128]);

  function where(raster: Raster, test: (v: number[]) => boolean): { count: number; minX: number; maxX: number; minY: number; maxY: number } {
    const box = { count: 0, minX: Infinity, maxX: -1, minY: Infinity, maxY: -1 };
    for (let y = 0; y < raster.height; y++) {
      for (let x = 0; x < raster.width; x++) {
        if (!test(pixel(raster, x, y))) continue;
        box.count++;
        box.minX = Math.min(box.minX, x);
        box.maxX = Math.max(box.maxX, x);
        box.minY = Math.min(box.minY, y);
        box.maxY = Math.max(box.maxY, y);
      }
    }
    return box;
  }

  it('draws black text in the top-left corner only', async () => {
    const out = await drawText(grey, 'Hello', { boxWidth: 0.45, boxHeight: 0.1, position: 'top-left', colour: [12, 12, 12] });
    const dark = where(out, (v) => lumaOf(v) < 50);
    assert.ok(dark.count > 300, `dark pixels ${dark.count}`);
    assert.ok(dark.maxX < 200 && dark.maxY < 150, JSON.stringify(dark));
    assert.ok(dark.minX < 40 && dark.minY < 40, 'near the corner');
  });

  it('draws red text in the bottom-right corner, in red', async () => {
    const out = await drawText(grey, 'Sale', { boxWidth: 0.45, boxHeight: 0.1, position: 'bottom-right', colour: [220, 30, 30] });
    const red = where(out, isRed);
    assert.ok(red.count > 200, `red pixels ${red.count}`);
    assert.ok(red.minX > 200 && red.minY > 150, JSON.stringify(red));
    assert.ok(red.maxX > 340 && red.maxY > 250, 'near the corner');
  });

  it('centres text and keeps it inside the picture at every position', async () => {
    for (const position of ['top', 'bottom', 'left', 'right', 'centre', 'top-right', 'bottom-left'] as const) {
      const out = await drawText(grey, 'Wide headline text', { boxWidth: 0.86, boxHeight: 0.15, position });
      const white = where(out, (v) => v[0]! > 235 && v[1]! > 235 && v[2]! > 235);
      assert.ok(white.count > 100 && white.minX >= 0 && white.maxX < 400, position);
      if (position === 'centre') assert.ok(Math.abs((white.minY + white.maxY) / 2 - 150) < 20);
    }
  });
});

describe('local ops: several images', () => {
  it('side by side at a default size: the width is the sum of the images at a common height', () => {
    const frame = frameCollage({ size: { width: 640, height: 480 }, sizeSource: 'default' }, [], 'horizontal', [0, 1], [{ width: 640, height: 480 }, { width: 480, height: 480 }]);
    assert.deepEqual(frame.size, { width: 640 + 480, height: 480 });
    assert.deepEqual(frame.cells.map((c) => c.cell), [{ left: 0, top: 0, width: 640, height: 480 }, { left: 640, top: 0, width: 480, height: 480 }]);
    const stacked = frameCollage({ size: { width: 640, height: 480 }, sizeSource: 'request' }, [], 'vertical', [0, 1, 2], []);
    assert.deepEqual(stacked.cells.map((c) => c.cell.height).reduce((a, b) => a + b, 0), 480);
  });

  it('a grid of three puts two on top and centres the third below, on white', () => {
    const frame = frameCollage({ size: { width: 400, height: 300 }, sizeSource: 'request' }, [], 'grid', [0, 1, 2], []);
    assert.deepEqual(frame.cells.map((c) => c.cell), [
      { left: 0, top: 0, width: 200, height: 150 },
      { left: 200, top: 0, width: 200, height: 150 },
      { left: 100, top: 150, width: 200, height: 150 },
    ]);
    const canvas = assemble(frame.size, frame.cells.map(({ cell }, k) => ({ tile: flat(cell.width, cell.height, k === 2 ? [0, 0, 200] : [200, 0, 0]), cell })));
    assert.deepEqual(pixel(canvas, 50, 200), [255, 255, 255]);
    assert.deepEqual(pixel(canvas, 200, 200), [0, 0, 200]);
    assert.deepEqual(pixel(canvas, 300, 100), [200, 0, 0]);
  });

  it('placing image 2 in the bottom-right corner changes only that region', async () => {
    const base = scene(300, 200);
    const overlay = flat(100, 100, [250, 10, 10]);
    const out = await place(base, overlay, { position: 'bottom-right', scale: 0.3, margin: 0.03 });
    // 30 % of 300×200 → a 60×60 box (the overlay is square), 6 px from the right and bottom edges.
    let changedOutside = 0;
    let redInside = 0;
    for (let y = 0; y < 200; y++) {
      for (let x = 0; x < 300; x++) {
        const inside = x >= 300 - 6 - 60 && x < 300 - 6 && y >= 200 - 6 - 60 && y < 200 - 6;
        const same = pixel(out, x, y).every((v, c) => v === pixel(base, x, y)[c]);
        if (!inside && !same) changedOutside++;
        if (inside && isRed(pixel(out, x, y))) redInside++;
      }
    }
    assert.equal(changedOutside, 0);
    assert.equal(redInside, 60 * 60);
  });

  it('a blend lies between both images, at the opacity', async () => {
    const a = scene(120, 90, 1);
    const b = scene(120, 90, 2).data.map((v) => 255 - v);
    const other: Raster = { data: Buffer.from(b), width: 120, height: 90, channels: 3 };
    const out = await blend(a, other, 0.3);
    for (let i = 0; i < out.data.length; i++) {
      const lo = Math.min(a.data[i]!, other.data[i]!);
      const hi = Math.max(a.data[i]!, other.data[i]!);
      assert.ok(out.data[i]! >= lo - 1 && out.data[i]! <= hi + 1);
      assert.ok(Math.abs(out.data[i]! - (a.data[i]! * 0.7 + other.data[i]! * 0.3)) <= 1);
    }
  });
});
