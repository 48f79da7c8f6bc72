/**
 * The built-in CPU engine: no cloud key, no GPU. It does exactly what it understands of the
 * instruction with classical image operations, and says plainly what it cannot do. Its calls run
 * on a small pool of worker threads (threads/), never on the server's event loop.
 */
import { availableParallelism } from 'node:os';
import type { Engine } from '../engine.js';
import { AppError, throwIfAborted } from '../../domain/errors.js';
import { createWorkerPool } from './threads/worker-pool.js';

export { parseInstruction } from './instructions/instructions.js';
export type { Plan, PlanOp } from './plan.js';
export { VOCABULARY } from './plan.js';
export { describeOp } from './instructions/describe.js';

/** Threads beyond this buy little on a small machine and cost tens of MB each. */
const MAX_THREADS = 4;

export interface LocalEngineOptions {
  /** The engine's name in the configuration (default 'local'). */
  name?: string;
  /** Calls run at once, each on a worker thread; default 2, at most the cores available and 4. */
  threads?: number | undefined;
}

export function createLocalEngine(options: LocalEngineOptions = {}): Engine {
  const threads = Math.max(1, Math.min(options.threads ?? 2, availableParallelism(), MAX_THREADS));
  const pool = createWorkerPool(threads);
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
      return pool.run(call);
    },
    async poll() {
      throw new AppError('internal', 'The local engine finishes every call in start; there is nothing to poll.');
    },
    async cancel() {},
    close: () => pool.close(),
  };
}
