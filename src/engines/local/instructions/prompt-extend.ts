/**
 * prompt_extend for the local engine: a rule-based rewriter that adds to the plan's description
 * the preservation clauses the vendors recommend for each kind of edit (seed 004: "…, keep her
 * clothing, hairstyle and expression unchanged, … lighting and shadows remain consistent").
 */
import type { Language } from './describe.js';
import { describePlan } from './describe.js';
import type { OpName, Plan } from '../plan.js';

type Clause = 'keepComposition' | 'keepContent' | 'lighting' | 'keepRest' | 'legible' | 'keepSubjects' | 'toneConsistent' | 'noSeams' | 'cleanJoins';

const CLAUSES: Record<Clause, Record<Language, string | ((images: number) => string)>> = {
  keepComposition: { en: 'keep the composition and subject unchanged', zh: '保持构图和主体不变' },
  keepContent: { en: 'keep the content unchanged', zh: '保持内容不变' },
  lighting: { en: 'lighting and shadows remain consistent', zh: '光影保持一致' },
  keepRest: { en: 'keep the rest of the image unchanged', zh: '保持画面其余部分不变' },
  legible: { en: 'the text is clear and legible', zh: '文字清晰可读' },
  keepSubjects: {
    en: (images) => (images > 2 ? "keep every image's subject unchanged" : "keep both images' subjects unchanged"),
    zh: (images) => (images > 2 ? '保持各图主体不变' : '保持两张图片的主体不变'),
  },
  toneConsistent: { en: 'lighting and tone consistent', zh: '光影和色调一致' },
  noSeams: { en: 'no visible seams', zh: '没有明显接缝' },
  cleanJoins: { en: 'clean, straight joins', zh: '拼接处整齐' },
};

const GEOMETRY: ReadonlySet<OpName> = new Set(['rotate', 'flip', 'crop', 'upscale', 'border']);
const MULTI: ReadonlySet<OpName> = new Set(['collage', 'place', 'blend', 'imageBackground']);

/** The clauses for a plan: colour/style, geometry, text and multi-image edits each bring theirs. */
function clausesFor(plan: Plan): Clause[] {
  const names = plan.ops.map((op) => op.op);
  const geometry = names.some((n) => GEOMETRY.has(n));
  const multi = names.some((n) => MULTI.has(n));
  const text = names.includes('text');
  const colour = names.some((n) => !GEOMETRY.has(n) && !MULTI.has(n) && n !== 'text');
  const clauses: Clause[] = [];
  if (multi) clauses.push('keepSubjects', 'toneConsistent', names.includes('collage') ? 'cleanJoins' : 'noSeams');
  else if (geometry) clauses.push('keepContent');
  else if (colour) clauses.push('keepComposition');
  if (colour && !multi) clauses.push('lighting');
  if (text && !colour && !geometry && !multi) clauses.push('keepRest');
  if (text) clauses.push('legible');
  return clauses;
}

/** How many images a plan combines (for "both" or "every"). */
function combined(plan: Plan): number {
  const images = new Set<number>([plan.subject]);
  for (const op of plan.ops) {
    if (op.op === 'collage') op.images.forEach((i) => images.add(i));
    if (op.op === 'place' || op.op === 'blend' || op.op === 'imageBackground') images.add(op.source);
  }
  return images.size;
}

/** The prompt the engine acts on: the plan in the prompt's language, with the clauses when extending. */
export function actualPrompt(plan: Plan, options: { imageCount: number; language: Language; extend: boolean }): string {
  const description = describePlan(plan.ops, plan.subject, options.imageCount, options.language);
  if (!options.extend) return description;
  const images = combined(plan);
  const words = clausesFor(plan).map((clause) => {
    const text = CLAUSES[clause][options.language];
    return typeof text === 'string' ? text : text(images);
  });
  return options.language === 'zh' ? `${description}，${words.join('，')}` : `${description}, ${words.join(', ')}`;
}
