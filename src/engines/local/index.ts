/**
 * The built-in CPU engine: no cloud key, no GPU. It does exactly what it understands of the
 * instruction with classical image operations, and says plainly what it cannot do.
 */
import { AppError } from '../../domain/errors.js';
import type { Size } from '../../domain/models.js';
import type { Engine, EngineCall, EngineDone, EngineImage, EngineInput } from '../engine.js';
import { applyOp } from './apply.js';
import { renderPlaceholder } from './generate.js';
import { explainNothingDoable, parseInstruction, planWarnings } from './instructions.js';
import type { LabStats } from './ops-style.js';
import { labStats } from './ops-style.js';
import type { PlanOp } from './plan.js';
import { turnsSideways } from './plan.js';
import type { Raster } from './raster.js';
import { decodeImage } from './raster.js';

export { parseInstruction } from './instructions.js';
export type { Plan, PlanOp } from './plan.js';
export { VOCABULARY, describeOp } from './plan.js';

export interface LocalEngineOptions {
  /** The engine's name in the configuration (default 'local'). */
  name?: string;
}

/** Side of the thumbnail a style source's colour statistics are taken from. */
const STATS_SIDE = 256;

function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw new AppError('canceled', 'canceled');
}

function toImage(raster: Raster): EngineImage {
  return { kind: 'raw', data: raster.data, width: raster.width, height: raster.height, channels: raster.channels };
}

function transpose(size: Size): Size {
  return { width: size.height, height: size.width };
}

/** A default size may follow a quarter turn; an asked-for size is kept exactly. */
function outputSize(call: Pick<EngineCall, 'size' | 'sizeSource'>, ops: readonly PlanOp[]): Size {
  return call.sizeSource === 'default' && turnsSideways(ops) ? transpose(call.size) : { ...call.size };
}

async function decodeInput(input: EngineInput, target: Parameters<typeof decodeImage>[1]): Promise<Raster> {
  const bytes = await input.read();
  try {
    return await decodeImage(bytes, target);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new AppError('invalid_image', `image ${input.index + 1} could not be decoded: ${reason}`, { cause: error });
  }
}

function inputAt(call: EngineCall, index: number): EngineInput {
  const input = call.inputs.find((i) => i.index === index) ?? call.inputs[index];
  if (!input) throw new AppError('engine_rejected', `image ${index + 1} is named but only ${call.inputs.length} image(s) were given`);
  return input;
}

async function generate(call: EngineCall): Promise<EngineDone> {
  const images: EngineImage[] = [];
  let description: string | undefined;
  let warnings: string[] = [];
  for (let i = 0; i < call.n; i++) {
    throwIfAborted(call.signal);
    const placeholder = await renderPlaceholder(call.prompt, call.size, call.seed + i);
    images.push(toImage(placeholder.raster));
    description ??= placeholder.description;
    warnings = placeholder.warnings;
  }
  call.log(`local engine: ${description ?? 'procedural placeholder'}`);
  return { status: 'done', images, actualPrompt: description, warnings };
}

async function edit(call: EngineCall): Promise<EngineDone> {
  if (call.inputs.length === 0) throw new AppError('engine_rejected', 'The local engine needs an input image to edit.');
  const plan = parseInstruction(call.prompt, { imageCount: call.inputs.length });
  if (plan.ops.length === 0) throw new AppError('engine_rejected', explainNothingDoable(plan));
  call.log(`local engine plan: ${plan.description}`);
  const output = outputSize(call, plan.ops);
  // Sizing first is exact (a centred cover crop commutes with quarter turns and flips) and keeps
  // every operation at output resolution.
  const working = turnsSideways(plan.ops) ? transpose(output) : output;
  const subject = await decodeInput(inputAt(call, plan.subject), { kind: 'cover', size: working });
  const styles = new Map<number, LabStats>();
  for (const op of plan.ops) {
    if (op.op !== 'style' || styles.has(op.source)) continue;
    throwIfAborted(call.signal);
    const source = await decodeInput(inputAt(call, op.source), { kind: 'thumbnail', side: STATS_SIDE });
    styles.set(op.source, await labStats(source));
  }
  const images: EngineImage[] = [];
  for (let i = 0; i < call.n; i++) {
    let raster = subject;
    for (const [step, op] of plan.ops.entries()) {
      throwIfAborted(call.signal);
      raster = await applyOp(raster, op, { seed: call.seed + i, variant: i, step, styles });
    }
    images.push(toImage(raster));
  }
  const warnings = planWarnings(plan);
  return { status: 'done', images, actualPrompt: plan.description, warnings: warnings.length > 0 ? warnings : undefined };
}

export function createLocalEngine(options: LocalEngineOptions = {}): Engine {
  return {
    name: options.name ?? 'local',
    type: 'local',
    capabilities: {
      models: '*',
      maxImagesPerCall: 6,
      watermark: false,
      negativePrompt: false,
      promptExtend: false,
      seed: true,
      cancelRunning: true,
    },
    async start(call) {
      throwIfAborted(call.signal);
      return call.kind === 'generate' ? generate(call) : edit(call);
    },
    async poll() {
      throw new AppError('internal', 'The local engine finishes every call in start; there is nothing to poll.');
    },
    async cancel() {},
  };
}
