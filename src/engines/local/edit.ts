/** An edit call on the local engine: read the instruction, frame the picture, run the plan per image. */
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { AppError, throwIfAborted } from '../../domain/errors.js';
import type { Size } from '../../domain/models.js';
import type { EngineCall, EngineDone, EngineImage, EngineInput } from '../engine.js';
import type { ChainOp, Sources } from './apply.js';
import { applyOp, isChainOp } from './apply.js';
import { languageOf } from './instructions/describe.js';
import { frameCollage, frameSubject } from './framing.js';
import { explainNothingDoable, parseInstruction, planWarnings } from './instructions/instructions.js';
import { assemble } from './ops/compose.js';
import type { LabStats } from './ops/style.js';
import { labStats } from './ops/style.js';
import type { Plan } from './plan.js';
import { actualPrompt } from './instructions/prompt-extend.js';
import { VISIBLE_DIFFERENCE, variantCount } from './ops/ranges.js';
import { meanAbsoluteDifference } from './raster/difference.js';
import { WORK_BUDGET_MS, imagesWithinBudget, workPerImage } from './work-budget.js';
import type { DecodeTarget, Raster } from './raster/raster.js';
import { decodeImage, hasTransparency, orientedSize } from './raster/raster.js';

/** The engine does not know the output format; a client asking for JPEG must learn where the transparency went. */
const TRANSPARENCY_NOTE = 'the result has a transparent background: PNG (the default) and WebP keep it, JPEG output is flattened onto white';

/** Side of the thumbnail a style source's colour statistics are taken from. */
const STATS_SIDE = 256;

/**
 * Lets the event loop run, then stops if the call was canceled. The operations are synchronous
 * pixel loops: without this pause between them a cancel request (or its event) waiting on the
 * loop is not even read until the whole call is done, and the canceled task ends succeeded.
 */
export async function checkpoint(signal: AbortSignal): Promise<void> {
  await yieldToLoop();
  throwIfAborted(signal);
}

export function toImage(raster: Raster): EngineImage {
  return { kind: 'raw', data: raster.data, width: raster.width, height: raster.height, channels: raster.channels };
}

function inputAt(call: EngineCall, index: number): EngineInput {
  const input = call.inputs.find((i) => i.index === index) ?? call.inputs[index];
  if (!input) throw new AppError('engine_rejected', `image ${index + 1} is named but only ${call.inputs.length} image(s) were given`);
  return input;
}

function undecodable(input: EngineInput, error: unknown): AppError {
  const reason = error instanceof Error ? error.message : String(error);
  return new AppError('invalid_image', `image ${input.index + 1} could not be decoded: ${reason}`, { cause: error });
}

interface Opened {
  size(): Promise<Size>;
  decode(target: DecodeTarget): Promise<Raster>;
}

/** Reads an input once; its size and decodes at several targets come from the same bytes. */
function reader(call: EngineCall): (index: number) => Opened {
  const cache = new Map<number, Promise<Buffer>>();
  return (index) => {
    const input = inputAt(call, index);
    const read = (): Promise<Buffer> => {
      let pending = cache.get(index);
      if (pending === undefined) cache.set(index, (pending = input.read()));
      return pending;
    };
    const decoding = async <T>(work: (bytes: Buffer) => Promise<T>): Promise<T> => {
      const bytes = await read();
      try {
        return await work(bytes);
      } catch (error) {
        throw undecodable(input, error);
      }
    };
    return { size: () => decoding(orientedSize), decode: (target) => decoding((bytes) => decodeImage(bytes, target)) };
  };
}

interface Framed {
  canvas: Raster;
  sources: Sources;
}

/** The picture every image starts from (the subject, or the collage) and what the plan reads besides. */
async function frame(call: EngineCall, plan: Plan): Promise<Framed> {
  const open = reader(call);
  const collage = plan.ops.find((op) => op.op === 'collage');
  let canvas: Raster;
  let upscaleTo: Sources['upscaleTo'];
  let stage: Size | undefined;
  if (collage?.op === 'collage') {
    const shapes = await Promise.all(collage.images.map((i) => open(i).size()));
    const layout = frameCollage(call, plan.ops, collage.layout, collage.images, shapes);
    const tiles = [];
    for (const { image, cell } of layout.cells) {
      await checkpoint(call.signal);
      tiles.push({ tile: await open(image).decode({ kind: 'cover', size: { width: cell.width, height: cell.height } }), cell });
    }
    canvas = assemble(layout.size, tiles);
  } else {
    const subject = open(plan.subject);
    const framing = frameSubject(call, plan.ops, await subject.size());
    canvas = await subject.decode({ kind: 'cover', size: framing.decode, crops: framing.crops });
    upscaleTo = framing.upscaleTo;
    stage = framing.stage;
  }
  const styles = new Map<number, LabStats>();
  const images = new Map<number, Raster>();
  const side = Math.max(canvas.width, canvas.height);
  for (const op of plan.ops) {
    await checkpoint(call.signal);
    if (op.op === 'style' && !styles.has(op.source)) {
      styles.set(op.source, await labStats(await open(op.source).decode({ kind: 'thumbnail', side: STATS_SIDE })));
    } else if ((op.op === 'blend' || op.op === 'imageBackground') && !images.has(op.source)) {
      // A new background covers the whole output, which may be larger than the subject's picture (framing.ts).
      const size = op.op === 'imageBackground' && stage !== undefined ? stage : { width: canvas.width, height: canvas.height };
      images.set(op.source, await open(op.source).decode({ kind: 'cover', size }));
    } else if (op.op === 'place' && !images.has(op.source)) {
      // At most a square of the canvas's longer side (large enough after any turn); scaled per image.
      images.set(op.source, await open(op.source).decode({ kind: 'inside', size: { width: side, height: side } }));
    }
  }
  return { canvas, sources: { styles, images, upscaleTo, notes: new Set<string>() } };
}

