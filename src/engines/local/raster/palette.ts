/** Colours named in a prompt (English and Chinese), for the text-to-image placeholder. */
import { hashString } from './prng.js';

export type Rgb = [number, number, number];

interface ColourWord {
  name: string;
  pattern: RegExp;
  colours: Rgb[];
}

const hex = (value: number): Rgb => [(value >> 16) & 255, (value >> 8) & 255, value & 255];

/** Plain colours first; a few scene words bring their usual palette. */
const COLOUR_WORDS: readonly ColourWord[] = [
  { name: 'red', pattern: /\b(?:red|crimson|scarlet)\b|(?<!粉)红/, colours: [hex(0xd7263d)] },
  { name: 'blue', pattern: /\b(?:blue|azure|navy)\b|蓝/, colours: [hex(0x1f5fbf)] },
  { name: 'green', pattern: /\b(?:green|emerald)\b|绿/, colours: [hex(0x2e9e5b)] },
  { name: 'yellow', pattern: /\byellow\b|黄(?!昏)/, colours: [hex(0xf4c430)] },
  { name: 'orange', pattern: /\b(?:orange|amber)\b|橙|橘/, colours: [hex(0xf57c00)] },
  { name: 'purple', pattern: /\b(?:purple|violet|lavender)\b|紫/, colours: [hex(0x7b3fa0)] },
  { name: 'pink', pattern: /\b(?:pink|rose)\b|粉/, colours: [hex(0xf48fb1)] },
  { name: 'black', pattern: /\bblack\b|黑/, colours: [hex(0x141414)] },
  { name: 'white', pattern: /\bwhite\b|白/, colours: [hex(0xf2f2ee)] },
  { name: 'gold', pattern: /\bgold(?:en)?\b|金/, colours: [hex(0xd4af37)] },
  { name: 'silver', pattern: /\bsilver\b|银/, colours: [hex(0xc0c4c8)] },
  { name: 'grey', pattern: /\bgr[ae]y\b|灰/, colours: [hex(0x808080)] },
  { name: 'brown', pattern: /\bbrown\b|棕|褐|咖啡色/, colours: [hex(0x7b4a2d)] },
  { name: 'cyan', pattern: /\b(?:cyan|teal|turquoise)\b|青色|青绿/, colours: [hex(0x1fa2a8)] },
  { name: 'sunset', pattern: /\bsunset\b|\bdusk\b|日落|夕阳|黄昏/, colours: [hex(0xff7e5f), hex(0xfeb47b), hex(0x6a3093)] },
  { name: 'ocean', pattern: /\b(?:ocean|sea)\b|大海|海洋|海边/, colours: [hex(0x0b3d91), hex(0x1fa2a8), hex(0xbfe9f0)] },
  { name: 'forest', pattern: /\b(?:forest|jungle)\b|森林|树林/, colours: [hex(0x1b4332), hex(0x52b788), hex(0xb7e4c7)] },
  { name: 'night', pattern: /\bnight\b|夜/, colours: [hex(0x0b1026), hex(0x2b2d6e), hex(0xf2e9b6)] },
  { name: 'snow', pattern: /\b(?:snow|winter)\b|雪|冬/, colours: [hex(0xf4f8fb), hex(0xa9c6de), hex(0x5b7fa6)] },
  { name: 'autumn', pattern: /\b(?:autumn|fall)\b|秋/, colours: [hex(0xb5651d), hex(0xe3a857), hex(0x6b2d0f)] },
  { name: 'spring', pattern: /\bspring\b|春/, colours: [hex(0x9bd770), hex(0xf7c6d9), hex(0xfff5b7)] },
  { name: 'fire', pattern: /\b(?:fire|flames?|lava)\b|火/, colours: [hex(0x8b0000), hex(0xff4500), hex(0xffc300)] },
  { name: 'sky', pattern: /\bsky\b|天空|蓝天/, colours: [hex(0x4a90d9), hex(0xa7d3f5), hex(0xffffff)] },
];

export interface Palette {
  /** Names of the colour words found, in the prompt's order; empty when the palette came from the hash. */
  names: string[];
  colours: Rgb[];
}

function hslToRgb(h: number, s: number, l: number): Rgb {
  const k = (n: number): number => (n + h / 30) % 12;
  const a = s * Math.min(l, 1 - l);
  const f = (n: number): number => l - a * Math.max(-1, Math.min(k(n) - 3, 9 - k(n), 1));
  return [Math.round(f(0) * 255), Math.round(f(8) * 255), Math.round(f(4) * 255)];
}

function shade([r, g, b]: Rgb, factor: number): Rgb {
  const towards = factor > 1 ? 255 : 0;
  const t = Math.abs(factor - 1);
  return [r + (towards - r) * t, g + (towards - g) * t, b + (towards - b) * t].map(Math.round) as Rgb;
}

export function paletteFor(prompt: string): Palette {
  const found = COLOUR_WORDS.map((word) => ({ word, at: prompt.search(new RegExp(word.pattern, 'iu')) }))
    .filter((hit) => hit.at >= 0)
    .sort((a, b) => a.at - b.at)
    .map((hit) => hit.word);
  const colours = found.flatMap((word) => word.colours);
  const [first] = colours;
  if (first === undefined) {
    // Analogous hues from the prompt's hash: the same prompt always gets the same palette.
    const hue = hashString(prompt) % 360;
    return { names: [], colours: [hslToRgb(hue, 0.55, 0.35), hslToRgb((hue + 35) % 360, 0.6, 0.55), hslToRgb((hue + 70) % 360, 0.5, 0.8)] };
  }
  const names = found.map((word) => word.name);
  if (colours.length === 1) return { names, colours: [shade(first, 0.55), first, shade(first, 1.45)] };
  return { names, colours };
}
