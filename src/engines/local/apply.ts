/**
 * One plan operation on one image. Everything comes from the image's own seed (call seed + i),
 * never from its index in its call, so an image is the same whichever call makes it. The main
 * parameter sits at one of the operation's evenly spaced points in its range (`variant`, from the
 * seed, see edit.ts), so the images of one task differ visibly by construction; the others are
 * drawn from a PRNG seeded by the seed and the operation's place in the plan.
 */
import type { Size } from '../../domain/models.js';
import { cartoon } from './ops/cartoon.js';
import { oilPainting, pencilSketch, watercolour } from './ops/art.js';
import { blend, place } from './ops/compose.js';
import { border, pixelate, vignette } from './ops/effects.js';
import { blur, sharpen, upscale } from './ops/filter.js';
import { flip, rotate } from './ops/geometry.js';
import type { LabStats } from './ops/style.js';
import { colourTransfer } from './ops/style.js';
import type { Weights } from './ops/tone.js';
import { LUMA, brightness, gammaForChange, grayscale, invert, linearTone, posterise, saturation, sepia, temperature } from './ops/tone.js';
import type { PlanOp, Position } from './plan.js';
import type { Rng } from './raster/prng.js';
import { between, rngFor } from './raster/prng.js';
import type { Range } from './ops/ranges.js';
import { BW_FILTERS, FRAME_COLOURS, RANGES, textBox, variantCount } from './ops/ranges.js';
import type { Raster } from './raster/raster.js';
import { drawText } from './ops/text.js';
import { blurBackground, cutOut, onColour, onImage } from './ops/matting/backgrounds.js';
import type { Matte } from './ops/matting/matte.js';
import { matteOf, roughMatteWarning } from './ops/matting/matte.js';

/** Operations that run on every image; crop and collage shape the picture before (framing.ts). */
export type ChainOp = Exclude<PlanOp, { op: 'crop' } | { op: 'collage' }>;

export function isChainOp(op: PlanOp): op is ChainOp {
  return op.op !== 'crop' && op.op !== 'collage';
}

export interface Sources {
  /** Colour statistics of the style sources, by input index. */
  styles: ReadonlyMap<number, LabStats>;
  /** Decoded images to place or blend, by input index. */
  images: ReadonlyMap<number, Raster>;
  /** Where an upscale ends, in the frame of the input (see framing.ts). */
  upscaleTo?: Size | undefined;
  /** Warnings found while working (a rough background matte), shared by the call's images. */
  notes?: Set<string> | undefined;
}

export interface VariantContext {
  /** The image's own seed (call seed + i). */
  seed: number;
  /** Position of the operation in the plan, so each operation draws its own stream. */
  step: number;
  /** This image's variant of the plan (from its seed, 0 ≤ variant < variants) and how many the plan has. */
  variant: number;
  variants: number;
  sources: Sources;
}

function pickIn(rng: Rng, [min, max]: Range): number {
  return between(rng, min, max);
}

/**
 * Where this image's main parameter sits in the operation's range, 0–1: one of the operation's
 * `variantCount` evenly spaced points (ends included), or the middle when its result is fixed.
 */
function spread(op: PlanOp, ctx: VariantContext): number {
  const count = variantCount(op);
  if (count <= 1) return 0.5;
  return Math.floor((ctx.variant * count) / ctx.variants) / (count - 1);
}

function at([min, max]: Range, t: number): number {
  return min + (max - min) * t;
}

/** Geometric interpolation, for sizes whose look changes by ratio (blur sigma, block size). */
function atLog([min, max]: Range, t: number): number {
  return min * (max / min) ** t;
}

/** Sizes are specified at 1024×1024; a 2048² output needs twice the pixels for the same look. */
function sizeScale(raster: Raster): number {
  return Math.max(0.25, Math.sqrt(raster.width * raster.height) / 1024);
}

