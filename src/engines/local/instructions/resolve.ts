/**
 * From understood clauses to one plan: which image is edited, which operations go together, and
 * the defaults that depend on the whole instruction (the style source when none is named).
 */
import type { OpName, PlanOp, Rejection } from '../plan.js';
import { DEFAULT_SOURCE } from './rules.js';

export interface ReadClause {
  /** The clause as written. */
  written: string;
  ops: PlanOp[];
  /** Images the clause is about (0-based). */
  subjects: number[];
}

/** Operations the local engine does not combine with a collage. */
const NOT_WITH_COLLAGE: ReadonlyArray<[OpName, string]> = [
  ['crop', 'cropping'],
  ['upscale', 'upscaling'],
  ['place', 'placing an image'],
  ['blend', 'blending'],
];

const isCollage = (op: PlanOp): boolean => op.op === 'collage';

function collageProblem(clause: ReadClause, earlier: readonly PlanOp[], subject: number | undefined): string | undefined {
  const starts = clause.ops.some(isCollage);
  if (starts && earlier.some(isCollage)) return 'the local engine makes one collage per instruction';
  if (starts && subject !== undefined) {
    return `a collage cannot follow edits of image ${subject + 1} alone: operations apply to the whole collage`;
  }
  const all = [...earlier, ...clause.ops];
  const clash = NOT_WITH_COLLAGE.find(([name]) => all.some((op) => op.op === name));
  if (clash) return `${clash[1]} cannot be combined with a collage in the local engine`;
  const single = clause.subjects[0];
  if (single !== undefined) return `operations after a collage apply to the whole collage; editing image ${single + 1} alone is not supported`;
  return undefined;
}

function clauseProblem(clause: ReadClause, earlier: readonly PlanOp[], subject: number | undefined, imageCount: number): string | undefined {
  const outOfRange = clause.subjects.find((s) => s < 0 || s >= imageCount);
  if (outOfRange !== undefined) return `image ${outOfRange + 1} is named but only ${imageCount} image(s) were given`;
  if (clause.ops.some(isCollage) || earlier.some(isCollage)) return collageProblem(clause, earlier, subject);
  if (clause.subjects.length > 1 || (subject !== undefined && clause.subjects.some((s) => s !== subject))) {
    return `the local engine edits one image per output (image ${(subject ?? 0) + 1}); this clause is about ${clause.subjects.map((s) => `image ${s + 1}`).join(' and ')}`;
  }
  return undefined;
}

/**
 * Synonyms in a row ("sepia, old photo look") ask once; repeated turns and flips still count. An
 * upscale enhances detail itself, so a plain sharpen right after it (放大并增强细节) asks nothing more.
 */
function withoutRepeats(ops: readonly PlanOp[]): PlanOp[] {
  return ops.filter((op, i) => {
    const previous = ops[i - 1];
    if (previous === undefined || op.op === 'rotate' || op.op === 'flip') return true;
    if (op.op === 'sharpen' && op.strength === 'normal' && previous.op === 'upscale') return false;
    return JSON.stringify(op) !== JSON.stringify(previous);
  });
}

/** Keeps the clauses that fit together (rejecting the others into `rejected`) and picks the subject. */
export function resolvePlan(clauses: readonly ReadClause[], imageCount: number, rejected: Rejection[]): { ops: PlanOp[]; subject: number } {
  const kept: Array<{ op: PlanOp; clause: string }> = [];
  let subject: number | undefined;
  for (const clause of clauses) {
    const earlier = kept.map((k) => k.op);
    const problem = clauseProblem(clause, earlier, subject, imageCount);
    if (problem !== undefined) {
      rejected.push({ clause: clause.written, reason: problem });
      continue;
    }
    if (!clause.ops.some(isCollage) && !earlier.some(isCollage)) subject ??= clause.subjects[0];
    kept.push(...clause.ops.map((op) => ({ op, clause: clause.written })));
  }
  const collage = kept.find((k) => k.op.op === 'collage')?.op;
  if (collage?.op === 'collage') return { ops: withoutRepeats(kept.map((k) => k.op)), subject: collage.images[0] ?? 0 };
  // Unnamed, the edited image is the first one nothing is taken from.
  const taken = new Set(kept.flatMap(({ op }) => (op.op === 'place' || op.op === 'blend' ? [op.source] : [])));
  const edited = subject ?? Array.from({ length: imageCount }, (_, i) => i).find((i) => !taken.has(i)) ?? 0;
  const ops = kept.flatMap(({ op, clause }): PlanOp[] => {
    if (op.op === 'style' && op.source === DEFAULT_SOURCE) return [{ ...op, source: edited === 0 ? 1 : 0 }];
    if ((op.op === 'place' || op.op === 'blend' || op.op === 'style') && op.source === edited) {
      rejected.push({ clause, reason: `image ${edited + 1} is the image being edited; it cannot be ${op.op === 'style' ? 'its own style source' : `${op.op === 'place' ? 'placed' : 'blended'} onto itself`}` });
      return [];
    }
    return [op];
  });
  return { ops: withoutRepeats(ops), subject: edited };
}
