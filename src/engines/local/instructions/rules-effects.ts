/** Instruction rules for art looks, tone temperature, frames, cropping and upscaling. */
import { COLOUR_WORDS, colourIn } from '../raster/colours.js';
import type { Ratio, Strength } from '../plan.js';
import type { OpRule, RuleOutcome } from './rules.js';
import { graded, rule, strengthOf } from './rules.js';

export const ART_RULES: readonly OpRule[] = [
  rule(
    '\\bpixel(?:ate[ds]?|ation|i[sz](?:e|ed|ing))\\b|\\bmosaic\\b|\\bpixel[\\s-]?art\\b|\\b8[\\s-]?bit\\b|马赛克|像素化|像素风|打码',
    graded((strength) => ({ op: 'pixelate', strength })),
  ),
  rule(
    '\\bposteri[sz](?:e|ed|ing|ation)\\b|\\bposter(?:[\\s-]effect|[\\s-]look)\\b|色调分离|色阶分离|海报效果|减少色阶',
    (clause) => {
      const named = /(\d{1,2})\s*(?:levels?|tones?|colou?rs?|色阶|阶|级)/iu.exec(clause);
      const levels = named ? Number(named[1]) : undefined;
      if (levels !== undefined && (levels < 2 || levels > 32)) return { problem: `posterising to ${levels} levels is not supported: name 2 to 32 levels` };
      return { ops: [{ op: 'posterise', strength: strengthOf(clause), levels }] };
    },
    { consume: '\\d{1,2}\\s*(?:levels?|tones?|colou?rs?|色阶|阶|级)' },
  ),
  rule('\\boil(?:[\\s-]?paint(?:ing|ed)?)?\\b|\\bimpasto\\b|油画|油彩', graded((strength) => ({ op: 'oil', strength }))),
  rule(
    '\\b(?:pencil\\s+)?sketch(?:ed|y)?\\b|\\bpencil(?:[\\s-]drawing)?\\b|\\bcharcoal\\b|\\bline[\\s-]?(?:art|drawing)\\b|素描|铅笔画|铅笔|速写|线稿',
    graded((strength) => ({ op: 'sketch', strength })),
  ),
  rule('\\bwater[\\s-]?colou?r(?:s|ed)?\\b|\\baquarelle\\b|水彩', graded((strength) => ({ op: 'watercolour', strength }))),
  rule(
    '\\bvignett\\w*|暗角|晕影|暗边|(?:四周|四角|边角|角落)(?:变暗|压暗|暗一[点些])|压暗(?:四周|四角|边角)',
    graded((strength) => ({ op: 'vignette', strength })),
  ),
  rule(
    '\\bwarm(?:er|ing|th)?\\b|暖色调?|暖调|偏暖|温暖|暖一[点些]',
    graded((strength) => ({ op: 'temperature', direction: 'warm', strength })),
    { group: 'temperature', consume: '\\b(?:tones?|tint|cast|temperature|white balance)\\b' },
  ),
  rule(
    '\\bcool(?:er|ing)?(?:[\\s-]toned|\\s+(?:tones?|colou?rs?|tint|cast|filter|look|temperature|white balance|it down))\\b|\\bcooler\\b|\\bcold(?:er)?\\s+(?:tones?|colou?rs?|tint|look)\\b|冷色调?|冷调|偏冷|清冷|冷一[点些]',
    graded((strength) => ({ op: 'temperature', direction: 'cool', strength })),
    { group: 'temperature' },
  ),
];

/** "Thin/thick" words of a border (not the general strength words: 细 is also in 细节). */
function thicknessOf(clause: string): Strength {
  if (/\b(?:thick|wide|broad|heavy|bold|chunky|large)\b|粗|宽|厚/iu.test(clause)) return 'strong';
  return /\b(?:thin|narrow|fine|slim|hairline)\b|细(?!节)|窄|薄/iu.test(clause) ? 'light' : 'normal';
}

const PIXELS = /(\d{1,3})\s*(?:px|pixels?|像素)/iu;

