/** Colours named in edit instructions (text, borders), in English and Chinese. */
import type { Rgb } from './palette.js';

export interface NamedColour {
  /** English name, used in descriptions. */
  name: string;
  rgb: Rgb;
}

interface ColourWord extends NamedColour {
  zh: string;
  pattern: RegExp;
}

/** Chinese colour characters stand alone only before 色 or a word like 字/框/边 (红字, 白边). */
function word(name: string, english: string, chinese: string, zh: string, rgb: Rgb): ColourWord {
  return { name, zh, rgb, pattern: new RegExp(`\\b(?:${english})\\b|(?:${chinese})(?:色|(?=[字框边底]))`, 'iu') };
}

const COLOURS: readonly ColourWord[] = [
  word('pink', 'pink|rose', '粉红|粉', '粉色', [240, 120, 170]),
  word('gold', 'gold(?:en)?', '金黄|金', '金色', [212, 175, 55]),
  word('red', 'red|crimson|scarlet', '大红|红', '红色', [220, 30, 30]),
  word('orange', 'orange', '橙|橘', '橙色', [245, 130, 20]),
  word('yellow', 'yellow', '黄', '黄色', [250, 215, 30]),
  word('green', 'green', '绿', '绿色', [40, 160, 60]),
  word('cyan', 'cyan|teal|turquoise', '青', '青色', [0, 180, 200]),
  word('blue', 'blue|navy|azure', '蓝', '蓝色', [30, 90, 220]),
  word('purple', 'purple|violet', '紫', '紫色', [130, 60, 180]),
  word('brown', 'brown', '棕|褐|咖啡', '棕色', [120, 75, 40]),
  word('black', 'black', '黑', '黑色', [12, 12, 12]),
  word('white', 'white', '白', '白色', [255, 255, 255]),
  word('silver', 'silver', '银', '银色', [192, 192, 192]),
  word('grey', 'gr[ae]y', '灰', '灰色', [128, 128, 128]),
];

/** One alternation of every colour word, for rules that consume them. */
export const COLOUR_WORDS = COLOURS.map((c) => c.pattern.source).join('|');

/** The colour named earliest in the text (a longer name wins at the same place: 粉红 over 红). */
export function colourIn(text: string): NamedColour | undefined {
  let best: { at: number; colour: ColourWord } | undefined;
  for (const colour of COLOURS) {
    const at = text.search(colour.pattern);
    if (at >= 0 && (best === undefined || at < best.at)) best = { at, colour };
  }
  return best === undefined ? undefined : { name: best.colour.name, rgb: best.colour.rgb };
}

/** The Chinese name of a colour from this table. */
export function chineseName(colour: NamedColour): string {
  return COLOURS.find((c) => c.name === colour.name)?.zh ?? colour.name;
}

/** Relative luminance-ish brightness (Rec. 601 luma) of a colour, 0–255. */
export function lumaOf([r, g, b]: Rgb): number {
  return 0.299 * r + 0.587 * g + 0.114 * b;
}
