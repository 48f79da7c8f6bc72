/**
 * One plan operation on one image. Parameters come from a PRNG seeded by the image's own seed
 * (call seed + i) and the operation's place in the plan, never by the image's index in its call,
 * so a task split across calls gives the same images.
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
import { between, rngFor, signed } from './raster/prng.js';
import type { Range } from './ops/ranges.js';
import { BW_FILTERS, FRAME_COLOURS, RANGES } from './ops/ranges.js';
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
  sources: Sources;
}

function pickIn(rng: Rng, [min, max]: Range): number {
  return between(rng, min, max);
}

/** Sizes are specified at 1024×1024; a 2048² output needs twice the pixels for the same look. */
function sizeScale(raster: Raster): number {
  return Math.max(0.25, Math.sqrt(raster.width * raster.height) / 1024);
}

/** A gentle tone variation, for plans whose operations have no parameter of their own. */
export function jitter(raster: Raster, seed: number): Raster {
  const rng = rngFor(seed, 0x7fff);
  const contrast = 1 + signed(rng, RANGES.jitterContrast[0], RANGES.jitterContrast[1]);
  return linearTone(raster, { contrast, offset: signed(rng, RANGES.jitterOffset[0], RANGES.jitterOffset[1]) });
}

function filterWeights(rng: Rng): Weights {
  const filter = BW_FILTERS[Math.floor(rng() * BW_FILTERS.length)] ?? LUMA;
  const t = pickIn(rng, RANGES.grayscaleFilter);
  const mix = (c: 0 | 1 | 2): number => LUMA[c] + (filter[c] - LUMA[c]) * t;
  return [mix(0), mix(1), mix(2)];
}

function textPlacement(position: Position, rng: Rng): { boxWidth: number; boxHeight: number } {
  if (position.includes('-')) return { boxWidth: 0.45, boxHeight: pickIn(rng, RANGES.textHeight.corner) };
  if (position === 'left' || position === 'right') return { boxWidth: 0.42, boxHeight: pickIn(rng, RANGES.textHeight.side) };
  return { boxWidth: 0.86, boxHeight: pickIn(rng, RANGES.textHeight.edge) };
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
  switch (op.op) {
    case 'grayscale':
      return grayscale(raster, filterWeights(rng));
    case 'invert':
      return invert(raster);
    case 'rotate':
      return rotate(raster, op.angle);
    case 'flip':
      return flip(raster, op.axis);
    case 'sepia':
      return sepia(raster, { green: pickIn(rng, RANGES.sepiaGreen), blue: pickIn(rng, RANGES.sepiaBlue) });
    case 'blur':
      return blur(raster, pickIn(rng, RANGES.blurSigma[op.strength]) * scale);
    case 'sharpen':
      return sharpen(raster, { sigma: pickIn(rng, RANGES.sharpenSigma[op.strength]) * scale, amount: pickIn(rng, RANGES.sharpenAmount[op.strength]) });
    case 'brightness': {
      if (op.percent !== undefined) return brightness(raster, gammaForChange((op.direction === 'up' ? 1 : -1) * (op.percent / 100)));
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
    case 'temperature':
      return temperature(raster, (op.direction === 'warm' ? 1 : -1) * pickIn(rng, RANGES.temperature[op.strength]));
    case 'posterise':
      return posterise(raster, op.levels ?? Math.round(pickIn(rng, RANGES.posteriseLevels[op.strength])), pickIn(rng, RANGES.posterisePhase));
    case 'pixelate': {
      const block = Math.max(2, Math.round(pickIn(rng, RANGES.pixelBlock[op.strength]) * scale));
      return pixelate(raster, block, { x: rng() * block, y: rng() * block });
    }
    case 'oil':
      return oilPainting(raster, { radius: pickIn(rng, RANGES.oilRadius[op.strength]) * scale, saturation: pickIn(rng, RANGES.oilSaturation) });
    case 'sketch':
      return pencilSketch(raster, {
        strokeSigma: pickIn(rng, RANGES.sketchSigma[op.strength]) * scale,
        darkness: pickIn(rng, RANGES.sketchDarkness[op.strength]),
        paper: Math.round(pickIn(rng, RANGES.sketchPaper)),
      });
    case 'watercolour':
      return watercolour(raster, {
        washSigma: pickIn(rng, RANGES.watercolourSigma[op.strength]) * scale,
        edgeThreshold: pickIn(rng, RANGES.watercolourEdge),
        lightness: pickIn(rng, RANGES.watercolourLight),
        pooling: pickIn(rng, RANGES.watercolourPooling),
        grain: pickIn(rng, RANGES.watercolourGrain),
        grainSeed: Math.floor(rng() * 0xffffffff),
      });
    case 'vignette':
      return vignette(raster, { strength: pickIn(rng, RANGES.vignetteStrength[op.strength]), inner: pickIn(rng, RANGES.vignetteInner) });
    case 'border': {
      const share = pickIn(rng, RANGES.borderShare[op.thickness]);
      const colour = op.colour?.rgb ?? FRAME_COLOURS[Math.floor(rng() * FRAME_COLOURS.length)] ?? [255, 255, 255];
      return border(raster, op.pixels ?? share * Math.min(raster.width, raster.height), colour);
    }
    case 'upscale': {
      const target = turnedLike(raster, ctx.sources.upscaleTo ?? raster);
      const detailScale = Math.sqrt(raster.width * raster.height) / 1024;
      return upscale(raster, target, { sigma: pickIn(rng, RANGES.upscaleSigma) * Math.max(0.5, detailScale), amount: pickIn(rng, RANGES.upscaleAmount) });
    }
    case 'cartoon':
      return cartoon(raster, {
        levels: Math.round(pickIn(rng, RANGES.cartoonLevels)),
        edgeThreshold: pickIn(rng, RANGES.cartoonEdge),
        smoothSigma: pickIn(rng, RANGES.cartoonSmooth) * scale,
        edgeSigma: RANGES.cartoonEdgeSigma * scale,
      });
    case 'style': {
      const reference = ctx.sources.styles.get(op.source);
      if (reference === undefined) throw new Error(`no colour statistics for image ${op.source + 1}`);
      return colourTransfer(raster, reference, pickIn(rng, RANGES.styleStrength));
    }
    case 'text':
      return drawText(raster, op.text, { ...textPlacement(op.position, rng), position: op.position, colour: op.colour?.rgb });
    case 'place':
      return place(raster, source(ctx, op.source), { position: op.position, scale: op.scale ?? pickIn(rng, RANGES.placeScale), margin: RANGES.placeMargin });
    case 'blend':
      return blend(raster, source(ctx, op.source), op.opacity ?? pickIn(rng, RANGES.blendOpacity));
    case 'removeBackground':
      return cutOut(raster, matte(raster, ctx));
    case 'colourBackground': {
      const shadow = { opacity: pickIn(rng, RANGES.shadowOpacity), sigma: pickIn(rng, RANGES.shadowSigma) * scale, drop: pickIn(rng, RANGES.shadowDrop) * raster.height };
      return onColour(raster, matte(raster, ctx), op.colour.rgb, shadow);
    }
    case 'imageBackground':
      return onImage(raster, matte(raster, ctx), source(ctx, op.source), { soften: pickIn(rng, RANGES.sceneSoften) * scale, harmonise: pickIn(rng, RANGES.sceneHarmonise) });
    case 'blurBackground':
      return blurBackground(raster, matte(raster, ctx), pickIn(rng, RANGES.backgroundBlur[op.strength]) * scale);
  }
}
