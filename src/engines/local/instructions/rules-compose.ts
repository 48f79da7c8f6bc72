/** Instruction rules that involve other images or text: style, text, collage, place and blend. */
import { COLOUR_WORDS, colourIn } from '../raster/colours.js';
import { hasVisibleChars, missingGlyphs, nameChars } from '../raster/font.js';
import type { CollageLayout, PlanOp, Position } from '../plan.js';
import type { MatchContext, RuleOutcome } from './rules.js';
import { DEFAULT_SOURCE, IMAGE_TOKEN, PERCENT, QUOTE_TOKEN, QUOTE_TOKEN_BASE, firstImage, imagesIn, missingImage, percentIn, rule } from './rules.js';

/** Corners first, so "top left" is not read as "top". */
const POSITIONS: ReadonlyArray<[Position, RegExp]> = [
  ['top-left', /\b(?:top|upper)[\s-]*left\b|\bleft[\s-]*(?:top|upper)\b|左上/iu],
  ['top-right', /\b(?:top|upper)[\s-]*right\b|\bright[\s-]*(?:top|upper)\b|右上/iu],
  ['bottom-left', /\b(?:bottom|lower)[\s-]*left\b|\bleft[\s-]*(?:bottom|lower)\b|左下/iu],
  ['bottom-right', /\b(?:bottom|lower)[\s-]*right\b|\bright[\s-]*(?:bottom|lower)\b|右下/iu],
  ['top', /\b(?:top|upper|above|header)\b|顶部|顶端|上方|上部|上面|上边|顶上/iu],
  ['bottom', /\b(?:bottom|lower|below|beneath|footer)\b|底部|底端|下方|下部|下面|下边|底下/iu],
  ['left', /\bleft\b|左侧|左边|左方|左部/iu],
  ['right', /\bright\b|右侧|右边|右方|右部/iu],
  ['centre', /\bcent(?:er|re)d?\b|\bmiddle\b|中间|中央|正中|居中|中心|中部/iu],
];
const POSITION_WORDS = `${POSITIONS.map(([, pattern]) => pattern.source).join('|')}|\\bcorner\\b|角落?|的`;

function positionIn(clause: string): Position | undefined {
  return POSITIONS.find(([, pattern]) => pattern.test(clause))?.[0];
}

/** Words that make a quoted text something to draw. */
export const TEXT_WORDS = /\b(?:add|put|write|insert|place|overlay|draw|type|caption|title|label|text|words?|saying|says|reading)\b|添加|加上|加入|写上|写|标注|配上|文字|字样|标题|题字|文案/iu;

function textBuild(clause: string, match: RegExpExecArray, ctx: MatchContext): RuleOutcome | undefined {
  if (!TEXT_WORDS.test(clause)) return undefined;
  const text = ctx.quotes[match[0].codePointAt(0)! - QUOTE_TOKEN_BASE]?.trim();
  if (!text) return undefined;
  const missing = missingGlyphs(text);
  if (missing.length > 0) {
    return { problem: `no shipped font (DejaVu Sans, Noto Sans SC/TC/JP/KR) has glyphs for ${nameChars(missing.slice(0, 8))}; drawing this text needs an upstream engine` };
  }
  // Only zero-width, format or blank characters: there is nothing to draw (Pango refuses such text).
  if (!hasVisibleChars(text)) {
    const chars = [...new Set(text)].filter((char) => !/\s/u.test(char));
    return { problem: `the text to draw has only invisible characters, ${nameChars(chars.slice(0, 8))}: there is nothing to draw` };
  }
  return { ops: [{ op: 'text', text, position: positionIn(clause) ?? 'bottom', colour: colourIn(clause) }] };
}

function styleBuild(_clause: string, match: RegExpExecArray, ctx: MatchContext): RuleOutcome {
  const source = firstImage(match[0], ctx) ?? DEFAULT_SOURCE;
  if (ctx.imageCount < 2) return { problem: 'taking the style of another image needs a second input image, and only one was given' };
  return (source === DEFAULT_SOURCE ? undefined : missingImage([source], ctx)) ?? { ops: [{ op: 'style', source }] };
}

