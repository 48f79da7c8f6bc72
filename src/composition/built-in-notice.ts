/**
 * The start line that says which models run on the built-in CPU engine, and the one line that
 * connects the real Qwen-Image models instead: a new user with nothing configured reads it first.
 */
import { CONNECT_DASHSCOPE, isGenerativeEngine } from '../domain/built-in-engine.js';
import type { ModelSpec } from '../domain/models.js';
import type { EngineRef } from '../http/catalog.js';

export interface BuiltInNotice {
  models: string[];
  message: string;
}

/** Null when every model's route starts with a generative (upstream) engine. */
export function builtInEngineNotice(models: readonly ModelSpec[], engineOf: (model: ModelSpec) => EngineRef | null): BuiltInNotice | null {
  const local = models.filter((model) => {
    const engine = engineOf(model);
    return engine !== null && !isGenerativeEngine(engine.type);
  });
  if (local.length === 0) return null;
  const which = local.length === models.length ? 'Every model runs' : `${local.map((model) => model.id).join(', ')} ${local.length === 1 ? 'runs' : 'run'}`;
  return {
    models: local.map((model) => model.id),
    message: `${which} on the built-in CPU engine: classical edits, not Qwen-Image. For Qwen-Image results set ${CONNECT_DASHSCOPE} (README, "Engines").`,
  };
}