function borderBuild(clause: string): RuleOutcome {
  const pixels = PIXELS.exec(clause);
  const size = pixels ? Number(pixels[1]) : undefined;
  if (size !== undefined && (size < 1 || size > 400)) return { problem: `a border of ${size} px is not supported: name 1 to 400 px` };
  return { ops: [{ op: 'border', thickness: thicknessOf(clause), pixels: size, colour: colourIn(clause) }] };
}

export const BORDER_RULE = rule('\\bborder(?:ed|s)?\\b|\\b(?:picture[\\s-]|photo[\\s-])?frame[ds]?\\b|边框|相框|画框|描边|加框|外框|白边|黑边', borderBuild, {
  consume: `${PIXELS.source}|${COLOUR_WORDS}|\\b(?:thick|wide|broad|heavy|bold|chunky|large|thin|narrow|fine|slim|hairline)\\b|粗|宽|厚|细|窄|薄`,
});

const RATIO = /(\d{1,2})\s*(?::|比|x|×|\/)\s*(\d{1,2})(?!\s*(?:%|倍|px|像素))/iu;
const SQUARE = /\bsquare\b|正方形|方形|方图/iu;

function cropBuild(clause: string): RuleOutcome | undefined {
  const named = RATIO.exec(clause);
  const ratio: Ratio | undefined = named ? { width: Number(named[1]), height: Number(named[2]) } : SQUARE.test(clause) ? { width: 1, height: 1 } : undefined;
  if (ratio === undefined) {
    if (!/crop|裁|剪|截/iu.test(clause)) return undefined;
    return { problem: 'name the aspect ratio to crop to, e.g. crop to 16:9 (裁剪为16:9) or crop to a square; for an exact size set the size parameter' };
  }
  const value = ratio.width / ratio.height;
  if (ratio.width === 0 || ratio.height === 0 || value > 4 || value < 0.25) {
    return { problem: `cropping to ${ratio.width}:${ratio.height} is not supported: the ratio must lie between 1:4 and 4:1` };
  }
  return { ops: [{ op: 'crop', ratio }] };
}

export const CROP_RULE = rule(
  '\\bcrop(?:s|ped|ping)?\\b|\\btrim\\b|\\baspect[\\s-]?ratio\\b|裁剪|裁切|剪裁|裁成|剪成|截取|裁为|画幅|宽高比|(?<![\\d.])\\d{1,2}\\s*(?::|比)\\s*\\d{1,2}(?![\\d.])',
  cropBuild,
  { consume: `${RATIO.source}|${SQUARE.source}|\\bto\\b|为|成` },
);

const FACTOR = /(\d(?:\.\d)?)\s*(?:x|×|倍|times)(?!\s*\d)|([两二三四])倍/iu;
const CHINESE_FACTORS: Record<string, number> = { 两: 2, 二: 2, 三: 3, 四: 4 };

export const UPSCALE_RULE = rule(
  '\\bupscal\\w*|\\bup[\\s-]?sampl\\w*|\\benlarg\\w*|\\bsuper[\\s-]?resolution\\b|\\b(?:higher|increase (?:the )?|more )resolution\\b|\\bscale (?:it )?up\\b|\\bmake (?:it )?(?:bigger|larger)\\b|放大|超分|高清|高分辨率|(?:提高|提升|增加)分辨率',
  (clause) => {
    const named = FACTOR.exec(clause);
    const factor = named ? (named[1] !== undefined ? Number(named[1]) : CHINESE_FACTORS[named[2] ?? '']) : undefined;
    if (factor !== undefined && (factor <= 1 || factor > 4)) return { problem: `upscaling by ${factor}× is not supported: name a factor above 1 and at most 4` };
    return { ops: [{ op: 'upscale', factor }] };
  },
  { consume: `${FACTOR.source}|enhance (?:the )?details?|(?:and |with )?(?:detail enhancement|more detail)|细节增强|增强细节|并?增强|细节` },
);
