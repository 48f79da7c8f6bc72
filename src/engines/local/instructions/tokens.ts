/**
 * Before an instruction is read, quoted texts and image references (图2, the second image) become
 * single private-use characters, so rules can match "put <image> in the corner" whatever the wording.
 */
import { IMAGE_TOKEN_BASE, QUOTE_TOKEN_BASE } from './rules.js';

const NUMBER_WORDS: Record<string, number> = {
  一: 1, 二: 2, 三: 3, 四: 4, 五: 5, 六: 6, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6,
  first: 1, second: 2, third: 3, fourth: 4, fifth: 5, sixth: 6, '1st': 1, '2nd': 2, '3rd': 3, '4th': 4, '5th': 5, '6th': 6,
};

/** "images 1 and 2", "image 1, 2 and 3": one token per number. */
const IMAGE_LIST = /\b(?:images?|pictures?|photos?|pics?|inputs?)\s*([1-6](?:\s*(?:,|and|&)\s*[1-6])+)\b/giu;
/** 1-based image numbers; `last` resolves to the last input. */
const IMAGE_REFS: readonly RegExp[] = [
  /第\s*([一二三四五六1-6])\s*(?:张|幅|个)\s*(?:图片|图像|图|照片|相片)?/gu,
  /(?:图片|图像|照片|相片|图)\s*([1-6一二三四五六])(?![0-9])(?!\s*(?:度|°))/gu,
  /\b(?:image|picture|photo|pic|img|input|photograph)\s*(?:#|no\.?\s*|number\s*)?([1-6]|one|two|three|four|five|six)\b(?!\s*(?:°|deg))/giu,
  /\b(?:the\s+)?(first|second|third|fourth|fifth|sixth|1st|2nd|3rd|4th|5th|6th|last)\s+(?:image|picture|photo|pic|input|one)\b/giu,
];
const QUOTES = /"([^"\n]*)"|“([^”\n]*)”|「([^」\n]*)」|『([^』\n]*)』|《([^》\n]*)》|‘([^’\n]*)’/gu;
/** Phrases whose "and" is no connector. */
const PROTECTED: ReadonlyArray<[RegExp, string]> = [
  [/black\s*(?:-\s*and\s*-|and|&|n)\s*white/giu, 'black-and-white'],
  [/\bb\s*&\s*w\b/giu, 'b/w'],
];
/** "image 1 and image 2", 图1和图2: a list of images is one phrase, not two clauses. */
const TOKEN_LIST = /([\ue100-\ue1ff])\s*(?:,|、|\band\b|&|和|与|及|以及)\s*(?=[\ue100-\ue1ff])/giu;

interface Tokenised {
  text: string;
  /** Occurrence k of an image reference → 0-based image index. */
  refs: number[];
  quotes: string[];
  /** Token character → the text it replaced, to quote clauses back as written. */
  originals: Map<string, string>;
}

export function tokenise(prompt: string, imageCount: number): Tokenised {
  const refs: number[] = [];
  const quotes: string[] = [];
  const originals = new Map<string, string>();
  const imageToken = (number: number, whole: string): string => {
    const token = String.fromCharCode(IMAGE_TOKEN_BASE + refs.length);
    refs.push(number - 1);
    originals.set(token, whole);
    return token;
  };
  const quoteToken = (whole: string, ...groups: unknown[]): string => {
    const token = String.fromCharCode(QUOTE_TOKEN_BASE + quotes.length);
    quotes.push(groups.slice(0, 6).find((g): g is string => typeof g === 'string') ?? '');
    originals.set(token, whole);
    return token;
  };
  // Quotes are taken before NFKC too, so a text to draw keeps its full-width punctuation (，！).
  let text = prompt.replace(QUOTES, quoteToken).normalize('NFKC').replace(QUOTES, quoteToken);
  text = text.replace(IMAGE_LIST, (whole, list: string) =>
    (list.match(/[1-6]/g) ?? []).map((digit, k) => imageToken(Number(digit), k === 0 ? whole : '')).join(' '),
  );
  for (const pattern of IMAGE_REFS) {
    text = text.replace(pattern, (whole, word: string) => {
      const key = word.toLowerCase();
      return imageToken(key === 'last' ? imageCount : (NUMBER_WORDS[key] ?? Number(key)), whole);
    });
  }
  text = text.replace(TOKEN_LIST, (whole, token: string) => {
    originals.set(token, `${originals.get(token) ?? ''}${whole.slice(token.length)}`);
    return token;
  });
  for (const [pattern, replacement] of PROTECTED) text = text.replace(pattern, replacement);
  return { text, refs, quotes, originals };
}

/** The instruction text with tokens put back as written. */
export function restoreTokens(text: string, originals: ReadonlyMap<string, string>): string {
  return text.replace(/[\ue100-\ue2ff]/gu, (token) => originals.get(token) ?? token).replace(/\s+/g, ' ').trim();
}
