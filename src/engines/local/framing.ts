/**
 * Sizes, before any pixel is touched. Everything is worked out in the frame of the input picture
 * (before the plan's quarter turns): the size to decode at, the crops, the size an upscale ends
 * at, and a collage's cells. The output is that size, turned on its side if the plan turns it.
 */
import type { Size } from '../../domain/models.js';
import { areaSize, roundTo } from '../../domain/size.js';
import type { EngineCall } from '../engine.js';
import type { Rect } from './ops/compose.js';
import type { CollageLayout, PlanOp, Ratio } from './plan.js';
import { turnsSideways } from './plan.js';
import { centredRegion } from './raster/raster.js';

/** An upscale with a default size grows the long side to at most this (unless it is already longer). */
const UPSCALE_MAX_SIDE = 2048;
/** A collage with a default size keeps each image at about the default resolution, up to this long side. */
const COLLAGE_MAX_SIDE = 3072;
const DEFAULT_UPSCALE = 2;

type SizeRequest = Pick<EngineCall, 'size' | 'sizeSource'>;

function transpose(size: Size): Size {
  return { width: size.height, height: size.width };
}

const pixels = (size: Size): number => size.width * size.height;

/** The crops of the plan, as ratios in the input's frame (a crop after a quarter turn is turned back). */
function cropsOf(ops: readonly PlanOp[]): Ratio[] {
  const crops: Ratio[] = [];
  let sideways = false;
  for (const op of ops) {
    if (op.op === 'rotate' && op.angle !== 180) sideways = !sideways;
    if (op.op === 'crop') crops.push(sideways ? transpose(op.ratio) : op.ratio);
  }
  return crops;
}

export interface SubjectFrame {
  /** Size to decode the subject at. */
  decode: Size;
  crops: Ratio[];
  /** Size an upscale ends at (when the plan has one). */
  upscaleTo?: Size | undefined;
  /**
   * Size a new background image covers when it is larger than the subject's picture (an asked-for
   * size of another shape: the subject is fitted inside it, not cropped).
   */
  stage?: Size | undefined;
  /** Size of the finished images. */
  output: Size;
}

/** The largest size of `shape`'s proportions inside `box`. */
function fitInside(shape: Size, box: Size): Size {
  const scale = Math.min(box.width / shape.width, box.height / shape.height);
  return { width: Math.max(1, Math.min(box.width, Math.round(shape.width * scale))), height: Math.max(1, Math.min(box.height, Math.round(shape.height * scale))) };
}

const shapeOf = (size: Size): number => size.width / size.height;

/**
 * With an asked-for size the output is exactly that: a crop happens first and the result covers
 * it. With a default size a crop gives the output its shape at about the same number of pixels,
 * and an upscale multiplies the sides (2× unless named) up to UPSCALE_MAX_SIDE.
 *
 * A new background from another image goes behind the subject, so the subject is never cropped to
 * the background's shape: with a default size (which follows the last input image, often the
 * background) the output takes the subject's shape at the same number of pixels; with an asked-for
 * size of another shape the subject is fitted inside it and the background covers the rest.
 */
export function frameSubject(call: SizeRequest, ops: readonly PlanOp[], subject: Size): SubjectFrame {
  const sideways = turnsSideways(ops);
  const crops = cropsOf(ops);
  const upscale = ops.find((op) => op.op === 'upscale');
  const sceneAt = ops.findIndex((op) => op.op === 'imageBackground');
  const onScene = sceneAt >= 0;
  // The subject's picture after its crops, when a new background goes behind it.
  const own = onScene ? centredRegion(subject, crops) : undefined;
  let target: Size;
  let base: Size;
  let stage: Size | undefined;
  let framed: Size;
  if (call.sizeSource === 'request') {
    target = sideways ? transpose(call.size) : { ...call.size };
    framed = target;
    // (With an upscale in the plan the subject keeps the cover framing: the upscale ends at the output.)
    if (own !== undefined && !upscale && Math.abs(shapeOf(own) - shapeOf(target)) > 0.01) {
      // The stage is the output as the background operation sees it (turned if a quarter turn comes first).
      stage = turnsSideways(ops.slice(0, sceneAt)) ? transpose(target) : target;
      target = fitInside(own, target);
    }
    base = target;
  } else {
    const reshape = own !== undefined && crops.length === 0 && Math.abs(shapeOf(own) - shapeOf(call.size)) > 0.01;
    const shape = crops.at(-1) ?? (reshape ? subject : call.size);
    const longest = Math.max(call.size.width, call.size.height);
    base = crops.length > 0 || reshape ? areaSize(shape, pixels(call.size), Math.max(UPSCALE_MAX_SIDE, longest)) : { ...call.size };
    const factor = upscale?.op === 'upscale' ? (upscale.factor ?? DEFAULT_UPSCALE) : 1;
    target = factor > 1 ? areaSize(base, pixels(base) * factor * factor, Math.max(UPSCALE_MAX_SIDE, longest)) : base;
    framed = target;
  }
  const output = sideways ? transpose(framed) : framed;
  if (!upscale) return { decode: target, crops, stage, output };
  // Decode straight at the target when the picture has the pixels for it; otherwise decode small
  // and let the upscale enhance, then enlarge.
  const region = centredRegion(subject, [...crops, target]);
  const decode = pixels(region) >= pixels(target) ? target : base;
  return { decode, crops, upscaleTo: target, output };
}

