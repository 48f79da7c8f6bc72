/**
 * A local-engine worker thread: runs one call at a time, so the pixel loops never block the
 * server's event loop. A cancel message aborts the call's signal here; the engine stops at its
 * next checkpoint, which lets this thread's event loop read the message.
 */
import { parentPort, type MessagePort } from 'node:worker_threads';
import type { EngineCall } from '../../engine.js';
import { runLocalCall } from '../call.js';
import type { FromWorker, ToWorker, WireCall } from './protocol.js';
import { toWireError, transferables } from './protocol.js';

function mainThread(): MessagePort {
  if (!parentPort) throw new Error('call-worker runs only as a worker thread');
  return parentPort;
}
const port = mainThread();

let current = new AbortController();

function engineCall(wire: WireCall, signal: AbortSignal): EngineCall {
  const inputs = wire.inputs.map(({ data, ...input }) => {
    const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    return {
      ...input,
      read: async () => bytes,
      signedUrl: (): string => {
        throw new Error('the local engine reads input bytes; it has no use for a URL');
      },
    };
  });
  const log = (message: string): void => port.postMessage({ type: 'log', message } satisfies FromWorker);
  return { ...wire, inputs, signal, log };
}

port.on('message', (message: ToWorker) => {
  if (message.type === 'cancel') {
    current.abort();
    return;
  }
  current = new AbortController();
  runLocalCall(engineCall(message.call, current.signal)).then(
    (done) => port.postMessage({ type: 'done', done } satisfies FromWorker, transferables(done.images)),
    (error: unknown) => port.postMessage({ type: 'failed', error: toWireError(error) } satisfies FromWorker),
  );
});
