/**
 * The operation table of the instruction reader: for each operation its English and Chinese
 * triggers, its parameters, and the words it consumes so later rules do not match them again.
 */
import type { OpRule } from './rules.js';
import { BLUR_RULE, CARTOON_RULE, COLOUR_RULES, GEOMETRY_RULES, SHARPEN_RULE, TONE_RULES } from './rules-basic.js';
import { BLEND_RULE, COLLAGE_RULE, PLACE_RULE, STYLE_RULE, TEXT_RULE } from './rules-compose.js';
import { BACKGROUND_RULES } from './rules-background.js';
import { ART_RULES, BORDER_RULE, CROP_RULE, UPSCALE_RULE } from './rules-effects.js';

export { DEFAULT_SOURCE, IMAGE_TOKEN_BASE, QUOTE_TOKEN_BASE } from './rules.js';
export type { MatchContext } from './rules.js';
export { TEXT_WORDS } from './rules-compose.js';

/**
 * In priority order: earlier rules consume their words before later ones look. The background
 * rules come first (their words would read as placing, blurring or colours), then multi-image rules
 * (they own the image references), then text (its position and colour words), then
 * framing, the art looks (whose names contain words like "colour"), and the plain adjustments.
 */
export const OP_RULES: readonly OpRule[] = [
  ...BACKGROUND_RULES,
  COLLAGE_RULE,
  STYLE_RULE,
  PLACE_RULE,
  BLEND_RULE,
  TEXT_RULE,
  BORDER_RULE,
  CROP_RULE,
  UPSCALE_RULE,
  ...ART_RULES,
  SHARPEN_RULE,
  BLUR_RULE,
  ...COLOUR_RULES,
  ...TONE_RULES,
  ...GEOMETRY_RULES,
  CARTOON_RULE,
];
