/** The built-in engine's CPU budget per call: estimated work, images within it, a refusal past it. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseInstruction } from '../../../../src/engines/local/index.js';
import { WORK_BUDGET_MS, imagesWithinBudget, workPerImage } from '../../../../src/engines/local/work-budget.js';
import { makeCall, picture, rejects } from './fixtures.js';

/** Eight cartoons, each followed by an oil painting: about 22 s of CPU per 2048² image. */
const HEAVY_CHAIN = Array.from({ length: 8 }, () => 'anime style, then oil painting').join(', then ');
const opsOf = (prompt: string) => parseInstruction(prompt, { imageCount: 1 }).ops;
const SIDE_2K = { width: 2048, height: 2048 };

describe('local engine: work budget', () => {
  it('estimates work in proportion to pixels and to what each operation costs', () => {
    const cartoon = opsOf('anime style');
    const invert = opsOf('invert the colours');
    assert.ok(Math.abs(workPerImage(cartoon, SIDE_2K) / workPerImage(cartoon, { width: 1024, height: 1024 }) - 4) < 1e-9);
    assert.ok(workPerImage(cartoon, SIDE_2K) > 5 * workPerImage(invert, SIDE_2K));
    assert.ok(workPerImage(opsOf(HEAVY_CHAIN), SIDE_2K) > 9 * workPerImage(cartoon, SIDE_2K));
  });

  it('lets the heaviest single operation make six 2048² images, and a chain of sixteen heavy ones none', () => {
    for (const prompt of ['anime style', 'remove the background', 'blur the background', 'oil painting']) {
      assert.ok(imagesWithinBudget(opsOf(prompt), SIDE_2K) >= 6, prompt);
    }
    assert.equal(imagesWithinBudget(opsOf(HEAVY_CHAIN), SIDE_2K), 0);
    assert.ok(imagesWithinBudget(opsOf(HEAVY_CHAIN), { width: 1024, height: 1024 }) >= 1);
    assert.ok(WORK_BUDGET_MS / workPerImage(opsOf(HEAVY_CHAIN), SIDE_2K) < 1);
  });

  it('refuses a call whose one image is over the budget before working on it, saying what to change', async () => {
    const image = await picture(320, 240);
    await rejects(
      makeCall({ images: [image], prompt: HEAVY_CHAIN, size: SIDE_2K, n: 6 }),
      'engine_rejected',
      /will not run this edit: 16 operations at 2048×2048 come to about \d+ s of CPU per image, over its budget of 20 s per call; ask for a smaller size or fewer operations/,
    );
  });
});
