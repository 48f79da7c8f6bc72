/**
 * The parameter ranges of every operation, and how many visibly different results each has
 * (`variantCount`). An image's main parameter sits at one of that many evenly spaced points of
 * its range, chosen by the image's own seed (apply.ts); other parameters are drawn from the seed.
 * Pixel sizes are at a 1024×1024 output and scale with the output's size.
 */
import type { Rgb } from '../raster/palette.js';
import type { PlanOp, Position, Strength } from '../plan.js';
import type { Weights } from './tone.js';

export type Range = readonly [number, number];
type ByStrength = Record<Strength, Range>;

export const RANGES = {
  blurSigma: { light: [0.6, 2.4], normal: [1, 8], strong: [3.5, 18] } satisfies ByStrength,
  sharpenSigma: { light: [0.8, 1.4], normal: [1, 2], strong: [1.4, 3] } satisfies ByStrength,
  sharpenAmount: { light: [0.3, 1], normal: [0.4, 2.3], strong: [1.4, 3] } satisfies ByStrength,
  /** Gamma of the brightness curve: < 1 brightens (mid-grey +6…+41 %), > 1 darkens (−7…−50 %). */
  brightenGamma: { light: [0.82, 0.94], normal: [0.66, 0.84], strong: [0.45, 0.65] } satisfies ByStrength,
  darkenGamma: { light: [1.07, 1.22], normal: [1.2, 1.5], strong: [1.55, 2.2] } satisfies ByStrength,
  /** Contrast factor around mid-grey. */
  contrastUp: { light: [1.06, 1.16], normal: [1.15, 1.45], strong: [1.4, 1.9] } satisfies ByStrength,
  contrastDown: { light: [0.86, 0.94], normal: [0.65, 0.88], strong: [0.4, 0.68] } satisfies ByStrength,
  /** Factor on each pixel's distance from its luma. */
  saturationUp: { light: [1.1, 1.25], normal: [1.25, 1.6], strong: [1.6, 2.3] } satisfies ByStrength,
  saturationDown: { light: [0.8, 0.9], normal: [0.45, 0.75], strong: [0.1, 0.45] } satisfies ByStrength,
  /** Green and blue scales of the sepia tint (red is 1): hue about 25–40°. */
  sepiaGreen: [0.76, 0.9] as Range,
  sepiaBlue: [0.48, 0.76] as Range,
  /** Warm/cool amount: the red and blue gamma exponents move by this much (± for cool). */
  temperature: { light: [0.05, 0.11], normal: [0.08, 0.26], strong: [0.22, 0.42] } satisfies ByStrength,
  /** Posterise levels per channel (integer), and where between two levels a value rounds up (0.5: nearest). */
  posteriseLevels: { light: [7, 10], normal: [4, 6], strong: [2, 3] } satisfies ByStrength,
  posterisePhase: [0.3, 0.7] as Range,
  /** Mosaic block side in pixels (the grid's origin is seeded too). */
  pixelBlock: { light: [4, 18], normal: [12, 32], strong: [28, 64] } satisfies ByStrength,
  /** Oil: Kuwahara radius in pixels, saturation factor. */
  oilRadius: { light: [2, 5], normal: [3, 10], strong: [6, 16] } satisfies ByStrength,
  oilSaturation: [1, 1.45] as Range,
  /** Sketch: stroke blur in pixels, stroke darkening exponent, paper warmth in levels. */
  sketchSigma: { light: [3, 6], normal: [5, 14], strong: [10, 20] } satisfies ByStrength,
  sketchDarkness: { light: [1.2, 1.6], normal: [1.8, 2.5], strong: [2.8, 3.6] } satisfies ByStrength,
  sketchPaper: [0, 4] as Range,
  /** Watercolour: wash blur in pixels, edge threshold, lightening, pigment pooling, paper grain in levels. */
  watercolourSigma: { light: [2, 3], normal: [3.5, 5], strong: [6, 8] } satisfies ByStrength,
  watercolourEdge: [25, 45] as Range,
  watercolourLight: [0.06, 0.14] as Range,
  watercolourPooling: [0.12, 0.25] as Range,
  watercolourGrain: [4, 8] as Range,
  /** Vignette: corner darkening, untouched inner share of the half-diagonal. */
  vignetteStrength: { light: [0.2, 0.3], normal: [0.35, 0.5], strong: [0.55, 0.7] } satisfies ByStrength,
  vignetteInner: [0.3, 0.5] as Range,
  /** Border thickness as a share of the shorter side. */
  borderShare: { light: [0.012, 0.02], normal: [0.025, 0.04], strong: [0.05, 0.08] } satisfies ByStrength,
  /** Upscale detail enhancement (an unsharp mask at the pre-enlargement size). */
  upscaleSigma: [0.8, 1.2] as Range,
  upscaleAmount: [0.3, 1.5] as Range,
  /** Cartoon: palette size (fewer colours with more smoothing), Kuwahara radius, outline Canny thresholds, width and blur. */
  cartoonColours: [6, 12] as Range,
  cartoonSmooth: [2.5, 7] as Range,
  cartoonEdge: [70, 150] as Range,
  cartoonOutline: 2,
  cartoonEdgeSigma: 1.5,
  /** 1 matches the reference's colour statistics fully. */
  styleStrength: [0.45, 1] as Range,
  /** Text: height of the text box as a share of the picture's height, by kind of position. */
  textHeight: { edge: [0.09, 0.2], side: [0.08, 0.17], corner: [0.06, 0.13] } satisfies Record<ReturnType<typeof textBox>, Range>,
  /** Place: the placed image's share of the picture's sides when none is named; the gap to the edges. */
  placeScale: [0.2, 0.45] as Range,
  placeMargin: 0.03,
  blendOpacity: [0.3, 0.7] as Range,
  /** Plain backdrop: contact shadow darkening, softness in pixels, drop as a share of the height. */
  shadowOpacity: [0.12, 0.3] as Range,
  shadowSigma: [8, 20] as Range,
  shadowDrop: [0.005, 0.02] as Range,
  /** Another picture as the background: its blur in pixels, and how far the subject's mean colour moves towards it. */
  sceneSoften: [0, 3] as Range,
  sceneHarmonise: [0.05, 0.25] as Range,
  /** Background blur sigma in pixels. */
  backgroundBlur: { light: [3, 5], normal: [7, 11], strong: [14, 22] } satisfies ByStrength,
} as const;

