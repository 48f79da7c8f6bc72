/**
 * The built-in CPU engine: no cloud key, no GPU. It does exactly what it understands of the
 * instruction with classical image operations, and says plainly what it cannot do.
 */
import type { Engine, EngineCall, EngineDone, EngineImage } from '../engine.js';
import { AppError, throwIfAborted } from '../../domain/errors.js';
import { checkpoint, edit, toImage } from './edit.js';
import { renderPlaceholder } from './generate.js';

export { parseInstruction } from './instructions/instructions.js';
export type { Plan, PlanOp } from './plan.js';
export { VOCABULARY } from './plan.js';
export { describeOp } from './instructions/describe.js';

export interface LocalEngineOptions {
  /** The engine's name in the configuration (default 'local'). */
  name?: string;
}

async function generate(call: EngineCall): Promise<EngineDone> {
  const images: EngineImage[] = [];
  let description: string | undefined;
  let warnings: string[] = [];
  for (let i = 0; i < call.n; i++) {
    await checkpoint(call.signal);
    const placeholder = await renderPlaceholder(call.prompt, call.size, call.seed + i);
    images.push(toImage(placeholder.raster));
    description ??= placeholder.description;
    warnings = placeholder.warnings;
  }
  await checkpoint(call.signal);
  call.log(`local engine: ${description ?? 'procedural placeholder'}`);
  return { status: 'done', images, actualPrompt: description, warnings };
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
      promptExtend: true,
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
