/** What the instruction reader produces: an ordered plan of classical operations. */
import type { FlipAxis, QuarterTurn } from './ops-geometry.js';

export type Strength = 'light' | 'normal' | 'strong';

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
  | { op: 'rotate'; angle: QuarterTurn }
  | { op: 'flip'; axis: FlipAxis }
  | { op: 'cartoon' }
  /** Colour transfer from input image `source` (0-based). */
  | { op: 'style'; source: number }
  | { op: 'text'; text: string };

/** A clause the local engine will not do, and why (impossible, or not possible with these inputs). */
export interface Rejection {
  clause: string;
  reason: string;
}

export interface Plan {
  ops: PlanOp[];
  /** The input image that is edited (0-based). */
  subject: number;
  /** Clauses that only ask to keep things as they are (satisfied by construction). */
  preserved: string[];
  /** Clauses that matched nothing. */
  unrecognised: string[];
  rejected: Rejection[];
  /** Human-readable, e.g. "black and white; rotate 90° clockwise". */
  description: string;
}

function qualified(name: string, strength: Strength): string {
  return strength === 'normal' ? name : `${name} (${strength})`;
}

export function describeOp(op: PlanOp): string {
  switch (op.op) {
    case 'grayscale':
      return 'black and white';
    case 'sepia':
      return 'sepia';
    case 'invert':
      return 'invert colours';
    case 'blur':
      return qualified('blur', op.strength);
    case 'sharpen':
      return qualified('sharpen', op.strength);
    case 'brightness': {
      const name = op.direction === 'up' ? 'brighter' : 'darker';
      return op.percent === undefined ? qualified(name, op.strength) : `${op.percent}% ${name}`;
    }
    case 'contrast':
      return qualified(op.direction === 'up' ? 'more contrast' : 'less contrast', op.strength);
    case 'saturation':
      return qualified(op.direction === 'up' ? 'more saturated' : 'less saturated', op.strength);
    case 'rotate':
      return op.angle === 180 ? 'rotate 180°' : `rotate 90° ${op.angle === 90 ? 'clockwise' : 'counter-clockwise'}`;
    case 'flip':
      return `flip ${op.axis === 'horizontal' ? 'horizontally' : 'vertically'}`;
    case 'cartoon':
      return 'anime/cartoon style';
    case 'style':
      return `colours of image ${op.source + 1}`;
    case 'text':
      return `add the text "${op.text}"`;
  }
}

export function describePlan(ops: readonly PlanOp[], subject: number, imageCount: number): string {
  const steps = ops.map(describeOp).join('; ');
  return imageCount > 1 && steps !== '' ? `image ${subject + 1}: ${steps}` : steps;
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
  'rotate 90/180/270, clockwise or counter-clockwise (顺时针/逆时针旋转90度)',
  'flip/mirror, horizontal or vertical (水平/上下翻转, 镜像)',
  'anime/cartoon style (动漫, 卡通)',
  'the style/colours of image 2 (图2的风格)',
  'add the text "…" (添加文字“…”)',
];