/** The black-and-white weights at t along the path through the colour filters (BW_FILTERS). */
function filterWeights(t: number): Weights {
  const segments = BW_FILTERS.length - 1;
  const k = Math.min(segments - 1, Math.floor(t * segments));
  const from = BW_FILTERS[k] ?? LUMA, to = BW_FILTERS[k + 1] ?? LUMA;
  const u = t * segments - k;
  const mix = (c: 0 | 1 | 2): number => from[c] + (to[c] - from[c]) * u;
  return [mix(0), mix(1), mix(2)];
}

const TEXT_BOX_WIDTH = { edge: 0.86, corner: 0.45, side: 0.42 } as const;

function textPlacement(position: Position, t: number): { boxWidth: number; boxHeight: number } {
  const box = textBox(position);
  return { boxWidth: TEXT_BOX_WIDTH[box], boxHeight: at(RANGES.textHeight[box], t) };
}

/** The upscale target for a raster that may have been turned since the frame was worked out. */
function turnedLike(raster: Raster, size: Size): Size {
  const rasterWide = raster.width > raster.height;
  const sizeWide = size.width > size.height;
  return rasterWide === sizeWide || size.width === size.height ? size : { width: size.height, height: size.width };
}

function source(ctx: VariantContext, index: number): Raster {
  const image = ctx.sources.images.get(index);
  if (image === undefined) throw new Error(`image ${index + 1} was not decoded`);
  return image;
}

/** The picture's subject matte, noting when it is probably rough. */
function matte(raster: Raster, ctx: VariantContext): Matte {
  const found = matteOf(raster);
  if (found.busy !== undefined) ctx.sources.notes?.add(roughMatteWarning(found.busy));
  return found;
}

