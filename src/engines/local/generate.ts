/**
 * Text-to-image without a generative model: an honest placeholder — a clean typographic card of
 * the prompt (its quoted title large, the prompt smaller, a label saying what it is), in the
 * prompt's colours, with a seeded theme and layout so each variant looks different.
 */
import type { Size } from '../../domain/models.js';
import { hasVisibleChars, missingGlyphs, nameChars } from './raster/font.js';
import type { Coverage } from './raster/font-render.js';
import { renderCoverage } from './raster/font-render.js';
import { paletteFor } from './raster/palette.js';
import type { Raster } from './raster/raster.js';
import { rngFor } from './raster/prng.js';
import { blendLayer } from './ops/text.js';
import type { Theme } from './card-theme.js';
import { LAYOUTS, fillRect, paintBackground, themeFor } from './card-theme.js';

export const PLACEHOLDER_WARNING =
  'the local engine renders a procedural placeholder for text-to-image: a typographic card of the prompt, not a generated image (the built-in CPU engine is not Qwen-Image); route this model to an upstream engine for real generation';

/** The label printed on every card. */
export const CARD_LABEL = 'Placeholder — built-in CPU engine, not Qwen-Image';

/** Longest title and prompt set on a card, in characters (the rest becomes "…"): bounds the work. */
const MAX_TITLE_CHARS = 80;
const MAX_BODY_CHARS = 280;

const QUOTED = /"([^"\n]+)"|“([^”\n]+)”|「([^」\n]+)」|『([^』\n]+)』|《([^》\n]+)》|‘([^’\n]+)’/u;
const TITLE_EN = /\b(?:titled|title|headline|heading|caption|the (?:words?|text))\s*(?:[:：]|is\b|reads\b|says\b|of\b)?\s*([^,.;!?\n]+)/iu;
const TITLE_ZH = /(?:大标题|标题|题目|字样|写着|写有)\s*(?:为|是|:|：)?\s*([^,，。.;；!！?？\n]+)/u;
/** An unquoted English title ends where the description goes on. */
const TITLE_END = /\s+(?:on|in|at|with|over|above|below|against|and|from|under|for)\s.*$/iu;

/** The title the prompt asks to show: quoted text first, else "title …" / 标题为…. */
export function titleOf(prompt: string): string | undefined {
  const quoted = QUOTED.exec(prompt);
  const fromQuotes = quoted?.slice(1).find((group) => group !== undefined);
  if (fromQuotes !== undefined) return fromQuotes.trim() || undefined;
  const zh = TITLE_ZH.exec(prompt)?.[1]?.trim();
  if (zh) return zh;
  const en = TITLE_EN.exec(prompt)?.[1]?.replace(TITLE_END, '').trim();
  return en || undefined;
}

/** At most `max` characters (code points) of the text with its white space collapsed, "…" marking a cut. */
export function capText(text: string, max: number): string {
  const chars = [...text.replace(/\s+/gu, ' ').trim()];
  return chars.length <= max ? chars.join('') : `${chars.slice(0, max - 1).join('').trimEnd()}…`;
}

/** The text without the characters no shipped font has ('' when nothing visible is left), and those characters. */
function drawable(text: string): { text: string; missing: string[] } {
  const missing = missingGlyphs(text);
  const left = new Set(missing);
  const kept = [...text].filter((char) => !left.has(char)).join('').replace(/\s+/gu, ' ').trim();
  return { text: hasVisibleChars(kept) ? kept : '', missing };
}

interface Block {
  coverage: Coverage;
  colour: Theme['ink'];
}

/** Draws coverage at a point, in a colour, at full opacity. */
function stamp(raster: Raster, block: Block, left: number, top: number): void {
  const { coverage } = block;
  blendLayer(raster.data, raster, { coverage: coverage.alpha, left, top, width: coverage.width, height: coverage.height, colour: block.colour, opacity: 1 });
}

