/**
 * Instruction rules for the background: remove it (抠图), a plain colour (白底图), another input
 * image behind the subject (换背景), and blur it (背景虚化). A background request none of these
 * reads stays refused (impossible.ts), so "make the background black and white" does not turn the
 * whole picture grey.
 */
import { COLOUR_WORDS, colourIn } from '../raster/colours.js';
import type { NamedColour } from '../raster/colours.js';
import type { MatchContext, RuleOutcome } from './rules.js';
import { IMAGE_TOKEN, graded, imagesIn, missingImage, rule, simple } from './rules.js';

const BG = '(?:back-?grounds?|backdrops?)';
const WHITE: NamedColour = { name: 'white', rgb: [255, 255, 255] };
const BLACK: NamedColour = { name: 'black', rgb: [12, 12, 12] };

const REMOVE = [
  `\\b(?:remove|delete|erase|cut|drop|get rid of|take out|clear|strip)\\s+(?:out\\s+)?(?:the\\s+|its\\s+)?${BG}`,
  `\\b${BG}\\s+(?:remov\\w*|eras\\w*|deleted|gone|transparent)`,
  `\\btransparent\\s+(?:${BG}|png)`,
  `\\b(?:no|without\\s+(?:a|the))\\s+${BG}`,
  `\\bcut[\\s-]?out\\b`,
  `\\bisolate\\s+the\\s+(?:subject|object|product)`,
  `抠图|抠出|抠像|扣图|免抠|去背景|透明背景|背景透明|背景变透明|背景(?:去掉|去除|删除|删掉|移除)`,
  `(?:去掉|去除|删除|删掉|移除|抠掉|扣掉|不要)[^,，。]{0,8}?背景`,
].join('|');

const COLOUR_BG = [
  `(?:${COLOUR_WORDS})\\s*${BG}`,
  `\\b${BG}\\s+(?:colou?r\\s+)?(?:to|in|into|with|of|as)\\s+(?:a\\s+|an\\s+)?(?:plain\\s+|solid\\s+|pure\\s+)?(?:${COLOUR_WORDS})`,
  `\\b(?:plain|solid)\\s+(?:colou?r(?:ed)?\\s+)?${BG}`,
  `\\bproduct\\s+(?:shot|photo)\\b`,
  `白底图?|纯白背景|纯黑背景|纯色背景|纯色底`,
  `(?:${COLOUR_WORDS})背景`,
  `背景(?:颜色|色)?(?:换成|改成|改为|变成|变为|设为|设置为|换为|用|是|为)?(?:纯)?(?:${COLOUR_WORDS})`,
].join('|');

const BLUR_BG = [
  `\\b(?:blur(?:red)?|defocus(?:ed)?|soften)\\s+(?:the\\s+|its\\s+)?${BG}`,
  `\\b${BG}\\s+(?:blur(?:red|ry)?|out of focus|bokeh)`,
  `\\bblurr?(?:ed|y)\\s+${BG}`,
  `\\bbokeh\\b|\\bshallow depth of field\\b|\\bportrait (?:mode|effect)\\b`,
  `背景虚化|虚化背景|背景模糊|模糊背景|虚化|景深|大光圈|人像模式`,
].join('|');

const IMAGE_BG = [
  `${BG}[^.;]*?${IMAGE_TOKEN}`,
  `${IMAGE_TOKEN}[^.;]*?${BG}`,
  `背景[^。；]*?${IMAGE_TOKEN}|${IMAGE_TOKEN}[^。；]*?背景`,
  `换背景|更换背景|替换背景|背景替换|背景更换`,
  `\\b(?:replace|change|swap)\\s+(?:the\\s+)?${BG}`,
].join('|');

/** Every background request the local engine can do (impossible.ts refuses the other background clauses). */
export const BACKGROUND_REQUEST = new RegExp(`${REMOVE}|${COLOUR_BG}|${BLUR_BG}|${IMAGE_BG}`, 'iu');

const OTHER_BACKGROUND_EDIT = new RegExp(`${REMOVE}|${COLOUR_BG}|${BLUR_BG}`, 'iu');

/** An image that is the new background: after "with/to/换成", before "as background"/作为背景, after 以/用. */
const NEW_BACKGROUND: readonly RegExp[] = [
  new RegExp(`(?:\\bwith|\\bto|\\bby|\\bfor|换成|替换为|替换成|换为|改成|改为|变成|设为|设置为)\\s*(?:the\\s+)?(${IMAGE_TOKEN})`, 'iu'),
  new RegExp(`(${IMAGE_TOKEN})\\s+as\\s+(?:the\\s+|a\\s+)?(?:new\\s+)?${BG}`, 'iu'),
  new RegExp(`(?:以|用|拿)(${IMAGE_TOKEN})|(${IMAGE_TOKEN})(?:作为|作|做|当作|当)(?:新的?)?背景`, 'u'),
];

