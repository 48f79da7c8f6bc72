/**
 * The operation table of the instruction reader: for each operation its English and Chinese
 * triggers, its parameters, and the words it consumes so later rules do not match them again.
 */
import { missingGlyphs } from './font.js';
import type { FlipAxis } from './ops-geometry.js';
import type { PlanOp, Strength } from './plan.js';

/** Image references and quoted texts are replaced by single private-use characters before matching. */
export const IMAGE_TOKEN_BASE = 0xe100;
export const QUOTE_TOKEN_BASE = 0xe200;
const IMAGE_TOKEN = '[\\ue100-\\ue1ff]';
const QUOTE_TOKEN = '[\\ue200-\\ue2ff]';

/** Style source not named: the first image other than the subject, resolved once the subject is known. */
export const DEFAULT_SOURCE = -1;

export interface MatchContext {
  imageCount: number;
  /** Quote token k → the quoted text. */
  quotes: readonly string[];
  /** Image token k → the 0-based image it names. */
  refs: readonly number[];
}

export type RuleOutcome = { ops: PlanOp[] } | { problem: string };

export interface OpRule {
  trigger: RegExp;
  /** Global: what to blank out after a match. */
  consume: RegExp;
  /** Rules of one group are exclusive within a clause (brighter vs darker). */
  group?: string;
  /** Undefined when the trigger was a false alarm ("turn it into…" is no rotation). */
  build(clause: string, match: RegExpExecArray, ctx: MatchContext): RuleOutcome | undefined;
}

const LIGHT = /\b(?:slight(?:ly)?|a (?:little|bit|touch)|subtle|subtly|gentle|gently|mild(?:ly)?|soft(?:ly)?|somewhat|lightly)\b|稍微|稍稍|略微|轻微|轻度|一点|一些|微微|些许|略|稍/iu;
const STRONG = /\b(?:very|much|a lot|lots|heav(?:y|ily)|strong(?:ly)?|significantly|greatly|extreme(?:ly)?|really|super|intense(?:ly)?|massive(?:ly)?)\b|非常|很|大幅|强烈|明显|大大|极|十分|特别|重度|超级|严重/iu;

function strengthOf(clause: string): Strength {
  if (STRONG.test(clause)) return 'strong';
  return LIGHT.test(clause) ? 'light' : 'normal';
}

function simple(op: PlanOp): OpRule['build'] {
  return () => ({ ops: [op] });
}

function rule(trigger: string, build: OpRule['build'], extra: { consume?: string; group?: string } = {}): OpRule {
  const consume = extra.consume === undefined ? trigger : `${trigger}|${extra.consume}`;
  return { trigger: new RegExp(trigger, 'iu'), consume: new RegExp(consume, 'giu'), group: extra.group, build };
}

const PERCENT = /(\d{1,3}(?:\.\d+)?)\s*%|百分之\s*(\d{1,3})/u;

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

/** Words that make a quoted text something to draw. */
export const TEXT_WORDS = /\b(?:add|put|write|insert|place|overlay|draw|type|caption|title|label|text|words?|saying|says|reading)\b|添加|加上|加入|写上|写|标注|配上|文字|字样|标题|题字|文案/iu;

function textBuild(clause: string, match: RegExpExecArray, ctx: MatchContext): RuleOutcome | undefined {
  if (!TEXT_WORDS.test(clause)) return undefined;
  const text = ctx.quotes[match[0].codePointAt(0)! - QUOTE_TOKEN_BASE]?.trim();
  if (!text) return undefined;
  const missing = missingGlyphs(text);
  if (missing.length > 0) {
    return { problem: `the shipped font (DejaVu Sans) has no glyphs for ${missing.slice(0, 8).join('')}; drawing this text needs an upstream engine` };
  }
  return { ops: [{ op: 'text', text }] };
}

