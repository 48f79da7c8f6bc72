/** Plans in words, in English or Chinese: the log line and the task's actual prompt. */
import { chineseName } from '../raster/colours.js';
import type { CollageLayout, PlanOp, Position, Strength } from '../plan.js';

export type Language = 'en' | 'zh';

const POSITION_EN: Record<Position, string> = {
  'top-left': 'in the top-left corner',
  top: 'at the top',
  'top-right': 'in the top-right corner',
  left: 'on the left',
  centre: 'in the centre',
  right: 'on the right',
  'bottom-left': 'in the bottom-left corner',
  bottom: 'at the bottom',
  'bottom-right': 'in the bottom-right corner',
};

const POSITION_ZH: Record<Position, string> = {
  'top-left': '左上角',
  top: '顶部',
  'top-right': '右上角',
  left: '左侧',
  centre: '中间',
  right: '右侧',
  'bottom-left': '左下角',
  bottom: '底部',
  'bottom-right': '右下角',
};

const LAYOUT_EN: Record<CollageLayout, string> = { horizontal: 'side by side', vertical: 'stacked vertically', grid: 'in a grid' };
const LAYOUT_ZH: Record<CollageLayout, string> = { horizontal: '左右拼接', vertical: '上下拼接', grid: '宫格拼接' };

function qualified(name: string, strength: Strength): string {
  return strength === 'normal' ? name : `${name} (${strength})`;
}

function qualifiedZh(name: string, strength: Strength): string {
  return strength === 'normal' ? name : `${strength === 'light' ? '轻微' : '强烈'}${name}`;
}

function listEn(images: readonly number[]): string {
  const names = images.map((i) => String(i + 1));
  return names.length <= 2 ? names.join(' and ') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

function percent(value: number): string {
  return `${Math.round(value * 100)}%`;
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
    case 'sharpen':
    case 'pixelate':
    case 'vignette':
      return qualified(op.op === 'pixelate' ? 'pixelate (mosaic)' : op.op, op.strength);
    case 'oil':
      return qualified('oil painting', op.strength);
    case 'sketch':
      return qualified('pencil sketch', op.strength);
    case 'watercolour':
      return qualified('watercolour', op.strength);
    case 'posterise':
      return op.levels === undefined ? qualified('posterise', op.strength) : `posterise to ${op.levels} levels`;
    case 'brightness': {
      const name = op.direction === 'up' ? 'brighter' : 'darker';
      return op.percent === undefined ? qualified(name, op.strength) : `${op.percent}% ${name}`;
    }
    case 'contrast':
      return qualified(op.direction === 'up' ? 'more contrast' : 'less contrast', op.strength);
    case 'saturation':
      return qualified(op.direction === 'up' ? 'more saturated' : 'less saturated', op.strength);
    case 'temperature':
      return qualified(op.direction === 'warm' ? 'warmer tone' : 'cooler tone', op.strength);
    case 'rotate':
      return op.angle === 180 ? 'rotate 180°' : `rotate 90° ${op.angle === 90 ? 'clockwise' : 'counter-clockwise'}`;
    case 'flip':
      return `flip ${op.axis === 'horizontal' ? 'horizontally' : 'vertically'}`;
    case 'cartoon':
      return 'anime/cartoon style';
    case 'border': {
      const size = op.pixels === undefined ? (op.thickness === 'normal' ? '' : ` (${op.thickness === 'light' ? 'thin' : 'thick'})`) : ` of ${op.pixels} px`;
      return `${op.colour === undefined ? '' : `${op.colour.name} `}border${size}`;
    }
    case 'crop':
      return `crop to ${op.ratio.width}:${op.ratio.height}`;
    case 'upscale':
      return `upscale${op.factor === undefined ? '' : ` ${op.factor}×`} with detail enhancement`;
    case 'style':
      return `colours of image ${op.source + 1}`;
    case 'text':
      return `add the text "${op.text}" ${POSITION_EN[op.position]}${op.colour === undefined ? '' : ` in ${op.colour.name}`}`;
    case 'collage':
      return `images ${listEn(op.images)} ${LAYOUT_EN[op.layout]}`;
    case 'place':
      return `put image ${op.source + 1} ${POSITION_EN[op.position]}${op.scale === undefined ? '' : ` at ${percent(op.scale)}`}`;
    case 'blend':
      return `blend image ${op.source + 1}${op.opacity === undefined ? '' : ` at ${percent(op.opacity)}`}`;
    case 'removeBackground':
      return 'remove the background (transparent)';
    case 'colourBackground':
      return `${op.colour.name} background`;
    case 'imageBackground':
      return `background from image ${op.source + 1}`;
    case 'blurBackground':
      return qualified('blur the background', op.strength);
  }
}