/** "the background of image 2", 图2的背景: the new background when put on it, the edited image's when replaced. */
const BACKGROUND_OF = new RegExp(`${BG}\\s+(?:of|from|in)\\s+(?:the\\s+)?(${IMAGE_TOKEN})|(${IMAGE_TOKEN})(?:'s|’s)\\s+${BG}|(${IMAGE_TOKEN})的背景`, 'iu');
const REPLACE_VERB = /\b(?:replace|change|swap|switch)\b|换|替换|改/iu;

function tokenImage(match: RegExpExecArray | null, ctx: MatchContext): number | undefined {
  const token = match?.slice(1).find((group) => group !== undefined);
  return token === undefined ? undefined : imagesIn(token, ctx)[0];
}

/** The new background's image and the edited one, as far as the clause says. */
function rolesIn(clause: string, ctx: MatchContext): { source?: number | undefined; subject?: number | undefined } {
  for (const pattern of NEW_BACKGROUND) {
    const source = tokenImage(pattern.exec(clause), ctx);
    if (source !== undefined) return { source };
  }
  const of = tokenImage(BACKGROUND_OF.exec(clause), ctx);
  if (of !== undefined) return REPLACE_VERB.test(clause) ? { subject: of } : { source: of };
  const named = imagesIn(clause, ctx);
  return named.length >= 2 ? { source: named.at(-1) } : { subject: named[0] };
}

/** "…换成海滩", "…with a beach": the new background is described, not another input. */
const DESCRIBED = new RegExp(`(?:换成|换为|改成|改为|变成|替换为|替换成|\\bwith\\b|\\binto\\b|\\bto\\b)(?![^]*${IMAGE_TOKEN})`, 'iu');
const DESCRIBED_SCENE =
  'a described scene as the background needs a generative model; route this model to an upstream engine (the local engine can put the subject on the background of another input image, on a plain colour, or blur or remove the background)';

const ONE_IMAGE =
  'a new background needs a second input image to take it from (a described scene needs a generative model); with one image the local engine can remove the background, put the subject on a plain colour, or blur the background';

function imageBackgroundBuild(clause: string, _match: RegExpExecArray, ctx: MatchContext): RuleOutcome | undefined {
  // "put image 1 on a white background", "blur the background of image 2": the other rules' requests.
  if (OTHER_BACKGROUND_EDIT.test(clause)) return undefined;
  if (DESCRIBED.test(clause)) return { problem: DESCRIBED_SCENE };
  if (ctx.imageCount < 2) return { problem: ONE_IMAGE };
  const named = imagesIn(clause, ctx);
  const roles = rolesIn(clause, ctx);
  const subject = roles.subject ?? named.find((i) => i !== roles.source) ?? (roles.source === 0 ? 1 : 0);
  const source = roles.source ?? named.find((i) => i !== subject) ?? (subject === 0 ? 1 : 0);
  const missing = missingImage([subject, source], ctx);
  if (missing) return missing;
  if (source === subject) return { problem: `image ${source + 1} cannot be its own background` };
  return { ops: [{ op: 'imageBackground', source }], subject };
}

function colourBackgroundBuild(clause: string): RuleOutcome {
  const colour = colourIn(clause) ?? (/纯黑|\bblack\b/iu.test(clause) ? BLACK : WHITE);
  return { ops: [{ op: 'colourBackground', colour }] };
}

const BG_WORDS = `${BG}|背景|底色|\\b(?:the|a|an|its|of|on|onto|to|into|in|with|as|plain|solid|pure|new|colou?r(?:ed)?|make|set|put|place|change|replace|swap)\\b|换成|换为|改成|改为|变成|设为|纯色?|把|将|放[到在]?|上`;

export const IMAGE_BACKGROUND_RULE = rule(IMAGE_BG, imageBackgroundBuild, {
  consume: `${IMAGE_TOKEN}|${BG_WORDS}|\\b(?:replace|use|using|behind|over|in front of|scene)\\b|替换|作为|当作|用|以|为|的|换|贴`,
});

export const COLOUR_BACKGROUND_RULE = rule(COLOUR_BG, colourBackgroundBuild, { consume: `${COLOUR_WORDS}|${BG_WORDS}|白底|底|图|\\bproduct\\b|\\bshot\\b|\\bphoto\\b` });

export const BLUR_BACKGROUND_RULE = rule(BLUR_BG, graded((strength) => ({ op: 'blurBackground', strength })), {
  consume: `${BG_WORDS}|\\bblur\\w*|\\bbokeh\\b|模糊|虚化`,
});

export const REMOVE_BACKGROUND_RULE = rule(REMOVE, simple({ op: 'removeBackground' }), {
  consume: `${BG_WORDS}|\\b(?:remove|delete|erase|cut|out|transparent|png|no|without|isolate|subject|object)\\b|透明|去掉|去除|删除|删掉|移除|抠掉|扣掉`,
});

/** In priority order: the other image's background first (it owns the image references). */
export const BACKGROUND_RULES = [IMAGE_BACKGROUND_RULE, COLOUR_BACKGROUND_RULE, BLUR_BACKGROUND_RULE, REMOVE_BACKGROUND_RULE];