/** Lays out and draws the card's text blocks for one of the seeded layouts. */
async function setCard(raster: Raster, theme: Theme, layout: (typeof LAYOUTS)[number], main: string, body: string | undefined): Promise<void> {
  const { width, height } = raster;
  const unit = Math.min(width, height);
  const margin = Math.round(unit * 0.08);
  const inner = width - 2 * margin;
  const align = layout === 'centred' ? 'centre' : 'left';
  const label: Block = { coverage: await renderCoverage(CARD_LABEL, inner, Math.max(8, Math.round(unit * 0.04)), align, Math.max(9, unit * 0.024)), colour: theme.muted };
  const labelTop = height - margin - label.coverage.height;
  // The band of the "banner" layout holds the main text; the others stack it above the prompt.
  const bandHeight = layout === 'banner' ? Math.round(height * 0.42) : 0;
  const mainMax = unit * (body === undefined ? 0.09 : 0.16);
  const mainBox = layout === 'banner' ? bandHeight - 2 * margin : Math.round((labelTop - 2 * margin) * (body === undefined ? 0.9 : 0.55));
  const mainBlock: Block = { coverage: await renderCoverage(main, inner, Math.max(8, mainBox), align, mainMax), colour: layout === 'banner' ? theme.onAccent : theme.ink };
  const bodyTop = layout === 'banner' ? bandHeight + margin : undefined;
  const bodyRoom = (bodyTop === undefined ? labelTop - 2 * margin - mainBlock.coverage.height : labelTop - margin - bodyTop) - margin;
  const bodyBlock: Block | undefined =
    body === undefined ? undefined : { coverage: await renderCoverage(body, inner, Math.max(8, bodyRoom), align, Math.max(10, unit * 0.045)), colour: theme.muted };
  const x = (coverage: Coverage): number => (align === 'centre' ? Math.round((width - coverage.width) / 2) : margin);
  if (layout === 'banner') {
    fillRect(raster, 0, 0, width, bandHeight, theme.accent);
    stamp(raster, mainBlock, x(mainBlock.coverage), Math.round((bandHeight - mainBlock.coverage.height) / 2));
    if (bodyBlock) stamp(raster, bodyBlock, x(bodyBlock.coverage), bodyTop!);
  } else {
    const gap = bodyBlock === undefined ? 0 : Math.round(unit * 0.05);
    const stack = mainBlock.coverage.height + gap + (bodyBlock?.coverage.height ?? 0);
    let top = layout === 'centred' ? Math.round((labelTop - stack) / 2) : margin * 2;
    if (layout === 'left-bar') fillRect(raster, Math.round(margin * 0.45), top, Math.max(3, Math.round(unit * 0.018)), stack, theme.accent);
    else fillRect(raster, Math.round((width - unit * 0.12) / 2), Math.max(0, top - Math.round(unit * 0.06)), Math.round(unit * 0.12), Math.max(2, Math.round(unit * 0.008)), theme.accent);
    stamp(raster, mainBlock, x(mainBlock.coverage), top);
    top += mainBlock.coverage.height + gap;
    if (bodyBlock) stamp(raster, bodyBlock, x(bodyBlock.coverage), top);
  }
  stamp(raster, label, x(label.coverage), labelTop);
}

export interface Placeholder {
  raster: Raster;
  description: string;
  warnings: string[];
}

export async function renderPlaceholder(prompt: string, size: Size, seed: number): Promise<Placeholder> {
  const palette = paletteFor(prompt);
  const rng = rngFor(seed, 0);
  const theme = themeFor(palette.colours, seed, rng);
  // Layouts cycle with the seed (as light and dark do), so consecutive variants never look alike.
  const layout = LAYOUTS[(seed >>> 0) % LAYOUTS.length]!;
  const raster = paintBackground(size, theme);
  const title = drawable(capText(titleOf(prompt) ?? '', MAX_TITLE_CHARS));
  const body = drawable(capText(prompt, MAX_BODY_CHARS));
  const warnings = [PLACEHOLDER_WARNING];
  const missing = [...new Set([...title.missing, ...body.missing])];
  if (missing.length > 0) warnings.push(`no shipped font can draw ${nameChars(missing.slice(0, 8))}; the card leaves those characters out`);
  const main = title.text || body.text || '…';
  await setCard(raster, theme, layout, main, title.text ? body.text || undefined : undefined);
  const colours = palette.names.length > 0 ? `colours: ${palette.names.join(', ')}` : "colours from the prompt's hash";
  const description = `typographic placeholder card, not a generated image (${title.text ? `title "${title.text}"; ` : ''}${colours})`;
  return { raster, description, warnings };
}
