/** Instruction rules for tone, filters and geometry: black and white … rotate and flip. */
import type { FlipAxis } from '../plan.js';
import type { OpRule, RuleOutcome } from './rules.js';
import { PERCENT, graded, rule, simple, strengthOf } from './rules.js';

function brightnessRule(trigger: string, direction: 'up' | 'down'): OpRule {
  return rule(
    trigger,
    (clause) => {
      const match = PERCENT.exec(clause);
      const percent = match ? Number(match[1] ?? match[2]) : undefined;
      return { ops: [{ op: 'brightness', direction, strength: strengthOf(clause), percent }] };
    },
    { group: 'tone', consume: PERCENT.source },
  );
}

function adjustRule(op: 'contrast' | 'saturation', trigger: string, direction: 'up' | 'down'): OpRule {
  return rule(trigger, (clause) => ({ ops: [{ op, direction, strength: strengthOf(clause) }] }), { group: op });
}

const CHINESE_ANGLES: ReadonlyArray<[RegExp, number]> = [
  [/[二两]百七十/u, 270],
  [/一百八十|百八十/u, 180],
  [/三百六十/u, 360],
  [/九十/u, 90],
  [/四十五/u, 45],
];
const DIGIT_ANGLE = /(\d{1,4})\s*(?:°|度|deg(?:rees?)?\b)?/iu;
const COUNTER_CLOCKWISE = /counter[\s-]?clockwise|anti[\s-]?clockwise|\bccw\b|逆时针|\bleft\b|向左|左转|往左/iu;
const STRONG_ROTATE = /rotat|\bspin\b|旋转|转动|[左右]转|quarter[\s-]turn|half[\s-]turn|upside|倒过来|倒转|颠倒|sideways/iu;
const HALF_TURN = /half[\s-]turn|upside[\s-]?down|倒过来|倒转|颠倒/iu;

function rotateBuild(clause: string): RuleOutcome | undefined {
  const digits = DIGIT_ANGLE.exec(clause);
  const chinese = CHINESE_ANGLES.find(([pattern]) => pattern.test(clause));
  const named = digits ? Number(digits[1]) : chinese?.[1];
  const counter = COUNTER_CLOCKWISE.test(clause);
  const direction = counter || /clockwise|\bcw\b|顺时针|\bright\b|向右|右转|往右/iu.test(clause);
  if (!STRONG_ROTATE.test(clause) && named === undefined && !direction) return undefined;
  const degrees = named ?? (HALF_TURN.test(clause) ? 180 : 90);
  const clockwise = counter ? (360 - (degrees % 360)) % 360 : degrees % 360;
  if (clockwise === 0) return { problem: `a rotation by ${degrees}° leaves the image as it is` };
  if (clockwise !== 90 && clockwise !== 180 && clockwise !== 270) {
    return { problem: `rotating by ${degrees}° is not supported: the local engine turns only by multiples of 90°` };
  }
  return { ops: [{ op: 'rotate', angle: clockwise }] };
}

const VERTICAL = /vertical(?:ly)?|upside[\s-]?down|top[\s-]to[\s-]bottom|上下|垂直|竖直|纵向|倒置/iu;
const HORIZONTAL = /horizontal(?:ly)?|left[\s-]to[\s-]right|side[\s-]to[\s-]side|左右|水平|横向/iu;

function flipBuild(clause: string): RuleOutcome {
  const vertical = VERTICAL.test(clause);
  const axes: FlipAxis[] = HORIZONTAL.test(clause) || !vertical ? ['horizontal'] : [];
  if (vertical) axes.push('vertical');
  return { ops: axes.map((axis) => ({ op: 'flip', axis })) };
}

export const SHARPEN_RULE = rule(
  '\\bsharp(?:en|er|ness)?\\b|\\bde-?blur\\w*|\\bunblur\\w*|remove (?:the )?blur\\w*|\\bcrisp(?:er|en)?\\b|\\bclearer\\b|more (?:clear|detail(?:ed)?)|enhance (?:the )?details?|锐化|清晰|去模糊|去除模糊|变清楚|更清楚|细节增强|增强细节',
  graded((strength) => ({ op: 'sharpen', strength })),
);

export const BLUR_RULE = rule(
  '\\bblur(?:s|red|ry|ring)?\\b|\\bsoften(?:ed)?\\b|\\bdefocus(?:ed)?\\b|out[\\s-]of[\\s-]focus|\\bgaussian\\b|模糊|虚化|柔焦|朦胧',
  graded((strength) => ({ op: 'blur', strength })),
);

export const COLOUR_RULES: readonly OpRule[] = [
  rule(
    'black-and-white|\\bb/w\\b|\\bgr[ae]y\\s?scale\\b|\\bmonochrom(?:e|atic)\\b|\\bcolou?rless\\b|remove (?:all |the )?colou?rs?|\\bno colou?rs?\\b|黑白|灰度|灰阶|单色|去色|去掉颜色|去除颜色',
    simple({ op: 'grayscale' }),
  ),
  rule(
    '\\bsepia\\b|\\bvintage\\b|\\bretro\\b|old[\\s-](?:photo(?:graph)?|picture|film|fashioned|timey|school)|\\bantique\\b|\\bnostalgi\\w*|\\baged\\b|\\bfaded\\b|复古|怀旧|老照片|旧照片|泛黄|发黄|褐色调|棕褐色|做旧|年代感',
    simple({ op: 'sepia' }),
  ),
  rule(
    '\\binvert(?:s|ed|ing)?\\b|\\binver(?:sion|se)\\b|\\bnegative\\b|反色|负片|反相|(?:颜色|色彩)反转|反转(?:颜色|色彩)|底片效果',
    simple({ op: 'invert' }),
  ),
];

