/**
 * The instruction reader: English and Chinese edit instructions → an ordered plan of classical
 * operations, with what was kept, what was not understood and what cannot be done.
 */
import { fallbackReason, specificReason } from './impossible.js';
import type { Plan, PlanOp, Rejection } from './plan.js';
import { VOCABULARY, describePlan } from './plan.js';
import type { MatchContext } from './vocabulary.js';
import { DEFAULT_SOURCE, IMAGE_TOKEN_BASE, OP_RULES, QUOTE_TOKEN_BASE, TEXT_WORDS } from './vocabulary.js';

export interface ParseOptions {
  /** How many input images the call has. */
  imageCount: number;
}

const NUMBER_WORDS: Record<string, number> = {
  一: 1, 二: 2, 三: 3, 四: 4, 五: 5, 六: 6, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6,
  first: 1, second: 2, third: 3, fourth: 4, fifth: 5, sixth: 6, '1st': 1, '2nd': 2, '3rd': 3, '4th': 4, '5th': 5, '6th': 6,
};

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

const HARD_SPLIT =
  /[.](?!\d)|[;!?。！？；\n]+|\b(?:and then|then|after that|afterwards|finally|also|additionally|plus|while|whilst|but|as well as)\b|然后|接着|之后|随后|最后|再(?!次)|并且|(?<!合)并|同时|另外|此外|以及|而且|但是|但/giu;
/** Soft connectors join list items; a fragment after one may belong to the clause before it. */
const SOFT_SPLIT = /(,|、|\s+and\s+|\s*&\s*|(?<![柔温缓暖谐])和(?!谐)|与|及)/iu;
const EDGE_CONNECTORS = /^(?:\s|and\b|&|和|与|及)+|(?:\s|\band|&|和|与|及)+$/giu;

