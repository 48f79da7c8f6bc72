/** The contact shadow of a plain-colour background: smooth, and right under the subject. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { onColour } from '../../../../../src/engines/local/ops/matting/backgrounds.js';
import { lumaOf, pixel } from '../fixtures.js';
import { subjectScene } from './scenes.js';

describe('contact shadow', () => {
  it('is smooth (no row stripes) and darkest just below the subject', async () => {
    const side = 320;
    const { raster, mask } = subjectScene('plain', side, side);
    const alpha = Uint8Array.from(mask, (m) => m * 255);
    const drop = 6;
    const sigma = 12;
    const out = await onColour(raster, { alpha }, [255, 255, 255], { opacity: 0.3, sigma, drop });
    let bottom = 0;
    let bottomX = 0;
    for (let p = 0; p < mask.length; p++) {
      if (mask[p] === 1 && Math.floor(p / side) >= bottom) [bottom, bottomX] = [Math.floor(p / side), p % side];
    }
    // Backdrop pixels: neither they nor their neighbour below touch the subject (with a margin).
    const nearSubject = (x: number, y: number): boolean => {
      for (let dy = -2; dy <= 3; dy++) for (let dx = -2; dx <= 2; dx++) if (mask[Math.min(side - 1, Math.max(0, y + dy)) * side + Math.min(side - 1, Math.max(0, x + dx))] === 1) return true;
      return false;
    };
    // Subject pixels in the square of radius r around (x, y), from an integral image.
    const sums = new Int32Array((side + 1) * (side + 1));
    for (let y = 0; y < side; y++) for (let x = 0; x < side; x++) sums[(y + 1) * (side + 1) + x + 1] = mask[y * side + x]! + sums[y * (side + 1) + x + 1]! + sums[(y + 1) * (side + 1) + x]! - sums[y * (side + 1) + x]!;
    const around = (x: number, y: number, r: number): number => {
      const x0 = Math.max(0, x - r), y0 = Math.max(0, y - r), x1 = Math.min(side, x + r + 1), y1 = Math.min(side, y + r + 1);
      return sums[y1 * (side + 1) + x1]! - sums[y0 * (side + 1) + x1]! - sums[y1 * (side + 1) + x0]! + sums[y0 * (side + 1) + x0]!;
    };
    let worstStep = 0;
    let flat = 0;
    let darkest = { luma: Infinity, x: 0, y: 0 };
    for (let y = 0; y < side - 1; y++) {
      for (let x = 0; x < side; x++) {
        if (nearSubject(x, y)) continue;
        const luma = lumaOf(pixel(out, x, y));
        if (luma < darkest.luma) darkest = { luma, x, y };
        // A flat stretch of backdrop: beyond the shadow's reach (the drop and three sigmas).
        if (around(x, y, drop + 3 * sigma + 1) > 0) continue;
        flat++;
        worstStep = Math.max(worstStep, Math.abs(luma - lumaOf(pixel(out, x, y + 1))));
      }
    }
    assert.ok(flat > 5000, `${flat} flat backdrop pixels`);
    assert.ok(worstStep <= 2, `neighbouring backdrop rows differ by up to ${worstStep.toFixed(1)} levels`);
    assert.ok(darkest.luma < 250, `a visible shadow (darkest backdrop luma ${darkest.luma.toFixed(1)})`);
    // The darkest backdrop pixel lies just under a part of the subject, in its own column.
    let above = darkest.y;
    while (above > 0 && mask[above * side + darkest.x] === 0) above--;
    assert.ok(mask[above * side + darkest.x] === 1 && darkest.y - above <= drop + sigma, `darkest backdrop at (${darkest.x}, ${darkest.y}), subject above it at y ${above}`);
    // Under the subject's lowest point the shade deepens right below it and fades further down.
    const column = (y: number): number => lumaOf(pixel(out, bottomX, y));
    let deepest = bottom + 3;
    for (let y = bottom + 3; y < side; y++) if (column(y) < column(deepest)) deepest = y;
    assert.ok(deepest <= bottom + drop + sigma && column(deepest) < 245, `under the bottom (y ${bottom}) the shade is deepest at y ${deepest} (luma ${column(deepest).toFixed(1)})`);
  });
});
