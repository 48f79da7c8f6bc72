/**
 * Requests no classical editor can honour. Specific categories are checked before the operation
 * table (a clause about clothing is about clothing even if it says "black"); the fallbacks only
 * when no operation matched.
 */

import { BACKGROUND_REQUEST } from './rules-background.js';

const ROUTE = 'route this model to an upstream engine';

interface Category {
  pattern: RegExp;
  /** A clause that also matches this is not in the category. */
  unless?: RegExp;
  /** What is asked for ("changing a pose"), or with `standalone` a complete reason. */
  reason: string;
  standalone?: boolean;
}

function category(pattern: RegExp, what: string): Category {
  return { pattern, reason: what };
}

const SPECIFIC: readonly Category[] = [
  category(
    /姿势|姿态|动作|坐下|坐着|坐在|站着|站立|站起|躺下|躺着|跳起|举起|抬起|\bpos(?:e|es|ed|ing)\b|\bposture\b|\bsit(?:s|ting)?\b|\bstand(?:s|ing)?\b|\bkneel\w*|\blying down\b|\bjump\w*/iu,
    'changing a pose',
  ),
  category(
    /穿|换装|衣服|服装|服饰|裙|裤|外套|衬衫|鞋|帽子|\bdress(?:es|ed)?\b|\bskirts?\b|\bshirts?\b|\bclothes\b|\bclothing\b|\boutfits?\b|\bwear(?:s|ing)?\b|\bjackets?\b|\bhats?\b|\bshoes\b|\bcostumes?\b|\btrousers\b|\bpants\b/iu,
    'changing clothing',
  ),
  category(/表情|微笑|笑容|大笑|哭|皱眉|\bexpressions?\b|\bsmil(?:e|es|ing)\b|\bfrown\w*|\blaugh\w*|\bcry(?:ing)?\b/iu, 'changing a facial expression'),
  category(
    /发型|头发|发色|五官|脸型|化妆|妆容|年轻|变老|年龄|胖|瘦|胡子|\bhair\w*|\bmake-?up\b|\bolder\b|\byounger\b|\bage\b|\bbeard\b|\bthinner\b|\bslimmer\b|\bfatter\b/iu,
    "changing a person's appearance",
  ),
  {
    pattern: /背景|\bbackgrounds?\b|\bbackdrops?\b/iu,
    unless: BACKGROUND_REQUEST,
    reason: 'this background edit (the local engine can only remove the background, put the subject on a plain colour or on another input image, or blur the background)',
  },
  category(/上色|着色|彩色化|\bcolou?ri[sz](?:e|es|ed|ing|ation)\b|\badd colou?rs? to\b/iu, 'colourising a black and white photo'),
  category(
    /修复|复原|降噪|去噪|噪点|\brestor(?:e|es|ed|ing|ation)\b|\brepair\w*|\bdenois\w*|\bnoise\b|\bscratches\b/iu,
    'restoring or denoising a photo',
  ),
  category(
    /人脸|脸部|面部|车牌|眼睛|\bfaces?\b|\beyes\b|licen[cs]e[\s-]plates?|number[\s-]plates?/iu,
    'finding a face or an object to edit only that part of the picture',
  ),
  category(
    /(?:改|换|替换|修改|删除|去掉|去除|擦除)[^,]*?(?:文字|字样|文本|水印)|(?:文字|文本|字样)[^,，。]*?(?:改|换|替换)|\b(?:change|replace|edit|remove|erase|delete)\s+(?:the\s+)?(?:text|words?|caption|watermark|logo|signature)\b/iu,
    'editing or removing text that is already in the picture',
  ),
];

const FALLBACK: readonly Category[] = [
  {
    pattern: /缩放|缩小|\bresiz\w*|\bzoom\w*|\bshrink\b|\bsmaller\b/iu,
    reason: "the output size follows the request's size parameter (or the last input image); to change the shape, crop to an aspect ratio (crop to 16:9, 裁剪为16:9), or upscale (放大)",
    standalone: true,
  },
  {
    pattern: /\b(?:add|write|put|insert)\s+(?:a\s+|some\s+|the\s+)?(?:text|caption|title|words?|label)\b|添加文字|加上文字|加文字|写上|添加标题|加标题|加字/iu,
    reason: 'to add text, put the words in quotes, e.g. add the text "Hello" (添加文字“Hello”)',
    standalone: true,
  },
  {
    pattern: /风格|画风|\bstyles?\b|\bstyli[sz]ed?\b|\bpainting\b|\bdrawing\b|水墨|国画|像素/iu,
    standalone: true,
    reason: `this art style needs a generative model (the local engine knows anime/cartoon, oil painting, pencil sketch, watercolour, pixelate, posterise, black and white, sepia/vintage and the colours of another input image); ${ROUTE}`,
  },
  category(/添加|加上|加入|增加|放上|放置|放入|画上|插入|\badd(?:ing)?\b|\binsert\b|\bput\b|\bplace\b|\bdraw\b/iu, 'adding things to the picture'),
  category(/删除|删掉|去掉|去除|移除|擦除|抹去|消除|\bremov\w*|\berase\b|\bdelete\b|\bget rid of\b/iu, 'removing things from the picture'),
  category(/光线|打光|灯光|阴天|下雨|下雪|晴天|夜景|白天|\blighting\b|\brain\w*|\bsnow\w*|\bsunset\b|\bnight\b/iu, 'relighting or changing the weather'),
  category(
    /替换|换成|变成|改成|改为|变为|转换为|转为|\breplace\b|\bswap\b|\bturn\b.*\binto\b|\bchange\b|\btransform\b/iu,
    'replacing or transforming what is in the picture',
  ),
  category(/生成|创作|画一[个张幅只]|\bgenerate\b|\bcreate\b|\bimagine\b|\bscene\b/iu, 'generating new content'),
];

function needsModel(whats: readonly string[]): string {
  return `${whats.join(' and ')} ${whats.length > 1 ? 'need' : 'needs'} a generative model; ${ROUTE}`;
}

/** Why the clause is impossible when it touches any specific category, naming all of them. */
export function specificReason(clause: string): string | undefined {
  const whats = SPECIFIC.filter((c) => c.pattern.test(clause) && !c.unless?.test(clause)).map((c) => c.reason);
  return whats.length > 0 ? needsModel(whats) : undefined;
}

/** Why a clause that matched no operation is impossible, if it looks like a known kind of request. */
export function fallbackReason(clause: string): string | undefined {
  const hit = FALLBACK.find((c) => c.pattern.test(clause));
  if (!hit) return undefined;
  return hit.standalone ? hit.reason : needsModel([hit.reason]);
}