export interface CollageFrame {
  size: Size;
  /** Input image → the cell it fills. */
  cells: Array<{ image: number; cell: Rect }>;
  output: Size;
}

/** Splits `total` pixels into `parts` integer lengths that add up exactly. */
function split(total: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, k) => Math.floor((total * (k + 1)) / parts) - Math.floor((total * k) / parts));
}

function strip(images: readonly number[], lengths: readonly number[], across: number, horizontal: boolean): CollageFrame['cells'] {
  let at = 0;
  return images.map((image, k) => {
    const length = lengths[k]!;
    const cell = horizontal ? { left: at, top: 0, width: length, height: across } : { left: 0, top: at, width: across, height: length };
    at += length;
    return { image, cell };
  });
}

function grid(images: readonly number[], size: Size): CollageFrame['cells'] {
  const columns = Math.ceil(Math.sqrt(images.length));
  const rows = Math.ceil(images.length / columns);
  const widths = split(size.width, columns);
  const heights = split(size.height, rows);
  return images.map((image, k) => {
    const row = Math.floor(k / columns);
    const column = k % columns;
    // A last row with fewer images is centred.
    const inRow = Math.min(columns, images.length - row * columns);
    const shift = Math.round(((columns - inRow) * size.width) / columns / 2);
    const left = widths.slice(0, column).reduce((a, b) => a + b, 0) + shift;
    const top = heights.slice(0, row).reduce((a, b) => a + b, 0);
    return { image, cell: { left, top, width: widths[column]!, height: heights[row]! } };
  });
}

/** Lengths along a strip for the images' shapes at a common side, the strip capped at COLLAGE_MAX_SIDE. */
function stripLengths(shapes: readonly number[], side: number): { side: number; lengths: number[] } {
  let across = side;
  for (;;) {
    const lengths = shapes.map((shape) => roundTo(across * shape, 16));
    if (lengths.reduce((a, b) => a + b, 0) <= COLLAGE_MAX_SIDE || across <= 16) return { side: across, lengths };
    across -= 16;
  }
}

/**
 * With an asked-for size the cells split it evenly. With a default size every image keeps about
 * the default resolution: side by side at the default height (width = the sum of the images'
 * widths at that height), stacked at the default width, or a grid of default-size cells.
 */
export function frameCollage(call: SizeRequest, ops: readonly PlanOp[], layout: CollageLayout, images: readonly number[], shapes: readonly Size[]): CollageFrame {
  const sideways = turnsSideways(ops);
  const horizontal = layout === 'horizontal';
  let size: Size;
  let cells: CollageFrame['cells'];
  if (call.sizeSource === 'request') {
    size = sideways ? transpose(call.size) : { ...call.size };
    if (layout === 'grid') cells = grid(images, size);
    else cells = strip(images, split(horizontal ? size.width : size.height, images.length), horizontal ? size.height : size.width, horizontal);
  } else if (layout === 'grid') {
    const columns = Math.ceil(Math.sqrt(images.length));
    const rows = Math.ceil(images.length / columns);
    const scale = Math.min(1, COLLAGE_MAX_SIDE / Math.max(call.size.width * columns, call.size.height * rows));
    size = { width: roundTo(call.size.width * scale, 16) * columns, height: roundTo(call.size.height * scale, 16) * rows };
    cells = grid(images, size);
  } else {
    const ratios = shapes.map((s) => (horizontal ? s.width / s.height : s.height / s.width));
    const { side, lengths } = stripLengths(ratios, horizontal ? call.size.height : call.size.width);
    const total = lengths.reduce((a, b) => a + b, 0);
    size = horizontal ? { width: total, height: side } : { width: side, height: total };
    cells = strip(images, lengths, side, horizontal);
  }
  return { size, cells, output: sideways ? transpose(size) : size };
}
