/**
 * The instruction reader: English and Chinese edit instructions → an ordered plan of classical
 * operations, with what was kept, what was not understood and what cannot be done.
 */
import { CONNECT_DASHSCOPE, VOCABULARY_DOC } from '../../../domain/built-in-engine.js';
import { MAX_TEXT_CHARS, drawnText } from '../ops/text.js';
import { describePlan } from './describe.js';
import { fallbackReason, specificReason } from './impossible.js';
import type { Plan, PlanOp, Rejection } from '../plan.js';
import { resolvePlan } from './resolve.js';
import { restoreTokens, tokenise } from './tokens.js';
import type { MatchContext } from './vocabulary.js';
import { IMAGE_TOKEN_BASE, OP_RULES, QUOTE_TOKEN_BASE, TEXT_WORDS } from './vocabulary.js';

export interface ParseOptions {
  /** How many input images the call has. */
  imageCount: number;
}

const HARD_SPLIT =
  /[.](?!\d)|[;!?。！？；\n]+|\b(?:and then|then|after that|afterwards|finally|also|additionally|plus|while|whilst|but|as well as)\b|然后|接着|之后|随后|最后|再(?!次)|并且|(?<!合)并(?![排列])|同时|另外|此外|以及|而且|但是|但/giu;
/** Soft connectors join list items; a fragment after one may belong to the clause before it. */
const SOFT_SPLIT = /(,|、|\s+and\s+|\s*&\s*|(?<![柔温缓暖谐])和(?!谐)|与|及)/iu;
const EDGE_CONNECTORS = /^(?:\s|and\b|&|和|与|及)+|(?:\s|\band|&|和|与|及)+$/giu;