export function describeOpZh(op: PlanOp): string {
  switch (op.op) {
    case 'grayscale':
      return '黑白';
    case 'sepia':
      return '复古棕褐色调';
    case 'invert':
      return '反色';
    case 'blur':
      return qualifiedZh('模糊', op.strength);
    case 'sharpen':
      return qualifiedZh('锐化', op.strength);
    case 'pixelate':
      return qualifiedZh('马赛克', op.strength);
    case 'vignette':
      return qualifiedZh('暗角', op.strength);
    case 'oil':
      return qualifiedZh('油画效果', op.strength);
    case 'sketch':
      return qualifiedZh('铅笔素描', op.strength);
    case 'watercolour':
      return qualifiedZh('水彩效果', op.strength);
    case 'posterise':
      return op.levels === undefined ? qualifiedZh('色调分离', op.strength) : `色调分离为${op.levels}阶`;
    case 'brightness': {
      const name = op.direction === 'up' ? '提亮' : '压暗';
      return op.percent === undefined ? qualifiedZh(name, op.strength) : `${name}${op.percent}%`;
    }
    case 'contrast':
      return qualifiedZh(op.direction === 'up' ? '提高对比度' : '降低对比度', op.strength);
    case 'saturation':
      return qualifiedZh(op.direction === 'up' ? '提高饱和度' : '降低饱和度', op.strength);
    case 'temperature':
      return qualifiedZh(op.direction === 'warm' ? '暖色调' : '冷色调', op.strength);
    case 'rotate':
      return op.angle === 180 ? '旋转180度' : `${op.angle === 90 ? '顺时针' : '逆时针'}旋转90度`;
    case 'flip':
      return op.axis === 'horizontal' ? '水平翻转' : '垂直翻转';
    case 'cartoon':
      return '动漫卡通风格';
    case 'border': {
      const size = op.pixels === undefined ? (op.thickness === 'normal' ? '' : op.thickness === 'light' ? '细' : '粗') : `${op.pixels}像素`;
      return `${op.colour === undefined ? '' : chineseName(op.colour)}${size}边框`;
    }
    case 'crop':
      return `裁剪为${op.ratio.width}:${op.ratio.height}`;
    case 'upscale':
      return `${op.factor === undefined ? '放大' : `放大${op.factor}倍`}并增强细节`;
    case 'style':
      return `采用图${op.source + 1}的色彩`;
    case 'text':
      return `在${POSITION_ZH[op.position]}添加${op.colour === undefined ? '' : chineseName(op.colour)}文字“${op.text}”`;
    case 'collage':
      return `${op.images.map((i) => `图${i + 1}`).join('、')}${LAYOUT_ZH[op.layout]}`;
    case 'place':
      return `把图${op.source + 1}放在${POSITION_ZH[op.position]}${op.scale === undefined ? '' : `（${percent(op.scale)}大小）`}`;
    case 'blend':
      return `融合图${op.source + 1}${op.opacity === undefined ? '' : `（${percent(op.opacity)}）`}`;
    case 'removeBackground':
      return '抠图（透明背景）';
    case 'colourBackground':
      return `${chineseName(op.colour)}背景`;
    case 'imageBackground':
      return `背景换成图${op.source + 1}`;
    case 'blurBackground':
      return qualifiedZh('背景虚化', op.strength);
  }
}

/** The plan in words; with several inputs it names the edited one ("image 1: …", 图1：…). */
export function describePlan(ops: readonly PlanOp[], subject: number, imageCount: number, language: Language = 'en'): string {
  const zh = language === 'zh';
  const steps = ops.map(zh ? describeOpZh : describeOp).join(zh ? '；' : '; ');
  const named = imageCount > 1 && steps !== '' && !ops.some((op) => op.op === 'collage');
  if (!named) return steps;
  return zh ? `图${subject + 1}：${steps}` : `image ${subject + 1}: ${steps}`;
}

/** Chinese when the prompt (outside quotes) has at least as many Han characters as Latin words. */
export function languageOf(prompt: string): Language {
  const unquoted = prompt.replace(/"[^"]*"|“[^”]*”|「[^」]*」|『[^』]*』|《[^》]*》|‘[^’]*’/gu, ' ');
  const han = unquoted.match(/\p{Script=Han}/gu)?.length ?? 0;
  const latinWords = unquoted.match(/[A-Za-z]+/g)?.length ?? 0;
  return han > 0 && han >= latinWords ? 'zh' : 'en';
}