export const TONE_RULES: readonly OpRule[] = [
  brightnessRule(
    '\\bdark(?:en|ened|er)?\\b|(?:decrease|lower|reduce|drop)\\s+(?:the\\s+)?(?:brightness|exposure)|\\bless bright\\b|\\bunderexpos\\w*|更暗|变暗|调暗|压暗|暗一[点些]|暗些|(?:降低|减少|调低|减小)(?:亮度|曝光)|(?:亮度|曝光)(?:降低|减少|调低|减小)',
    'down',
  ),
  brightnessRule(
    '\\bbright(?:en|ened|er)?\\b|\\blighten(?:ed)?\\b|\\blighter\\b|(?:increase|raise|boost|up)\\s+(?:the\\s+)?(?:brightness|exposure)|\\bmore light\\b|\\bexpos(?:e|ure) up\\b|更亮|变亮|提亮|调亮|亮一[点些]|亮些|(?:提高|增加|调高|增强|加大)(?:亮度|曝光)|(?:亮度|曝光)(?:提高|增加|调高|增强|加大)|明亮',
    'up',
  ),
  adjustRule(
    'contrast',
    '(?:decrease|lower|reduce|less|soften)\\s+(?:the\\s+)?contrast|contrast\\s+down|\\bflatter\\b|低对比|(?:降低|减少|减弱|调低)对比度?|对比度(?:降低|减少|减弱|调低|低一?[点些])',
    'down',
  ),
  adjustRule(
    'contrast',
    '(?:increase|raise|boost|more|higher|add|enhance)\\s+(?:the\\s+)?contrast|contrast\\s+(?:up|higher)|\\bcontrastier\\b|\\bpunchier\\b|高对比|(?:提高|增加|增强|加大|调高)对比度?|对比度(?:提高|增加|增强|加大|调高|高一?[点些])',
    'up',
  ),
  adjustRule(
    'saturation',
    '(?:decrease|lower|reduce|less)\\s+(?:the\\s+)?(?:saturation|colou?rs?)|\\bdesaturat\\w*|less (?:colou?rful|vibrant|vivid|saturated)|\\bmuted\\b|\\bwashed[\\s-]out\\b|低饱和|(?:降低|减少|减弱|调低)(?:饱和度?|色彩)|饱和度(?:降低|减少|减弱|调低)|淡雅',
    'down',
  ),
  adjustRule(
    'saturation',
    '(?:increase|raise|boost|more|higher|enhance)\\s+(?:the\\s+)?(?:saturation|colou?r(?:fulness)?s?|vibrance)|more (?:colou?rful|vibrant|vivid|saturated)|\\bvibrant\\b|\\bvivid\\b|\\bsaturate\\b|\\bcolou?rful\\b|高饱和|(?:提高|增加|增强|加大|调高)(?:饱和度?|色彩)|饱和度(?:提高|增加|增强|加大|调高|高一?[点些])|更鲜艳|鲜艳|艳丽',
    'up',
  ),
];

export const GEOMETRY_RULES: readonly OpRule[] = [
  rule(
    '\\bflip(?:s|ped|ping)?\\b|\\bmirror(?:s|ed|ing)?\\b|\\breflect(?:ed|ion)?\\b|翻转|镜像|翻过来|(?:左右|上下|水平|垂直)(?:反转|颠倒|对调|翻)|倒置',
    flipBuild,
    { consume: `${VERTICAL.source}|${HORIZONTAL.source}` },
  ),
  rule(
    '\\brotat(?:e|ed|es|ing|ion)\\b|\\bspin\\b|\\bturn(?:ed|s)?\\b|旋转|转动|向?[左右]转|转(?=\\s*(?:\\d|九十|一百八十|[二两]百七十))|倒过来|倒转|颠倒|upside[\\s-]?down|quarter[\\s-]turn|half[\\s-]turn|sideways',
    rotateBuild,
    {
      consume: `${DIGIT_ANGLE.source}|${COUNTER_CLOCKWISE.source}|clockwise|\\bcw\\b|顺时针|\\bright\\b|向右|往右|\\bby\\b|九十度?|一百八十度?|[二两]百七十度?|三百六十度?|四十五度?|转`,
    },
  ),
];

export const CARTOON_RULE = rule(
  '\\banime\\b|\\bcartoon\\w*|\\bcomic(?:s|[\\s-]book)?\\b|\\bmanga\\b|\\btoon\\b|cel[\\s-]?shad\\w*|\\bghibli\\b|\\bmiyazaki\\b|动漫|卡通|漫画|动画|二次元|吉卜力|宫崎骏|日漫',
  simple({ op: 'cartoon' }),
);
