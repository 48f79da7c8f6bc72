/**
 * The seeded parameter ranges of every operation. Each image draws its parameters from its own
 * seed, so the same seed gives the same pixels and different seeds differ visibly within these
 * ranges. Pixel sizes are at a 1024×1024 output and scale with the output's size.
 */
import type { Rgb } from '../raster/palette.js';
import type { PlanOp, Strength } from '../plan.js';
import type { Weights } from './tone.js';

export type Range = readonly [number, number];
type ByStrength = Record<Strength, Range>;

export const RANGES = {
  blurSigma: { light: [0.8, 1.6], normal: [2, 4], strong: [5, 9] } satisfies ByStrength,
  sharpenSigma: { light: [0.6, 1], normal: [1, 1.6], strong: [1.4, 2.2] } satisfies ByStrength,
  sharpenAmount: { light: [0.4, 0.7], normal: [0.8, 1.3], strong: [1.5, 2.2] } satisfies ByStrength,
  /** Gamma of the brightness curve: < 1 brightens (mid-grey +6…+41 %), > 1 darkens (−7…−50 %). */
  brightenGamma: { light: [0.86, 0.92], normal: [0.7, 0.8], strong: [0.5, 0.62] } satisfies ByStrength,
  darkenGamma: { light: [1.1, 1.18], normal: [1.25, 1.45], strong: [1.6, 2] } satisfies ByStrength,
  /** Contrast factor around mid-grey. */
  contrastUp: { light: [1.08, 1.15], normal: [1.2, 1.35], strong: [1.4, 1.6] } satisfies ByStrength,
  contrastDown: { light: [0.88, 0.93], normal: [0.72, 0.85], strong: [0.55, 0.68] } satisfies ByStrength,
  /** Factor on each pixel's distance from its luma. */
  saturationUp: { light: [1.12, 1.22], normal: [1.3, 1.5], strong: [1.6, 1.9] } satisfies ByStrength,
  saturationDown: { light: [0.82, 0.9], normal: [0.5, 0.7], strong: [0.25, 0.4] } satisfies ByStrength,
  /** Share of the way from Rec. 601 luma to a colour filter (red, orange, yellow or green) in black and white. */
  grayscaleFilter: [0, 0.6] as Range,
  /** Green and blue scales of the sepia tint (red is 1): hue about 25–40°. */
  sepiaGreen: [0.8, 0.88] as Range,
  sepiaBlue: [0.58, 0.7] as Range,
  /** Warm/cool amount: the red and blue gamma exponents move by this much (± for cool). */
  temperature: { light: [0.06, 0.1], normal: [0.12, 0.2], strong: [0.24, 0.34] } satisfies ByStrength,
  /** Posterise levels per channel (integer), and where between two levels a value rounds up (0.5: nearest). */
  posteriseLevels: { light: [7, 9], normal: [4, 6], strong: [2, 3] } satisfies ByStrength,
  posterisePhase: [0.3, 0.7] as Range,
  /** Mosaic block side in pixels (the grid's origin is seeded too). */
  pixelBlock: { light: [8, 12], normal: [16, 24], strong: [32, 48] } satisfies ByStrength,
  /** Oil: Kuwahara radius in pixels, saturation factor. */
  oilRadius: { light: [3, 4], normal: [5, 6], strong: [7, 9] } satisfies ByStrength,
  oilSaturation: [1.1, 1.3] as Range,
  /** Sketch: stroke blur in pixels, stroke darkening exponent, paper warmth in levels. */
  sketchSigma: { light: [4, 6], normal: [7, 10], strong: [11, 15] } satisfies ByStrength,
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
  upscaleAmount: [0.5, 0.9] as Range,
  cartoonLevels: [6, 8] as Range,
  cartoonEdge: [60, 100] as Range,
  cartoonSmooth: [2, 3.5] as Range,
  cartoonEdgeSigma: 1.2,
  /** 1 matches the reference's colour statistics fully. */
  styleStrength: [0.75, 1] as Range,
  /** Text: height of the text box as a share of the picture's height, by kind of position. */
  textHeight: { edge: [0.11, 0.17], side: [0.1, 0.15], corner: [0.07, 0.11] } satisfies Record<string, Range>,
  /** Place: the placed image's share of the picture's sides when none is named; the gap to the edges. */
  placeScale: [0.25, 0.35] as Range,
  placeMargin: 0.03,
  blendOpacity: [0.4, 0.6] as Range,
  /** Plain backdrop: contact shadow darkening, softness in pixels, drop as a share of the height. */
  shadowOpacity: [0.12, 0.3] as Range,
  shadowSigma: [8, 20] as Range,
  shadowDrop: [0.005, 0.02] as Range,
  /** Another picture as the background: its blur in pixels, and how far the subject's mean colour moves towards it. */
  sceneSoften: [0, 3] as Range,
  sceneHarmonise: [0.05, 0.25] as Range,
  /** Background blur sigma in pixels. */
  backgroundBlur: { light: [3, 5], normal: [7, 11], strong: [14, 22] } satisfies ByStrength,
  /** Variation of plans whose operations have no parameter: ±3–6 % contrast, ±2–6 levels. */
  jitterContrast: [0.03, 0.06] as Range,
  jitterOffset: [2, 6] as Range,
} as const;

/** Black-and-white colour filters (weights sum to 1, so brightness stays about the same). */
export const BW_FILTERS: readonly Weights[] = [
  [0.6, 0.34, 0.06],
  [0.45, 0.45, 0.1],
  [0.35, 0.55, 0.1],
  [0.2, 0.7, 0.1],
];

/** Frame colours a border without a named colour is drawn from: white, black, ivory, walnut. */
export const FRAME_COLOURS: readonly Rgb[] = [
  [255, 255, 255],
  [18, 18, 18],
  [240, 234, 214],
  [92, 64, 51],
];

/**
 * Whether the operation draws a parameter from its seed (otherwise the plan may need jitter to
 * vary). A border counts as not seeded: its thickness takes few whole-pixel values at small sizes.
 */
export function isSeeded(op: PlanOp): boolean {
  switch (op.op) {
    case 'invert':
    case 'rotate':
    case 'flip':
    case 'crop':
    case 'collage':
    case 'border':
    case 'removeBackground':
      return false;
    case 'brightness':
      return op.percent === undefined;
    case 'place':
      return op.scale === undefined;
    case 'blend':
      return op.opacity === undefined;
    default:
      return true;
  }
}
