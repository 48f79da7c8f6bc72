/**
 * A test engine whose calls wait at a gate until the test opens it, to hold tasks in RUNNING
 * (or, with concurrency 1, others in PENDING). It produces solid images of the asked size.
 */
import { AppError } from '../../src/domain/errors.js';
import type { Engine, EngineCall, EngineResult } from '../../src/engines/engine.js';

export interface GateEngine extends Engine {
  /** Lets every waiting and future call finish. */
  open(): void;
  /** Calls started so far. */
  started: EngineCall[];
  /** Resolves when `count` calls have started. */
  waitForStarts(count: number): Promise<void>;
  /** Makes the next calls throw this error. */
  failWith(error: AppError | null): void;
}

export function createGateEngine(name = 'gate'): GateEngine {
  let opened = false;
  let failure: AppError | null = null;
  const waiters: Array<() => void> = [];
  const started: EngineCall[] = [];
  const startWatchers: Array<{ count: number; resolve: () => void }> = [];

  const result = (call: EngineCall): EngineResult => ({
    status: 'done',
    images: Array.from({ length: call.n }, (_, i) => ({
      kind: 'raw' as const,
      data: Buffer.alloc(call.size.width * call.size.height * 3, (call.seed + i) % 256),
      width: call.size.width,
      height: call.size.height,
      channels: 3 as const,
    })),
    actualPrompt: `${call.prompt} (as the gate engine read it)`,
  });

  return {
    name,
    type: 'test-gate',
    capabilities: { models: '*', maxImagesPerCall: 6, watermark: false, negativePrompt: true, promptExtend: true, seed: true, cancelRunning: true },
    started,
    open() {
      opened = true;
      for (const wake of waiters.splice(0)) wake();
    },
    failWith(error) {
      failure = error;
    },
    async waitForStarts(count) {
      if (started.length >= count) return;
      await new Promise<void>((resolve) => startWatchers.push({ count, resolve }));
    },
    async start(call) {
      started.push(call);
      for (const watcher of startWatchers.filter((w) => started.length >= w.count)) watcher.resolve();
      if (!opened) {
        await new Promise<void>((resolve, reject) => {
          waiters.push(resolve);
          call.signal.addEventListener('abort', () => reject(new AppError('canceled', 'canceled')), { once: true });
        });
      }
      if (failure) throw failure;
      return result(call);
    },
    async poll() {
      throw new AppError('internal', 'the gate engine has no operations to poll');
    },
    async cancel() {},
  };
}
