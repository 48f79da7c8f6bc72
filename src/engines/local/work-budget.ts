/**
 * How much CPU one call of the built-in engine may spend. The engine is free by default, so a
 * key's balance does not bound it: without a budget one request chaining heavy operations on six
 * 2048² images kept a 2-core node busy for two minutes. Each operation's cost is estimated from its
 * time per megapixel on a 2-core machine; a call makes only as many images as fit the budget.
 */
import type { Size } from '../../domain/models.js';
import type { PlanOp } from './plan.js';

/** The work one call may do, in estimated milliseconds on a 2-core machine. */
export const WORK_BUDGET_MS = 20_000;

/**
 * Milliseconds per megapixel of the operations that cost more than the rest (measured at 1024²).
 * The background operations' matte is found once per call at a fixed small size; what grows with
 * the picture is its refinement and compositing at full size.
 */
const COST_PER_MEGAPIXEL: Partial<Record<PlanOp['op'], number>> = {
  cartoon: 500,
  removeBackground: 300,
  colourBackground: 300,
  imageBackground: 300,
  blurBackground: 300,
  oil: 150,
  watercolour: 130,
  style: 110,
  sketch: 70,
  vignette: 60,
};
/** Every other operation, and decoding and encoding the picture once. */
const BASE_PER_MEGAPIXEL = 40;

/** Estimated milliseconds to make one image of `ops` at `size`. */
export function workPerImage(ops: readonly PlanOp[], size: Size): number {
  const megapixels = (size.width * size.height) / 1e6;
  return ops.reduce((sum, op) => sum + (COST_PER_MEGAPIXEL[op.op] ?? BASE_PER_MEGAPIXEL), BASE_PER_MEGAPIXEL) * megapixels;
}

/** How many images of this plan fit the budget (0 when not even one does). */
export function imagesWithinBudget(ops: readonly PlanOp[], size: Size): number {
  return Math.floor(WORK_BUDGET_MS / workPerImage(ops, size));
}
