/**
 * A test engine whose behaviour is scripted per call: finish at once, go pending for some polls,
 * or throw. It records every start, poll and cancel, so runner tests can check what happened.
 */
import { AppError } from '../../src/domain/errors.js';
import type { Engine, EngineCall, EngineCapabilities, EngineResult, JsonValue } from '../../src/engines/engine.js';

export type Step = 'done' | { pendingPolls: number } | AppError;

export interface ScriptedEngine extends Engine {
  starts: EngineCall[];
  polls: JsonValue[];
  cancels: JsonValue[];
}

export interface ScriptOptions {
  name?: string;
  capabilities?: Partial<EngineCapabilities>;
  /** What the i-th start does (0-based); default 'done'. */
  script?: (index: number, call: EngineCall) => Step;
  pollAfterMs?: number;
}

function images(call: EngineCall) {
  return Array.from({ length: call.n }, (_, i) => ({
    kind: 'raw' as const,
    data: Buffer.alloc(call.size.width * call.size.height * 3, (call.seed + i) % 251),
    width: call.size.width,
    height: call.size.height,
    channels: 3 as const,
  }));
}

export function createScriptedEngine(options: ScriptOptions = {}): ScriptedEngine {
  const starts: EngineCall[] = [];
  const polls: JsonValue[] = [];
  const cancels: JsonValue[] = [];
  const remaining = new Map<string, number>();
  const script = options.script ?? (() => 'done');
  let counter = 0;
  return {
    name: options.name ?? 'scripted',
    type: 'test-scripted',
    capabilities: {
      models: '*', maxImagesPerCall: 6, watermark: false, negativePrompt: true, promptExtend: true, seed: true, cancelRunning: true,
      ...options.capabilities,
    },
    starts,
    polls,
    cancels,
    async start(call): Promise<EngineResult> {
      if (call.signal.aborted) throw new AppError('canceled', 'canceled');
      const index = starts.length;
      starts.push(call);
      const step = script(index, call);
      if (step instanceof AppError) throw step;
      if (step === 'done') return { status: 'done', images: images(call), actualPrompt: `${call.prompt}!` };
      const id = `op-${(counter += 1)}`;
      remaining.set(id, step.pendingPolls);
      return { status: 'pending', operation: { id, seed: call.seed, n: call.n }, pollAfterMs: options.pollAfterMs ?? 10 };
    },
    async poll(operation, call): Promise<EngineResult> {
      polls.push(operation);
      const id = (operation as { id: string }).id;
      const left = remaining.get(id);
      if (left === undefined) throw new AppError('engine_failed', `unknown operation ${id}`);
      if (left > 1) {
        remaining.set(id, left - 1);
        return { status: 'pending', operation, pollAfterMs: options.pollAfterMs ?? 10, progress: 0.5 };
      }
      remaining.delete(id);
      return { status: 'done', images: images(call), actualPrompt: `${call.prompt}!` };
    },
    async cancel(operation) {
      cancels.push(operation);
      remaining.delete((operation as { id: string }).id);
    },
  };
}