const STYLE_NOUN_EN = '(?:style|colou?rs?|palette|tones?|look|mood|colou?r grading|feel)';
const STYLE_NOUN_ZH = '(?:风格|色调|颜色|配色|色彩|画风|调色|氛围|质感)';

export const STYLE_RULE = rule(
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
);

export const TEXT_RULE = rule(QUOTE_TOKEN, textBuild, { consume: `${TEXT_WORDS.source}|${POSITION_WORDS}|${COLOUR_WORDS}|\\b(?:at|in|on|the)\\b|在` });

/** The images of a multi-image operation: those named, else all of them. */
function operands(clause: string, ctx: MatchContext): number[] {
  const named = imagesIn(clause, ctx);
  return named.length > 0 ? named : Array.from({ length: ctx.imageCount }, (_, i) => i);
}

function layoutOf(clause: string): CollageLayout {
  if (/\bgrid\b|宫格|网格|田字|\b2\s*[x×]\s*2\b/iu.test(clause)) return 'grid';
  return /\bvertical(?:ly)?\b|top to bottom|\babove\b|\bbelow\b|\bstack\w*|on top of each other|上下|纵向|竖/iu.test(clause) ? 'vertical' : 'horizontal';
}

function collageBuild(clause: string, _match: RegExpExecArray, ctx: MatchContext): RuleOutcome {
  const images = operands(clause, ctx);
  const missing = missingImage(images, ctx);
  if (missing) return missing;
  if (images.length < 2) return { problem: `a collage needs at least two input images, and ${ctx.imageCount === 1 ? 'only one was given' : 'only one was named'}` };
  return { ops: [{ op: 'collage', layout: layoutOf(clause), images }] };
}

export const COLLAGE_RULE = rule(
  '\\bside[\\s-]by[\\s-]side\\b|\\bnext to each other\\b|\\bcollage\\b|\\bgrid\\b|\\bstitch(?:ed|ing)?\\b|\\bmontage\\b|\\bstack(?:ed)?\\b|\\bone (?:above|below|next to) the other\\b|\\b(?:join|combine|concatenate)\\b(?=.*(?:side|vertical|horizontal|grid|row|column))|\\bin a (?:row|column)\\b|拼接|拼图|拼贴|拼在一起|拼成|并排|并列|宫格|左右排列|上下排列',
  collageBuild,
  { consume: `${IMAGE_TOKEN}|\\b(?:merge[ds]?|join|combine|put|place|together|them)\\b|合并|合成|放在?|\\bvertical(?:ly)?\\b|\\bhorizontal(?:ly)?\\b|\\b(?:above|below|top to bottom|left to right)\\b|上下|左右|纵向|横向|竖|横` },
);

/** "…on/onto/over/into image 1", 在图1…/到图1: the image something goes onto. */
const ONTO = new RegExp(`(?:\\b(?:on|onto|over|into|in|of|to)\\s+(?:the\\s+)?|在|到|于|入|进)(${IMAGE_TOKEN})`, 'u');

/** The base (undefined: the plan's subject decides) and the images that go onto it. */
function baseAndSources(clause: string, source: number | undefined, ctx: MatchContext): { base: number | undefined; sources: number[] } {
  const named = imagesIn(clause, ctx);
  const onto = ONTO.exec(clause)?.[1];
  const base = onto === undefined ? undefined : firstImage(onto, ctx);
  if (source !== undefined) return { base: base ?? named.find((i) => i !== source), sources: [source] };
  if (base !== undefined) {
    const others = named.filter((i) => i !== base);
    return { base, sources: others.length > 0 ? others : Array.from({ length: ctx.imageCount }, (_, i) => i).filter((i) => i !== base) };
  }
  if (named.length === 1) return { base: undefined, sources: named };
  if (named.length === 0) return { base: 0, sources: Array.from({ length: ctx.imageCount - 1 }, (_, i) => i + 1) };
  return { base: named[0], sources: named.slice(1) };
}

