import { AppError } from './errors.js';
import type { DefaultSize, Size, SizeRule } from './models.js';

const SIZE_PATTERN = /^\s*(\d{1,5})\s*[*xX×]\s*(\d{1,5})\s*$/;

/** Parses `W*H` (DashScope) or `WxH` (OpenAI); undefined when the text is not of that shape. */
export function parseSizeText(text: string): Size | undefined {
  const match = SIZE_PATTERN.exec(text);
  if (!match) return undefined;
  return { width: Number(match[1]), height: Number(match[2]) };
}

export function formatSize(size: Size, separator: '*' | 'x' = '*'): string {
  return `${size.width}${separator}${size.height}`;
}

export function roundTo(value: number, multiple: number): number {
  return Math.max(multiple, Math.round(value / multiple) * multiple);
}

function describeRule(rule: SizeRule): string {
  switch (rule.kind) {
    case 'none':
      return 'this model does not accept a size';
    case 'sides':
      return `width and height must each be between ${rule.min} and ${rule.max} pixels`;
    case 'total':
      return `width × height must be between ${rule.minPixels} (512*512) and ${rule.maxPixels} (2048*2048) pixels, each side between ${rule.minSide} and ${rule.maxSide}`;
    case 'fixed':
      return `it must be one of ${rule.sizes.map((s) => formatSize(s)).join(', ')}`;
  }
}

/**
 * Checks a requested size against a model's rule and returns the size the task will have
 * (rounded to the rule's multiple). Throws InvalidParameter naming the field and the rule.
 */
export function applySizeRule(requested: Size, rule: SizeRule, field: string, modelId: string): Size {
  const fail = (reason: string): never => {
    throw new AppError(
      'invalid_parameter',
      `${field}: ${formatSize(requested)} is not allowed for model ${modelId}: ${reason}.`,
      { field },
    );
  };
  switch (rule.kind) {
    case 'none':
      return fail(describeRule(rule));
    case 'sides': {
      const { width, height } = requested;
      if (width < rule.min || width > rule.max || height < rule.min || height > rule.max) fail(describeRule(rule));
      return { width: roundTo(width, rule.multiple), height: roundTo(height, rule.multiple) };
    }
    case 'total': {
      const { width, height } = requested;
      const pixels = width * height;
      const sidesOk = Math.min(width, height) >= rule.minSide && Math.max(width, height) <= rule.maxSide;
      if (pixels < rule.minPixels || pixels > rule.maxPixels || !sidesOk) fail(describeRule(rule));
      return fitTotal({ width: roundTo(width, rule.multiple), height: roundTo(height, rule.multiple) }, rule);
    }
    case 'fixed': {
      const match = rule.sizes.find((s) => s.width === requested.width && s.height === requested.height);
      return match ? { ...match } : fail(describeRule(rule));
    }
  }
}

/** Nudges a rounded size back inside a total-pixel rule (rounding can cross the bounds by a little). */
function fitTotal(size: Size, rule: Extract<SizeRule, { kind: 'total' }>): Size {
  let { width, height } = size;
  const m = rule.multiple;
  while (width * height > rule.maxPixels) {
    if (width >= height) width -= m;
    else height -= m;
  }
  while (width * height < rule.minPixels) {
    if (width <= height) width += m;
    else height += m;
  }
  return { width, height };
}

/**
 * The size a task gets when none was asked for. `lastImage` is the last input image (the one
 * whose aspect ratio the output follows), absent for text-to-image.
 */
export function defaultSize(rule: DefaultSize, sizeRule: SizeRule, lastImage: Size | undefined): Size {
  if (rule.kind === 'fixed' || lastImage === undefined) {
    return rule.kind === 'fixed' ? { ...rule.size } : areaSize({ width: 1, height: 1 }, 1024 * 1024);
  }
  if (rule.kind === 'last-image-area') return areaSize(lastImage, rule.pixels);
  // last-image-native: keep the input's resolution, scaled into the total-pixel range.
  if (sizeRule.kind !== 'total') return areaSize(lastImage, lastImage.width * lastImage.height);
  const pixels = lastImage.width * lastImage.height;
  const target = Math.min(sizeRule.maxPixels, Math.max(sizeRule.minPixels, pixels));
  return fitTotal(areaSize(lastImage, target, sizeRule.maxSide), sizeRule);
}

/**
 * The aspect ratio of `shape` at about `pixels` total pixels, sides in multiples of 16 and the
 * long side at most `maxSide`. A 3:2 input at 1024×1024 pixels gives 1248×832, as DashScope does.
 */
export function areaSize(shape: Size, pixels: number, maxSide = 2048): Size {
  const ratio = shape.width / shape.height;
  let width = Math.sqrt(pixels * ratio);
  let height = width / ratio;
  const longest = Math.max(width, height);
  if (longest > maxSide) {
    width *= maxSide / longest;
    height *= maxSide / longest;
  }
  return { width: roundTo(width, 16), height: roundTo(height, 16) };
}
