/** What the instruction reader produces: an ordered plan of classical operations. */
import type { NamedColour } from './raster/colours.js';

export type Strength = 'light' | 'normal' | 'strong';

/** Where text or a placed image goes. */
export type Position = 'top-left' | 'top' | 'top-right' | 'left' | 'centre' | 'right' | 'bottom-left' | 'bottom' | 'bottom-right';

export type CollageLayout = 'horizontal' | 'vertical' | 'grid';

/** An aspect ratio as written ("16:9" → 16, 9). */
/** The turns and flips of the geometry operations. */
export type QuarterTurn = 90 | 180 | 270;
export type FlipAxis = 'horizontal' | 'vertical';

export interface Ratio {
  width: number;
  height: number;
}

export type PlanOp =
  | { op: 'grayscale' }
  | { op: 'sepia' }
  | { op: 'invert' }
  | { op: 'blur'; strength: Strength }
  | { op: 'sharpen'; strength: Strength }
  /** `percent` when the instruction names one ("20% brighter"). */
  | { op: 'brightness'; direction: 'up' | 'down'; strength: Strength; percent?: number | undefined }
  | { op: 'contrast'; direction: 'up' | 'down'; strength: Strength }
  | { op: 'saturation'; direction: 'up' | 'down'; strength: Strength }
  | { op: 'temperature'; direction: 'warm' | 'cool'; strength: Strength }
  | { op: 'rotate'; angle: QuarterTurn }
  | { op: 'flip'; axis: FlipAxis }
  | { op: 'cartoon' }
  | { op: 'pixelate'; strength: Strength }
  /** `levels` per channel when the instruction names them. */
  | { op: 'posterise'; strength: Strength; levels?: number | undefined }
  | { op: 'oil'; strength: Strength }
  | { op: 'sketch'; strength: Strength }
  | { op: 'watercolour'; strength: Strength }
  | { op: 'vignette'; strength: Strength }
  /** `pixels` when the instruction names a thickness in pixels; no colour → a seeded frame colour. */
  | { op: 'border'; thickness: Strength; pixels?: number | undefined; colour?: NamedColour | undefined }
  /** Centred crop to the ratio; handled when the input is decoded (see framing.ts). */
  | { op: 'crop'; ratio: Ratio }
  /** Lanczos enlargement (in framing.ts) plus detail enhancement; `factor` when named ("2×"). */
  | { op: 'upscale'; factor?: number | undefined }
  /** Colour transfer from input image `source` (0-based). */
  | { op: 'style'; source: number }
  /** No colour → white with a dark shadow. */
  | { op: 'text'; text: string; position: Position; colour?: NamedColour | undefined }
  /** The inputs `images` (0-based) side by side, stacked or in a grid; replaces the subject. */
  | { op: 'collage'; layout: CollageLayout; images: number[] }
  /** Input `source` pasted onto the picture; `scale` is the share of the picture's sides it may take. */
  | { op: 'place'; source: number; position: Position; scale?: number | undefined }
  /** Input `source` mixed over the picture at `opacity` (0–1). */
  | { op: 'blend'; source: number; opacity?: number | undefined }
  /** The subject cut out on a transparent background (the output has alpha). */
  | { op: 'removeBackground' }
  /** The subject on a plain colour (white unless named), with a soft shadow. */
  | { op: 'colourBackground'; colour: NamedColour }
  /** The subject over input `source`, which covers the picture. */
  | { op: 'imageBackground'; source: number }
  /** The background blurred behind a sharp subject. */
  | { op: 'blurBackground'; strength: Strength };

export type OpName = PlanOp['op'];

/** A clause the local engine will not do, and why (impossible, or not possible with these inputs). */
export interface Rejection {
  clause: string;
  reason: string;
}

export interface Plan {
  ops: PlanOp[];
  /** The input image that is edited (0-based); with a collage, the collage is. */
  subject: number;
  /** Clauses that only ask to keep things as they are (satisfied by construction). */
  preserved: string[];
  /** Clauses that matched nothing. */
  unrecognised: string[];
  rejected: Rejection[];
  /** Human-readable in English, e.g. "black and white; rotate 90° clockwise" (for logs). */
  description: string;
}

/** Whether the plan turns the picture on its side (an odd number of quarter turns). */
export function turnsSideways(ops: readonly PlanOp[]): boolean {
  const turns = ops.reduce((sum, op) => (op.op === 'rotate' && op.angle !== 180 ? sum + 1 : sum), 0);
  return turns % 2 === 1;
}

/** The short list shown when nothing is understood. */
export const VOCABULARY: readonly string[] = [
  'black and white (黑白)',
  'sepia/vintage (复古, 老照片)',
  'invert (反色)',
  'blur (模糊)',
  'sharpen (锐化)',
  'brighter/darker (变亮/变暗)',
  'more/less contrast (对比度)',
  'more/less saturated, vivid (饱和度, 鲜艳)',
  'warm/cool tone (暖色调/冷色调)',
  'rotate 90/180/270, clockwise or counter-clockwise (顺时针/逆时针旋转90度)',
  'flip/mirror, horizontal or vertical (水平/上下翻转, 镜像)',
  'crop to 16:9 (裁剪为16:9)',
  'upscale with detail enhancement (放大, 增强细节)',
  'anime/cartoon style (动漫, 卡通)',
  'oil painting (油画)',
  'pencil sketch (素描)',
  'watercolour (水彩)',
  'pixelate/mosaic (马赛克)',
  'posterise (色调分离)',
  'vignette (暗角)',
  'a border or frame (边框, 相框)',
  'add the text "…" at a position in a colour (在顶部添加红色文字“…”)',
  'the style/colours of image 2 (图2的风格)',
  'images side by side or in a grid (拼接)',
  'put image 2 in a corner of image 1 (把图2放在图1的右下角)',
  'blend image 2 over image 1 (融合)',
  'remove the background, transparent PNG (抠图, 去背景)',
  'white or coloured background (白底图, 换成蓝色背景)',
  'put image 1 on the background of image 2 (把图1的背景换成图2)',
  'blur the background (背景虚化)',
];