const PRESERVE_START =
  /^(?:please\s+|and\s+|but\s+|请|并|但|要)?\s*(?:keep(?:ing)?|preserv(?:e|ing)|maintain(?:ing)?|retain(?:ing)?|leav(?:e|ing)|don['’]?t|do not|never|without|no need to|avoid|保持|保留|维持|不要|别|勿|无需|不用|不需要|不改变|不变)/iu;
const PRESERVE_ANYWHERE = /\b(?:unchanged|untouched|intact|as it is|as is)\b|\b(?:stays?|remains?) the same\b|不变|保持一致|维持原样|原样/iu;
const FILLER = /^(?:please|pls|thanks?|thank you|ok(?:ay)?|谢谢|请|麻烦了?|谢了)$/iu;

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
  const declared: number[] = [];
  const groups = new Set<string>();
  for (const rule of OP_RULES) {
    if (rule.group !== undefined && groups.has(rule.group)) continue;
    const match = rule.trigger.exec(rest);
    if (!match) continue;
    const outcome = rule.build(rest, match, ctx);
    if (!outcome) continue;
    if ('problem' in outcome) problems.push(outcome.problem);
    else {
      found.push({ at: match.index, ops: outcome.ops });
      if (outcome.subject !== undefined) declared.push(outcome.subject);
    }
    if (rule.group !== undefined) groups.add(rule.group);
    rest = rest.replace(rule.consume, (s) => ' '.repeat(s.length));
  }
  const named = [...rest]
    .map((char) => char.charCodeAt(0) - IMAGE_TOKEN_BASE)
    .filter((k) => k >= 0 && k < 0x100)
    .map((k) => ctx.refs[k]!);
  const ops = found.sort((a, b) => a.at - b.at).flatMap((f) => f.ops);
  return { ops, problems, subjects: [...new Set([...declared, ...named])] };
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
          // The fragment adds an operation, or qualifies one ("oil painting, strong").
          if (merged.ops.length > previous.ops.length || (merged.ops.length === previous.ops.length && JSON.stringify(merged.ops) !== JSON.stringify(previous.ops))) {
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

export function parseInstruction(prompt: string, options: ParseOptions): Plan {
  const { imageCount } = options;
  const tokens = tokenise(prompt, imageCount);
  const ctx = { imageCount, quotes: tokens.quotes, refs: tokens.refs };
  const preserved: string[] = [];
  const unrecognised: string[] = [];
  const rejected: Rejection[] = [];
  const clauses = [];
  for (const clause of clausesOf(tokens.text, ctx)) {
    const written = restoreTokens(clause.text, tokens.originals);
    for (const reason of clause.problems) rejected.push({ clause: written, reason });
    if (clause.kind === 'preserve') preserved.push(written);
    else if (clause.kind === 'none') unrecognised.push(written);
    else if (clause.kind === 'ops') clauses.push({ written, ops: clause.ops, subjects: clause.subjects });
  }
  const { ops, subject } = resolvePlan(clauses, imageCount, rejected);
  return { ops, subject, preserved, unrecognised, rejected, description: describePlan(ops, subject, imageCount) };
}

/** Longest part of a cut text quoted in the warning that says it was cut. */
const MAX_QUOTED_TEXT = 60;

/** Warnings for the clauses left out of a plan that does something, and for texts drawn only in part. */
export function planWarnings(plan: Plan): string[] {
  const cut = plan.ops.flatMap((op) => (op.op === 'text' && drawnText(op.text).cut ? [op.text] : []));
  return [
    ...plan.unrecognised.map((clause) => `not understood by the local engine: "${clause}"`),
    ...plan.rejected.map((r) => `"${r.clause}": ${r.reason}`),
    ...cut.map((text) => `text: only the first ${MAX_TEXT_CHARS} characters of "${clipAtWord(text, MAX_QUOTED_TEXT)}" are drawn`),
  ];
}

/** Longest refusal message, and longest quoted clause in it: the message says what, not everything. */
const MAX_REFUSAL_CHARS = 300;
const MAX_QUOTED_CLAUSE = 40;
/** The reasons' own pointer to upstream engines, which the refusal's closing line replaces. */
const ROUTE_SUFFIX = /; route this model to an upstream engine.*$/u;

/**
 * The message of a plan with nothing to do: the first thing that could not be done, where the list
 * of what can be is, and the one line that connects Qwen-Image itself. At most MAX_REFUSAL_CHARS.
 */
export function explainNothingDoable(plan: Plan): string {
  const rejected = plan.rejected[0];
  const unknown = plan.unrecognised[0];
  const quote = (clause: string) => `"${clipAtWord(clause.trim(), MAX_QUOTED_CLAUSE)}"`;
  const head = 'The built-in CPU engine cannot do this edit: ';
  const tail = `. What it can do: GET /v1/models (builtInEngine.vocabulary) or ${VOCABULARY_DOC}; for Qwen-Image set ${CONNECT_DASHSCOPE} on the server.`;
  if (!rejected) {
    const what = unknown !== undefined ? `${quote(unknown)} was not understood` : plan.preserved.length > 0 ? 'the instruction only asks to keep things as they are' : 'the instruction is empty';
    return `${head}${clipAtWord(what, MAX_REFUSAL_CHARS - head.length - tail.length)}${tail}`;
  }
  const lead = `${quote(rejected.clause)}: `;
  const room = MAX_REFUSAL_CHARS - head.length - tail.length - lead.length;
  let reason = rejected.reason.replace(ROUTE_SUFFIX, '');
  // A long reason loses its examples in brackets first, then its last "; …" parts, then its end.
  if (reason.length > room) reason = reason.replace(/ \([^)]*\)/gu, '');
  while (reason.length > room && reason.includes('; ')) reason = reason.replace(/; [^;]*$/u, '');
  return `${head}${lead}${clipAtWord(reason, room)}${tail}`;
}

/**
 * At most `max` characters (UTF-16 units) of `text`, ending with "…" when cut: at the last word
 * boundary when one is in the second half, and never between the halves of a surrogate pair.
 */
export function clipAtWord(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = max - 1;
  const low = text.charCodeAt(cut);
  const high = text.charCodeAt(cut - 1);
  if (low >= 0xdc00 && low <= 0xdfff && high >= 0xd800 && high <= 0xdbff) cut -= 1;
  const space = text.lastIndexOf(' ', cut);
  if (space >= max / 2) cut = space;
  return `${text.slice(0, cut).replace(/[\s,;:]+$/u, '')}…`;
}
