/** One call of the local engine, as a worker thread runs it: text-to-image or an edit. */
import type { EngineCall, EngineDone, EngineImage } from '../engine.js';
import { checkpoint, edit, toImage } from './edit.js';
import { renderPlaceholder } from './generate.js';

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

export function runLocalCall(call: EngineCall): Promise<EngineDone> {
  return call.kind === 'generate' ? generate(call) : edit(call);
}
