/** The building blocks of the instruction reader's operation table (see vocabulary.ts). */
import type { PlanOp, Strength } from '../plan.js';

/** Image references and quoted texts are replaced by single private-use characters before matching. */
export const IMAGE_TOKEN_BASE = 0xe100;
export const QUOTE_TOKEN_BASE = 0xe200;
export const IMAGE_TOKEN = '[\\ue100-\\ue1ff]';
export const QUOTE_TOKEN = '[\\ue200-\\ue2ff]';

/** A source image not named: resolved once the plan's subject is known. */
export const DEFAULT_SOURCE = -1;

export interface MatchContext {
  imageCount: number;
  /** Quote token k → the quoted text. */
  quotes: readonly string[];
  /** Image token k → the 0-based image it names. */
  refs: readonly number[];
}

/** `subject`: the image the clause edits, when the rule itself knows it ("… on image 1"). */
export type RuleOutcome = { ops: PlanOp[]; subject?: number | undefined } | { problem: string };

export interface OpRule {
  trigger: RegExp;
  /** Global: what to blank out after a match. */
  consume: RegExp;
  /** Rules of one group are exclusive within a clause (brighter vs darker). */
  group?: string | undefined;
  /** Undefined when the trigger was a false alarm ("turn it into…" is no rotation). */
  build(clause: string, match: RegExpExecArray, ctx: MatchContext): RuleOutcome | undefined;
}

const LIGHT = /\b(?:slight(?:ly)?|a (?:little|bit|touch)|subtle|subtly|gentle|gently|mild(?:ly)?|soft(?:ly)?|somewhat|lightly)\b|稍微|稍稍|略微|轻微|轻度|一点|一些|微微|些许|略|稍/iu;
const STRONG = /\b(?:very|much|a lot|lots|heav(?:y|ily)|strong(?:ly)?|significantly|greatly|extreme(?:ly)?|really|super|intense(?:ly)?|massive(?:ly)?)\b|非常|很|大幅|强烈|明显|大大|极|十分|特别|重度|超级|严重/iu;

export function strengthOf(clause: string): Strength {
  if (STRONG.test(clause)) return 'strong';
  return LIGHT.test(clause) ? 'light' : 'normal';
}

export function simple(op: PlanOp): OpRule['build'] {
  return () => ({ ops: [op] });
}

/** A rule whose build gets the clause's strength: `make(strength)` → the operation. */
export function graded(make: (strength: Strength) => PlanOp): OpRule['build'] {
  return (clause) => ({ ops: [make(strengthOf(clause))] });
}

export function rule(trigger: string, build: OpRule['build'], extra: { consume?: string; group?: string } = {}): OpRule {
  const consume = extra.consume === undefined ? trigger : `${trigger}|${extra.consume}`;
  return { trigger: new RegExp(trigger, 'iu'), consume: new RegExp(consume, 'giu'), group: extra.group, build };
}

export const PERCENT = /(\d{1,3}(?:\.\d+)?)\s*%|百分之\s*(\d{1,3})/u;

/** The percentage named in the clause, as a fraction. */
export function percentIn(clause: string): number | undefined {
  const match = PERCENT.exec(clause);
  return match ? Number(match[1] ?? match[2]) / 100 : undefined;
}

/** The images a clause names, in order and without repeats (0-based). */
export function imagesIn(text: string, ctx: MatchContext): number[] {
  const found: number[] = [];
  for (const char of text) {
    const k = char.charCodeAt(0) - IMAGE_TOKEN_BASE;
    if (k < 0 || k >= 0x100) continue;
    const image = ctx.refs[k];
    if (image !== undefined && !found.includes(image)) found.push(image);
  }
  return found;
}

/** The image named by the first image token in `text`, if any. */
export function firstImage(text: string, ctx: MatchContext): number | undefined {
  return imagesIn(text, ctx)[0];
}

/** An image number beyond the inputs, as a problem. */
export function missingImage(images: readonly number[], ctx: MatchContext): RuleOutcome | undefined {
  const missing = images.find((i) => i < 0 || i >= ctx.imageCount);
  return missing === undefined ? undefined : { problem: `image ${missing + 1} is named but only ${ctx.imageCount} image(s) were given` };
}