export async function applyOp(raster: Raster, op: ChainOp, ctx: VariantContext): Promise<Raster> {
  const rng = rngFor(ctx.seed, ctx.step);
  const scale = sizeScale(raster);
  const t = spread(op, ctx);
  switch (op.op) {
    case 'grayscale':
      return grayscale(raster, filterWeights(t));
    case 'invert':
      return invert(raster);
    case 'rotate':
      return rotate(raster, op.angle);
    case 'flip':
      return flip(raster, op.axis);
    case 'sepia':
      return sepia(raster, { green: at(RANGES.sepiaGreen, t), blue: at(RANGES.sepiaBlue, t) });
    case 'blur':
      return blur(raster, atLog(RANGES.blurSigma[op.strength], t) * scale);
    case 'sharpen':
      return sharpen(raster, { sigma: at(RANGES.sharpenSigma[op.strength], t) * scale, amount: at(RANGES.sharpenAmount[op.strength], t) });
    case 'brightness': {
      if (op.percent !== undefined) return brightness(raster, gammaForChange((op.direction === 'up' ? 1 : -1) * (op.percent / 100)));
      const ranges = op.direction === 'up' ? RANGES.brightenGamma : RANGES.darkenGamma;
      return brightness(raster, at(ranges[op.strength], t));
    }
    case 'contrast': {
      const ranges = op.direction === 'up' ? RANGES.contrastUp : RANGES.contrastDown;
      return linearTone(raster, { contrast: at(ranges[op.strength], t), offset: 0 });
    }
    case 'saturation': {
      const ranges = op.direction === 'up' ? RANGES.saturationUp : RANGES.saturationDown;
      return saturation(raster, at(ranges[op.strength], t));
    }
    case 'temperature':
      return temperature(raster, (op.direction === 'warm' ? 1 : -1) * at(RANGES.temperature[op.strength], t));
    case 'posterise':
      if (op.levels !== undefined) return posterise(raster, op.levels);
      return posterise(raster, Math.round(at(RANGES.posteriseLevels[op.strength], t)), pickIn(rng, RANGES.posterisePhase));
    case 'pixelate': {
      const block = Math.max(2, Math.round(atLog(RANGES.pixelBlock[op.strength], t) * scale));
      return pixelate(raster, block, { x: rng() * block, y: rng() * block });
    }
    case 'oil':
      return oilPainting(raster, { radius: atLog(RANGES.oilRadius[op.strength], t) * scale, saturation: at(RANGES.oilSaturation, t) });
    case 'sketch':
      return pencilSketch(raster, {
        strokeSigma: atLog(RANGES.sketchSigma[op.strength], t) * scale,
        darkness: at(RANGES.sketchDarkness[op.strength], t),
        paper: Math.round(pickIn(rng, RANGES.sketchPaper)),
      });
    case 'watercolour':
      return watercolour(raster, {
        washSigma: atLog(RANGES.watercolourSigma[op.strength], t) * scale,
        edgeThreshold: pickIn(rng, RANGES.watercolourEdge),
        lightness: at(RANGES.watercolourLight, t),
        pooling: pickIn(rng, RANGES.watercolourPooling),
        grain: pickIn(rng, RANGES.watercolourGrain),
        grainSeed: Math.floor(rng() * 0xffffffff),
      });
    case 'vignette':
      return vignette(raster, { strength: at(RANGES.vignetteStrength[op.strength], t), inner: at(RANGES.vignetteInner, 1 - t) });
    case 'border': {
      // Without a named colour the variants walk the frame colours, each at its own thickness.
      const colour = op.colour?.rgb ?? FRAME_COLOURS[Math.round(t * (FRAME_COLOURS.length - 1))] ?? [255, 255, 255];
      return border(raster, op.pixels ?? at(RANGES.borderShare[op.thickness], t) * Math.min(raster.width, raster.height), colour);
    }
    case 'upscale': {
      const target = turnedLike(raster, ctx.sources.upscaleTo ?? raster);
      const detailScale = Math.sqrt(raster.width * raster.height) / 1024;
      return upscale(raster, target, { sigma: at(RANGES.upscaleSigma, t) * Math.max(0.5, detailScale), amount: at(RANGES.upscaleAmount, t) });
    }
    case 'cartoon':
      return cartoon(raster, {
        colours: Math.round(at(RANGES.cartoonColours, 1 - t)),
        smoothRadius: at(RANGES.cartoonSmooth, t) * scale,
        edgeSigma: RANGES.cartoonEdgeSigma * scale,
        edgeLow: RANGES.cartoonEdge[0],
        edgeHigh: RANGES.cartoonEdge[1],
        outline: Math.max(1, Math.round(RANGES.cartoonOutline * scale)),
        seed: Math.floor(rng() * 0xffffffff),
      });
    case 'style': {
      const reference = ctx.sources.styles.get(op.source);
      if (reference === undefined) throw new Error(`no colour statistics for image ${op.source + 1}`);
      return colourTransfer(raster, reference, at(RANGES.styleStrength, t));
    }
    case 'text':
      return drawText(raster, op.text, { ...textPlacement(op.position, t), position: op.position, colour: op.colour?.rgb });
    case 'place':
      return place(raster, source(ctx, op.source), { position: op.position, scale: op.scale ?? at(RANGES.placeScale, t), margin: RANGES.placeMargin });
    case 'blend':
      return blend(raster, source(ctx, op.source), op.opacity ?? at(RANGES.blendOpacity, t));
    case 'removeBackground':
      return cutOut(raster, matte(raster, ctx));
    case 'colourBackground': {
      const shadow = { opacity: pickIn(rng, RANGES.shadowOpacity), sigma: pickIn(rng, RANGES.shadowSigma) * scale, drop: pickIn(rng, RANGES.shadowDrop) * raster.height };
      return onColour(raster, matte(raster, ctx), op.colour.rgb, shadow);
    }
    case 'imageBackground':
      return onImage(raster, matte(raster, ctx), source(ctx, op.source), { soften: pickIn(rng, RANGES.sceneSoften) * scale, harmonise: pickIn(rng, RANGES.sceneHarmonise) });
    case 'blurBackground':
      return blurBackground(raster, matte(raster, ctx), atLog(RANGES.backgroundBlur[op.strength], t) * scale);
  }
}