/**
 * The path of black-and-white colour filters the variants walk: red, none (Rec. 601), green, blue
 * (weights sum to 1, so brightness stays about the same).
 */
export const BW_FILTERS: readonly Weights[] = [
  [0.8, 0.2, 0],
  [0.299, 0.587, 0.114],
  [0.1, 0.8, 0.1],
  [0.15, 0.3, 0.55],
];

/** Frame colours a border without a named colour walks: white, ivory, walnut, black. */
export const FRAME_COLOURS: readonly Rgb[] = [
  [255, 255, 255],
  [240, 234, 214],
  [92, 64, 51],
  [18, 18, 18],
];

/**
 * How many visibly different results an operation has: its main parameter's range holds that many
 * points at least VISIBLE_DIFFERENCE apart in mean absolute difference on a photo-like picture
 * (test/unit/engines/local/variants.test.ts checks every pair). 1: the result is fixed (the
 * instruction named every parameter, or there is none).
 */
export function variantCount(op: PlanOp): number {
  switch (op.op) {
    case 'invert':
    case 'rotate':
    case 'flip':
    case 'crop':
    case 'collage':
    case 'removeBackground':
    case 'colourBackground':
    case 'imageBackground':
      // A cut-out has one result; a backdrop's shadow or softening is too faint to tell variants apart.
      return 1;
    case 'blurBackground':
      return VARIANTS.blurBackground[op.strength];
    case 'brightness':
      return op.percent === undefined ? VARIANTS.brightness[op.strength] : 1;
    case 'posterise':
      return op.levels === undefined ? VARIANTS.posterise[op.strength] : 1;
    case 'border':
      return op.pixels === undefined || op.colour === undefined ? VARIANTS.border : 1;
    case 'place':
      return op.scale === undefined ? VARIANTS.place : 1;
    case 'blend':
      return op.opacity === undefined ? VARIANTS.blend : 1;
    case 'blur':
    case 'sharpen':
    case 'contrast':
    case 'saturation':
    case 'temperature':
    case 'pixelate':
    case 'oil':
    case 'sketch':
    case 'watercolour':
    case 'vignette':
      return VARIANTS[op.op][op.strength];
    case 'text':
      return VARIANTS.text[textBox(op.position)];
    case 'grayscale':
    case 'sepia':
    case 'upscale':
    case 'cartoon':
    case 'style':
      return VARIANTS[op.op];
  }
}

/** The kind of box text goes in at a position: along an edge or the centre, in a corner, at a side. */
export function textBox(position: Position): 'edge' | 'corner' | 'side' {
  if (position.includes('-')) return 'corner';
  return position === 'left' || position === 'right' ? 'side' : 'edge';
}

/** Mean absolute difference (0–255 scale) that makes two variants "visibly different". */
export const VISIBLE_DIFFERENCE = 6;

type Counts = Record<Strength, number>;
const VARIANTS = {
  brightness: { light: 2, normal: 3, strong: 3 } satisfies Counts,
  posterise: { light: 3, normal: 3, strong: 2 } satisfies Counts,
  blur: { light: 1, normal: 2, strong: 2 } satisfies Counts,
  sharpen: { light: 1, normal: 2, strong: 2 } satisfies Counts,
  contrast: { light: 1, normal: 2, strong: 2 } satisfies Counts,
  saturation: { light: 1, normal: 2, strong: 2 } satisfies Counts,
  temperature: { light: 1, normal: 2, strong: 2 } satisfies Counts,
  pixelate: { light: 2, normal: 2, strong: 3 } satisfies Counts,
  oil: { light: 2, normal: 3, strong: 3 } satisfies Counts,
  sketch: { light: 2, normal: 2, strong: 2 } satisfies Counts,
  watercolour: { light: 2, normal: 2, strong: 2 } satisfies Counts,
  vignette: { light: 2, normal: 2, strong: 3 } satisfies Counts,
  blurBackground: { light: 1, normal: 2, strong: 2 } satisfies Counts,
  border: 3,
  place: 3,
  blend: 4,
  grayscale: 4,
  sepia: 3,
  upscale: 1,
  cartoon: 3,
  style: 2,
  /** Text by where it goes: in a corner or at a side its box is small, so its size barely shows. */
  text: { edge: 2, corner: 1, side: 1 },
} as const;