function styleBuild(_clause: string, match: RegExpExecArray, ctx: MatchContext): RuleOutcome {
  const token = new RegExp(IMAGE_TOKEN, 'u').exec(match[0])?.[0];
  const source = token === undefined ? DEFAULT_SOURCE : (ctx.refs[token.codePointAt(0)! - IMAGE_TOKEN_BASE] ?? DEFAULT_SOURCE);
  if (ctx.imageCount < 2) {
    return { problem: 'taking the style of another image needs a second input image, and only one was given' };
  }
  if (source >= ctx.imageCount) {
    return { problem: `image ${source + 1} is named but only ${ctx.imageCount} images were given` };
  }
  return { ops: [{ op: 'style', source }] };
}

const STYLE_NOUN_EN = '(?:style|colou?rs?|palette|tones?|look|mood|colou?r grading|feel)';
const STYLE_NOUN_ZH = '(?:风格|色调|颜色|配色|色彩|画风|调色|氛围|质感)';

/** In priority order: earlier rules consume their words before later ones look. */
export const OP_RULES: readonly OpRule[] = [
  rule(
    [
      `${STYLE_NOUN_EN}\\s+(?:of|from|in|like)\\s+(?:the\\s+)?${IMAGE_TOKEN}`,
      `${IMAGE_TOKEN}(?:'s|’s)?\\s+${STYLE_NOUN_EN}`,
      `\\b(?:like|as in|match(?:ing)?|similar to)\\s+(?:the\\s+)?${IMAGE_TOKEN}`,
      `style[\\s-]transfer|colou?r[\\s-]transfer|transfer (?:the )?(?:style|colou?rs?)`,
      `${IMAGE_TOKEN}的?${STYLE_NOUN_ZH}`,
      `${STYLE_NOUN_ZH}(?:参考|参照|按照|仿照|模仿|像|同|跟)${IMAGE_TOKEN}`,
      `(?:参考|参照|按照|仿照|模仿|借鉴)${IMAGE_TOKEN}`,
      `风格迁移|风格转换|色彩迁移|颜色迁移`,
    ].join('|'),
    styleBuild,
  ),
  rule(QUOTE_TOKEN, textBuild, { consume: TEXT_WORDS.source }),
  rule(
    '\\bsharp(?:en|er|ness)?\\b|\\bde-?blur\\w*|\\bunblur\\w*|remove (?:the )?blur\\w*|\\bcrisp(?:er|en)?\\b|\\bclearer\\b|more (?:clear|detail(?:ed)?)|enhance (?:the )?details?|锐化|清晰|去模糊|去除模糊|变清楚|更清楚|细节增强|增强细节',
    (clause) => ({ ops: [{ op: 'sharpen', strength: strengthOf(clause) }] }),
  ),
  rule(
    '\\bblur(?:s|red|ry|ring)?\\b|\\bsoften(?:ed)?\\b|\\bdefocus(?:ed)?\\b|out[\\s-]of[\\s-]focus|\\bgaussian\\b|模糊|虚化|柔焦|朦胧',
    (clause) => ({ ops: [{ op: 'blur', strength: strengthOf(clause) }] }),
  ),
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
  brightnessRule(
    '\\bdark(?:en|er|ened)\\b|\\bdimm?(?:er)?\\b|(?:decrease|lower|reduce|drop)\\s+(?:the\\s+)?(?:brightness|exposure)|\\bless bright\\b|\\bunderexpos\\w*|更暗|变暗|调暗|压暗|暗一[点些]|暗些|(?:降低|减少|调低|减小)(?:亮度|曝光)|(?:亮度|曝光)(?:降低|减少|调低|减小)',
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
  rule(
    '\\banime\\b|\\bcartoon\\w*|\\bcomic(?:s|[\\s-]book)?\\b|\\bmanga\\b|\\btoon\\b|cel[\\s-]?shad\\w*|\\bghibli\\b|\\bmiyazaki\\b|动漫|卡通|漫画|动画|二次元|吉卜力|宫崎骏|日漫',
    simple({ op: 'cartoon' }),
  ),
];
