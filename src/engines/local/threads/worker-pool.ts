/**
 * A small pool of worker threads for the local engine's calls. The main thread only reads the
 * inputs' bytes, posts the call and receives the images (their buffers transferred, not copied);
 * the pixel loops run on the worker, so the server's event loop stays free whatever the image size.
 *
 * Threads start on first use; idle ones stay (unref'd, so they never keep the process alive). A
 * cancel fails the call at once and tells its thread, which stops at the engine's next checkpoint
 * (between operations); a thread still busy after CANCEL_GRACE_MS is terminated. A thread that
 * dies (an uncaught error, out of memory) fails its call with `internal`. Either way the thread is
 * replaced on the next call, so no call waits on a dead one.
 */
import { Worker } from 'node:worker_threads';
import type { EngineCall, EngineDone } from '../../engine.js';
import { AppError, canceled, throwIfAborted } from '../../../domain/errors.js';
import type { FromWorker, ToWorker, WireCall, WireInput } from './protocol.js';
import { asBuffers, fromWireError } from './protocol.js';

const FROM_SOURCES = import.meta.url.endsWith('.ts');
const WORKER_URL = new URL(FROM_SOURCES ? './call-worker.ts' : './call-worker.js', import.meta.url);

/**
 * In dist/ the worker is a plain .js module. Run from the sources under tsx (tests, `npm run dev`),
 * it is a .ts file, and Node 20 does not apply the main thread's `--import tsx` to a worker's
 * entry: the worker registers tsx's loader first, then imports it.
 */
function startWorker(): Worker {
  if (!FROM_SOURCES) return new Worker(WORKER_URL);
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(WORKER_URL.href)}); });`;
  return new Worker(boot, { eval: true });
}

/** One operation on a 2048² image takes at most a few hundred ms on a loaded core. */
const CANCEL_GRACE_MS = 3000;

export interface WorkerPool {
  run(call: EngineCall): Promise<EngineDone>;
  close(): Promise<void>;
}

interface Job {
  call: EngineCall;
  message: ToWorker;
  transfer: ArrayBuffer[];
  resolve(done: EngineDone): void;
  reject(error: Error): void;
  /** Set once the call was canceled while its thread works: the thread is ended if it does not stop. */
  grace?: NodeJS.Timeout | undefined;
}

/** The inputs with their bytes, each in a buffer of its own (transferred to the worker). */
async function wireInputs(call: EngineCall): Promise<WireInput[]> {
  return Promise.all(
    call.inputs.map(async (input) => {
      // A copy: the Buffer read may be a view of a shared pool or a cache, which transferring would detach.
      const data = new Uint8Array(await input.read());
      const { index, contentType, width, height, bytes } = input;
      return { index, contentType, width, height, bytes, data };
    }),
  );
}

function wireCall(call: EngineCall, inputs: WireInput[]): WireCall {
  const { taskId, requestId, model, family, kind, prompt, negativePrompt, n, size, sizeSource, seed, promptExtend, watermark } = call;
  return { taskId, requestId, model, family, kind, prompt, negativePrompt, n, size, sizeSource, seed, promptExtend, watermark, inputs };
}

export function createWorkerPool(size: number): WorkerPool {
  const idle: Worker[] = [];
  const running = new Map<Worker, Job>();
  const queue: Job[] = [];
  let closed = false;

  const live = (): number => idle.length + running.size;

  /** Forgets a thread (ending it if it still runs) and fails the call it had, if any. */
  function discard(worker: Worker, error?: Error): Promise<number> {
    const at = idle.indexOf(worker);
    if (at >= 0) idle.splice(at, 1);
    const job = running.get(worker);
    running.delete(worker);
    clearTimeout(job?.grace);
    worker.removeAllListeners();
    worker.on('error', () => {}); // an error while it is being terminated has nobody to tell
    const ended = worker.terminate();
    if (job && error) job.reject(error);
    dispatch();
    return ended;
  }

  function spawn(): Worker {
    const worker = startWorker();
    const died = (cause: unknown): void => void discard(worker, new AppError('internal', 'The local engine\'s worker thread failed.', { cause }));
    worker.on('message', (message: FromWorker) => {
      const job = running.get(worker);
      if (!job) return;
      if (message.type === 'log') {
        try {
          if (job.grace === undefined) job.call.log(message.message);
        } catch (error) {
          // As on the main thread, a log that throws fails the call.
          void discard(worker, error instanceof Error ? error : new Error(String(error)));
        }
        return;
      }
      clearTimeout(job.grace);
      running.delete(worker);
      worker.unref();
      idle.push(worker);
      if (message.type === 'done') job.resolve(asBuffers(message.done));
      else job.reject(fromWireError(message.error));
      dispatch();
    });
    worker.on('error', died);
    worker.on('messageerror', died);
    worker.on('exit', (code) => died(new Error(`the worker thread exited with code ${code}`)));
    return worker;
  }

  function dispatch(): void {
    while (!closed && queue.length > 0 && (idle.length > 0 || live() < size)) {
      const job = queue.shift()!;
      const worker = idle.pop() ?? spawn();
      worker.ref();
      running.set(worker, job);
      worker.postMessage(job.message, job.transfer);
    }
  }

  return {
    async run(call) {
      if (closed) throw new AppError('engine_unavailable', 'The local engine is shut down.');
      throwIfAborted(call.signal);
      const inputs = await wireInputs(call);
      throwIfAborted(call.signal);
      return new Promise<EngineDone>((resolve, reject) => {
        const onAbort = (): void => {
          const queued = queue.indexOf(job);
          if (queued >= 0) queue.splice(queued, 1);
          const worker = [...running].find(([, j]) => j === job)?.[0];
          reject(canceled());
          if (!worker) return;
          worker.postMessage({ type: 'cancel' } satisfies ToWorker);
          job.grace = setTimeout(() => {
            if (running.get(worker) === job) void discard(worker);
          }, CANCEL_GRACE_MS);
          job.grace.unref();
        };
        const settle = (): void => call.signal.removeEventListener('abort', onAbort);
        const job: Job = {
          call,
          message: { type: 'call', call: wireCall(call, inputs) },
          transfer: inputs.map((input) => input.data.buffer as ArrayBuffer),
          resolve: (done) => (settle(), resolve(done)),
          reject: (error) => (settle(), reject(error)),
        };
        call.signal.addEventListener('abort', onAbort, { once: true });
        queue.push(job);
        dispatch();
      });
    },
    async close() {
      closed = true;
      for (const job of queue.splice(0)) job.reject(new AppError('engine_unavailable', 'The local engine is shut down.'));
      const workers = [...idle, ...running.keys()];
      await Promise.all(workers.map((worker) => discard(worker, new AppError('engine_unavailable', 'The local engine is shut down.'))));
    },
  };
}
