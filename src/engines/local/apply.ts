/**
 * One plan operation on one variant. Parameters come from a PRNG seeded by the variant's seed, so
 * the same seed gives the same pixels and different seeds differ visibly within each range below.
 */
import { cartoon } from './ops-cartoon.js';
import { blur, sharpen } from './ops-filter.js';
import { flip, rotate } from './ops-geometry.js';
import type { LabStats } from './ops-style.js';
import { colourTransfer } from './ops-style.js';
import { brightness, gammaForChange, grayscale, invert, linearTone, saturation, sepia } from './ops-tone.js';
import type { PlanOp, Strength } from './plan.js';
import type { Rng } from './prng.js';
import { between, rngFor, signed } from './prng.js';
import type { Raster } from './raster.js';
import { drawText } from './text.js';

type Range = readonly [number, number];

/** Seeded ranges. Sigmas are in pixels at a 1024×1024 output and scale with the output's size. */
export const RANGES = {
  blurSigma: { light: [0.8, 1.6], normal: [2, 4], strong: [5, 9] } satisfies Record<Strength, Range>,
  sharpenSigma: { light: [0.6, 1], normal: [1, 1.6], strong: [1.4, 2.2] } satisfies Record<Strength, Range>,
  sharpenAmount: { light: [0.4, 0.7], normal: [0.8, 1.3], strong: [1.5, 2.2] } satisfies Record<Strength, Range>,
  /** Gamma of the brightness curve: < 1 brightens (mid-grey +6…+41 %), > 1 darkens (−7…−50 %). */
  brightenGamma: { light: [0.86, 0.92], normal: [0.7, 0.8], strong: [0.5, 0.62] } satisfies Record<Strength, Range>,
  darkenGamma: { light: [1.1, 1.18], normal: [1.25, 1.45], strong: [1.6, 2] } satisfies Record<Strength, Range>,
  /** Contrast factor around mid-grey. */
  contrastUp: { light: [1.08, 1.15], normal: [1.2, 1.35], strong: [1.4, 1.6] } satisfies Record<Strength, Range>,
  contrastDown: { light: [0.88, 0.93], normal: [0.72, 0.85], strong: [0.55, 0.68] } satisfies Record<Strength, Range>,
  /** Factor on each pixel's distance from its luma. */
  saturationUp: { light: [1.12, 1.22], normal: [1.3, 1.5], strong: [1.6, 1.9] } satisfies Record<Strength, Range>,
  saturationDown: { light: [0.82, 0.9], normal: [0.5, 0.7], strong: [0.25, 0.4] } satisfies Record<Strength, Range>,
  /** Green and blue scales of the sepia tint (red is 1): hue about 25–40°. */
  sepiaGreen: [0.8, 0.88] as Range,
  sepiaBlue: [0.58, 0.7] as Range,
  /** Posterise levels per channel (integer), outline threshold, smoothing sigma. */
  cartoonLevels: [6, 8] as Range,
  cartoonEdge: [60, 100] as Range,
  cartoonSmooth: [2, 3.5] as Range,
  cartoonEdgeSigma: 1.2,
  /** 1 matches the reference's colour statistics fully. */
  styleStrength: [0.75, 1] as Range,
  /** Jitter of variants i > 0 for operations without a natural parameter: ±3–6 % contrast, ±2–6 levels. */
  jitterContrast: [0.03, 0.06] as Range,
  jitterOffset: [2, 6] as Range,
} as const;

export interface VariantContext {
  /** The variant's own seed (call seed + i). */
  seed: number;
  /** i: variant 0 is the pure operation where the operation has no natural parameter. */
  variant: number;
  /** Position of the operation in the plan, so each operation draws its own stream. */
  step: number;
  /** Colour statistics of the style sources, by input index. */
  styles: ReadonlyMap<number, LabStats>;
}

function pickIn(rng: Rng, [min, max]: Range): number {
  return between(rng, min, max);
}

/** Sigmas are specified at 1024×1024; a 2048² output needs twice the sigma for the same look. */
function sizeScale(raster: Raster): number {
  return Math.max(0.25, Math.sqrt(raster.width * raster.height) / 1024);
}

function jitter(raster: Raster, rng: Rng, variant: number): Raster {
  if (variant === 0) return raster;
  const contrast = 1 + signed(rng, RANGES.jitterContrast[0], RANGES.jitterContrast[1]);
  return linearTone(raster, { contrast, offset: signed(rng, RANGES.jitterOffset[0], RANGES.jitterOffset[1]) });
}

export async function applyOp(raster: Raster, op: PlanOp, ctx: VariantContext): Promise<Raster> {
  const rng = rngFor(ctx.seed, ctx.step);
  const scale = sizeScale(raster);
  switch (op.op) {
    case 'grayscale':
      return jitter(await grayscale(raster), rng, ctx.variant);
    case 'invert':
      return jitter(await invert(raster), rng, ctx.variant);
    case 'rotate':
      return jitter(await rotate(raster, op.angle), rng, ctx.variant);
    case 'flip':
      return jitter(await flip(raster, op.axis), rng, ctx.variant);
    case 'text':
      return jitter(await drawText(raster, op.text, { boxWidth: 0.86, boxHeight: 0.16, centreY: 0.86 }), rng, ctx.variant);
    case 'sepia':
      return sepia(raster, { green: pickIn(rng, RANGES.sepiaGreen), blue: pickIn(rng, RANGES.sepiaBlue) });
    case 'blur':
      return blur(raster, pickIn(rng, RANGES.blurSigma[op.strength]) * scale);
    case 'sharpen':
      return sharpen(raster, {
        sigma: pickIn(rng, RANGES.sharpenSigma[op.strength]) * scale,
        amount: pickIn(rng, RANGES.sharpenAmount[op.strength]),
      });
    case 'brightness': {
      if (op.percent !== undefined) {
        const change = (op.direction === 'up' ? 1 : -1) * (op.percent / 100);
        return jitter(brightness(raster, gammaForChange(change)), rng, ctx.variant);
      }
      const ranges = op.direction === 'up' ? RANGES.brightenGamma : RANGES.darkenGamma;
      return brightness(raster, pickIn(rng, ranges[op.strength]));
    }
    case 'contrast': {
      const ranges = op.direction === 'up' ? RANGES.contrastUp : RANGES.contrastDown;
      return linearTone(raster, { contrast: pickIn(rng, ranges[op.strength]), offset: 0 });
    }
    case 'saturation': {
      const ranges = op.direction === 'up' ? RANGES.saturationUp : RANGES.saturationDown;
      return saturation(raster, pickIn(rng, ranges[op.strength]));
    }
    case 'cartoon':
      return cartoon(raster, {
        levels: Math.round(pickIn(rng, RANGES.cartoonLevels)),
        edgeThreshold: pickIn(rng, RANGES.cartoonEdge),
        smoothSigma: pickIn(rng, RANGES.cartoonSmooth) * scale,
        edgeSigma: RANGES.cartoonEdgeSigma * scale,
      });
    case 'style': {
      const reference = ctx.styles.get(op.source);
      if (reference === undefined) throw new Error(`no colour statistics for image ${op.source + 1}`);
      return colourTransfer(raster, reference, pickIn(rng, RANGES.styleStrength));
    }
  }
}