function overBudget(plan: Plan, size: Size): string {
  const seconds = Math.round(workPerImage(plan.ops, size) / 1000);
  return `The built-in CPU engine will not run this edit: ${plan.ops.length} operation${plan.ops.length === 1 ? '' : 's'} at ${size.width}×${size.height} come to about ${seconds} s of CPU per image, over its budget of ${WORK_BUDGET_MS / 1000} s per call; ask for a smaller size or fewer operations.`;
}

/** Says that the work budget, not the edit, limited the images. */
function budgetWarning(asked: number, affordable: number, made: number, size: Size): string[] {
  return [`asked for ${asked} images; the built-in CPU engine's work budget (${WORK_BUDGET_MS / 1000} s of CPU per call) allows ${affordable} of this edit at ${size.width}×${size.height}, so ${made} ${made === 1 ? 'was' : 'were'} made; only images made are billed`];
}

/** Says why fewer images than asked for were made. */
function fewerWarning(asked: number, made: number): string[] {
  if (made >= asked) return [];
  const results = made === 1 ? 'one result' : `${made} visibly different results`;
  return [`asked for ${asked} images; this edit has ${results}, so ${made} ${made === 1 ? 'was' : 'were'} made; only images made are billed`];
}

export async function edit(call: EngineCall): Promise<EngineDone> {
  if (call.inputs.length === 0) throw new AppError('engine_rejected', 'The local engine needs an input image to edit.');
  const plan = parseInstruction(call.prompt, { imageCount: call.inputs.length });
  if (plan.ops.length === 0) throw new AppError('engine_rejected', explainNothingDoable(plan));
  call.log(`local engine plan: ${plan.description}`);
  const { canvas, sources } = await frame(call, plan);
  const steps: Array<{ op: ChainOp; step: number }> = plan.ops.flatMap((op, step) => (isChainOp(op) ? [{ op, step }] : []));
  // The plan has as many visibly different results as its most variable operation. Image i is
  // variant (seed + i) mod that, so consecutive seeds never repeat one; past that count the call
  // makes fewer images than asked (the runner stores and bills what is returned).
  // On a picture with little detail two variants can still look the same: such a variant is
  // measured against those kept and dropped, so every image returned is visibly different.
  const variants = Math.max(1, ...plan.ops.map(variantCount));
  const outputSize = sources.upscaleTo ?? canvas;
  const affordable = imagesWithinBudget(plan.ops, outputSize);
  if (affordable < 1) throw new AppError('engine_rejected', overBudget(plan, outputSize));
  const kept: Raster[] = [];
  for (let i = 0; i < Math.min(call.n, variants, affordable); i++) {
    const seed = call.seed + i;
    const variant = ((seed % variants) + variants) % variants;
    let raster = canvas;
    for (const { op, step } of steps) {
      await checkpoint(call.signal);
      raster = await applyOp(raster, op, { seed, step, variant, variants, sources });
    }
    if (kept.every((other) => meanAbsoluteDifference(raster, other) >= VISIBLE_DIFFERENCE)) kept.push(raster);
  }
  await checkpoint(call.signal);
  const images: EngineImage[] = kept.map(toImage);
  const overWork = Math.min(call.n, variants) > affordable;
  const warnings = [...planWarnings(plan), ...(overWork ? budgetWarning(call.n, affordable, kept.length, outputSize) : fewerWarning(call.n, kept.length)), ...(sources.notes ?? [])];
  if (plan.ops.some((op) => op.op === 'removeBackground') && kept.some(hasTransparency)) warnings.push(TRANSPARENCY_NOTE);
  const language = languageOf(call.prompt);
  return {
    status: 'done',
    images,
    actualPrompt: actualPrompt(plan, { imageCount: call.inputs.length, language, extend: call.promptExtend }),
    warnings: warnings.length > 0 ? warnings : undefined,
  };
}