/** Scales named as a share ("at 30%", 三分之一) or in words (small, large). */
function scaleIn(clause: string): number | undefined {
  const percent = percentIn(clause);
  if (percent !== undefined) return percent;
  if (/三分之一|one[\s-]third/iu.test(clause)) return 1 / 3;
  if (/四分之一|one[\s-]quarter|a quarter/iu.test(clause)) return 0.25;
  if (/一半|二分之一|\bhalf\b/iu.test(clause)) return 0.5;
  if (/\b(?:tiny|very small)\b|很小/iu.test(clause)) return 0.15;
  if (/\bsmall\b|小一?[点些]?|缩小/iu.test(clause)) return 0.2;
  return /\b(?:large|big)\b|大一?[点些]|较大/iu.test(clause) ? 0.45 : undefined;
}

function placeBuild(clause: string, match: RegExpExecArray, ctx: MatchContext): RuleOutcome | undefined {
  const source = firstImage(match[0], ctx);
  if (source === undefined) return undefined;
  if (ctx.imageCount < 2) return { problem: 'placing one image on another needs two input images, and only one was given' };
  const { base } = baseAndSources(clause, source, ctx);
  const missing = missingImage(base === undefined ? [source] : [source, base], ctx);
  if (missing) return missing;
  if (base === source) return { problem: `image ${source + 1} cannot be placed on itself` };
  const scale = scaleIn(clause);
  if (scale !== undefined && (scale <= 0.02 || scale > 1)) return { problem: `a scale of ${Math.round(scale * 100)}% is not supported: name 3% to 100%` };
  return { ops: [{ op: 'place', source, position: positionIn(clause) ?? 'bottom-right', scale }], subject: base };
}

export const PLACE_RULE = rule(
  [
    `\\b(?:put|place|paste|insert|stick|position|drop|add|overlay)\\s+(?:the\\s+)?${IMAGE_TOKEN}`,
    `(?:把|将)\\s*${IMAGE_TOKEN}[^,，]{0,12}?(?:放|贴|置于|摆|插入|(?<!叠)加[到在]|叠放)`,
    `(?:放上|放入|放进|贴上|加上|添加|插入|叠放)\\s*${IMAGE_TOKEN}`,
  ].join('|'),
  placeBuild,
  { consume: `${IMAGE_TOKEN}|${POSITION_WORDS}|${PERCENT.source}|三分之一|四分之一|一半|二分之一|\\b(?:one[\\s-]third|quarter|half|tiny|small|large|big|scale|size|at|in|on|onto|of|into)\\b|缩小|大小|比例` },
);

/** Opacity of the blended image: "30% opacity"/不透明度30% as is, "30% transparent"/透明度30% as 70 %. */
function opacityIn(clause: string): number | undefined {
  const percent = percentIn(clause);
  if (percent === undefined) return undefined;
  return /\btranspar\w*|(?<!不)透明/iu.test(clause) ? 1 - percent : percent;
}

function blendBuild(clause: string, _match: RegExpExecArray, ctx: MatchContext): RuleOutcome {
  if (ctx.imageCount < 2) return { problem: 'blending needs two input images, and only one was given' };
  const { base, sources } = baseAndSources(clause, undefined, ctx);
  const missing = missingImage([...sources, ...(base === undefined ? [] : [base])], ctx);
  if (missing) return missing;
  if (sources.length === 0) return { problem: 'blending needs two different images' };
  const opacity = opacityIn(clause);
  if (opacity !== undefined && (opacity <= 0 || opacity >= 1)) return { problem: 'the opacity of a blend must lie between 0% and 100%' };
  // Without a named opacity, three images blend in equal thirds: image 2 at 1/2, image 3 at 1/3.
  const ops: PlanOp[] = sources.map((source, k) => ({ op: 'blend', source, opacity: opacity ?? (sources.length > 1 ? 1 / (k + 2) : undefined) }));
  return { ops, subject: base };
}

export const BLEND_RULE = rule(
  '\\bblend(?:s|ed|ing)?\\b|\\bmix(?:ed|ing)?\\b|\\bmerge[ds]?\\b|\\bfuse[ds]?\\b|\\bsuperimpos\\w*|double[\\s-]exposure|\\boverlay\\b|\\bcross[\\s-]?fade\\b|融合|叠加|混合|合并|双重曝光|重叠',
  blendBuild,
  { consume: `${IMAGE_TOKEN}|${PERCENT.source}|\\b(?:opacity|transparen\\w*|with|into|onto|over|on|together)\\b|不透明度|透明度|透明|在一起` },
);