const PRESERVE_START =
  /^(?:please\s+|and\s+|but\s+|请|并|但|要)?\s*(?:keep(?:ing)?|preserv(?:e|ing)|maintain(?:ing)?|retain(?:ing)?|leav(?:e|ing)|don['’]?t|do not|never|without|no need to|avoid|保持|保留|维持|不要|别|勿|无需|不用|不需要|不改变|不变)/iu;
const PRESERVE_ANYWHERE = /\b(?:unchanged|untouched|intact|as it is|as is)\b|\b(?:stays?|remains?) the same\b|不变|保持一致|维持原样|原样/iu;
const FILLER = /^(?:please|pls|thanks?|thank you|ok(?:ay)?|谢谢|请|麻烦了?|谢了)$/iu;

interface Tokenised {
  text: string;
  /** Occurrence k of an image reference → 0-based image index. */
  refs: number[];
  quotes: string[];
  /** Token character → the text it replaced, to quote clauses back as written. */
  originals: Map<string, string>;
}

function tokenise(prompt: string, imageCount: number): Tokenised {
  const refs: number[] = [];
  const quotes: string[] = [];
  const originals = new Map<string, string>();
  let text = prompt.normalize('NFKC').replace(QUOTES, (whole, ...groups: unknown[]) => {
    const token = String.fromCharCode(QUOTE_TOKEN_BASE + quotes.length);
    quotes.push(String(groups.slice(0, 6).find((g) => g !== undefined) ?? ''));
    originals.set(token, whole);
    return token;
  });
  for (const pattern of IMAGE_REFS) {
    text = text.replace(pattern, (whole, word: string) => {
      const key = word.toLowerCase();
      const number = key === 'last' ? imageCount : (NUMBER_WORDS[key] ?? Number(key));
      const token = String.fromCharCode(IMAGE_TOKEN_BASE + refs.length);
      refs.push(number - 1);
      originals.set(token, whole);
      return token;
    });
  }
  for (const [pattern, replacement] of PROTECTED) text = text.replace(pattern, replacement);
  return { text, refs, quotes, originals };
}

type ClauseKind = 'ops' | 'preserve' | 'rejected' | 'none' | 'empty';

interface Clause {
  text: string;
  kind: ClauseKind;
  ops: PlanOp[];
  problems: string[];
  /** Images the clause's operations are about (0-based), other than a style source. */
  subjects: number[];
}

function matchOps(text: string, ctx: MatchContext): Omit<Clause, 'text' | 'kind'> {
  let rest = text;
  const found: Array<{ at: number; ops: PlanOp[] }> = [];
  const problems: string[] = [];
  const groups = new Set<string>();
  for (const rule of OP_RULES) {
    if (rule.group !== undefined && groups.has(rule.group)) continue;
    const match = rule.trigger.exec(rest);
    if (!match) continue;
    const outcome = rule.build(rest, match, ctx);
    if (!outcome) continue;
    if ('problem' in outcome) problems.push(outcome.problem);
    else found.push({ at: match.index, ops: outcome.ops });
    if (rule.group !== undefined) groups.add(rule.group);
    rest = rest.replace(rule.consume, (s) => ' '.repeat(s.length));
  }
  const subjects = [...rest]
    .map((char) => char.charCodeAt(0) - IMAGE_TOKEN_BASE)
    .filter((k) => k >= 0 && k < 0x100)
    .map((k) => ctx.refs[k]!);
  const ops = found.sort((a, b) => a.at - b.at).flatMap((f) => f.ops);
  return { ops, problems, subjects: [...new Set(subjects)] };
}

function classify(text: string, ctx: MatchContext): Clause {
  const empty = { text, ops: [], problems: [], subjects: [] };
  if (!/[\p{L}\p{N}\p{Co}]/u.test(text) || FILLER.test(text)) return { ...empty, kind: 'empty' };
  if (PRESERVE_START.test(text) || PRESERVE_ANYWHERE.test(text)) return { ...empty, kind: 'preserve' };
  // Quoted words are text to draw only next to a word like "add" or 文字; otherwise they are read.
  const visible = TEXT_WORDS.test(text)
    ? text
    : text.replace(/[\ue200-\ue2ff]/gu, (token) => ` ${ctx.quotes[token.charCodeAt(0) - QUOTE_TOKEN_BASE] ?? ''} `);
  const specific = specificReason(visible);
  if (specific !== undefined) return { ...empty, kind: 'rejected', problems: [specific] };
  const matched = matchOps(visible, ctx);
  if (matched.ops.length > 0) return { text, kind: 'ops', ...matched };
  const problems = matched.problems.length > 0 ? matched.problems : [fallbackReason(visible)].filter((r) => r !== undefined);
  return { ...empty, kind: problems.length > 0 ? 'rejected' : 'none', problems };
}

/**
 * "keep the pose and the dress", 保持原有构图和色调: after "and" anything without an operation is
 * one more thing to keep; after a comma only a short fragment that means nothing by itself.
 */
function continuesKeepList(clause: Clause, connector: string): boolean {
  if (clause.ops.length > 0) return false;
  if (!/^[,、]$/u.test(connector.trim())) return true;
  const short = clause.text.trim().split(/\s+/u).length <= 3 && clause.text.replace(/[\p{ASCII}]/gu, '').length <= 6;
  return clause.kind === 'none' && short;
}

/** Splits into clauses, joining a list fragment back to its clause when it only makes sense there. */
function clausesOf(text: string, ctx: MatchContext): Clause[] {
  const clauses: Clause[] = [];
  for (const segment of text.split(HARD_SPLIT)) {
    const parts = segment.split(SOFT_SPLIT);
    let previous: Clause | undefined;
    for (let i = 0; i < parts.length; i += 2) {
      const piece = (parts[i] ?? '').replace(EDGE_CONNECTORS, '');
      const clause = classify(piece, ctx);
      if (clause.kind === 'empty') continue;
      if (previous !== undefined && i > 0) {
        const connector = parts[i - 1] ?? ' ';
        const joined = `${previous.text}${connector}${piece}`;
        if (previous.kind === 'preserve' && continuesKeepList(clause, connector)) {
          previous.text = joined;
          continue;
        }
        if (clause.kind === 'none') {
          const merged = classify(joined, ctx);
          if (merged.ops.length > previous.ops.length) {
            clauses[clauses.length - 1] = merged;
            previous = merged;
            continue;
          }
        }
      }
      clauses.push(clause);
      previous = clause;
    }
  }
  return clauses;
}

/** Synonyms in a row ("sepia, old photo look") ask once; repeated turns and flips still count. */
function withoutRepeats(ops: readonly PlanOp[]): PlanOp[] {
  return ops.filter((op, i) => {
    if (i === 0 || op.op === 'rotate' || op.op === 'flip') return true;
    return JSON.stringify(op) !== JSON.stringify(ops[i - 1]);
  });
}

export function parseInstruction(prompt: string, options: ParseOptions): Plan {
  const { imageCount } = options;
  const tokens = tokenise(prompt, imageCount);
  const restore = (text: string): string =>
    text.replace(/[\ue100-\ue2ff]/gu, (token) => tokens.originals.get(token) ?? token).replace(/\s+/g, ' ').trim();
  const ctx = { imageCount, quotes: tokens.quotes, refs: tokens.refs };
  const ops: PlanOp[] = [];
  const preserved: string[] = [];
  const unrecognised: string[] = [];
  const rejected: Rejection[] = [];
  let subject: number | undefined;
  for (const clause of clausesOf(tokens.text, ctx)) {
    const written = restore(clause.text);
    for (const reason of clause.problems) rejected.push({ clause: written, reason });
    if (clause.kind === 'preserve') preserved.push(written);
    else if (clause.kind === 'none') unrecognised.push(written);
    if (clause.kind !== 'ops') continue;
    const outOfRange = clause.subjects.find((s) => s < 0 || s >= imageCount);
    if (outOfRange !== undefined) {
      rejected.push({ clause: written, reason: `image ${outOfRange + 1} is named but only ${imageCount} image(s) were given` });
    } else if (clause.subjects.length > 1 || (subject !== undefined && clause.subjects.some((s) => s !== subject))) {
      rejected.push({
        clause: written,
        reason: `the local engine edits one image per output (image ${(subject ?? 0) + 1}); this clause is about ${clause.subjects.map((s) => `image ${s + 1}`).join(' and ')}`,
      });
    } else {
      subject ??= clause.subjects[0];
      ops.push(...clause.ops);
    }
  }
  const edited = subject ?? 0;
  const resolved = withoutRepeats(
    ops.map((op) => (op.op === 'style' && op.source === DEFAULT_SOURCE ? { ...op, source: edited === 0 ? 1 : 0 } : op)),
  );
  return {
    ops: resolved,
    subject: edited,
    preserved,
    unrecognised,
    rejected,
    description: describePlan(resolved, edited, imageCount),
  };
}

/** Warnings for the clauses left out of a plan that does something. */
export function planWarnings(plan: Plan): string[] {
  return [
    ...plan.unrecognised.map((clause) => `not understood by the local engine: "${clause}"`),
    ...plan.rejected.map((r) => `"${r.clause}": ${r.reason}`),
  ];
}

/** The message of a plan with nothing to do: what went wrong and what the local engine can do. */
export function explainNothingDoable(plan: Plan): string {
  const parts = [
    ...plan.rejected.map((r) => `"${r.clause}": ${r.reason}`),
    ...(plan.unrecognised.length > 0 ? [`Not understood: ${plan.unrecognised.map((c) => `"${c}"`).join(', ')}`] : []),
  ];
  if (parts.length === 0) {
    parts.push(plan.preserved.length > 0 ? 'the instruction only asks to keep things as they are' : 'the instruction is empty');
  }
  return `The local engine cannot do this edit. ${parts.join('. ')}. The local engine can do: ${VOCABULARY.join(', ')}.`;
}
