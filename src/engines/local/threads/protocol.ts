/**
 * The messages between the main thread and a local-engine worker thread: an engine call without
 * its functions (inputs carry their bytes, the signal and log become messages) and its answer.
 */
import type { EngineCall, EngineDone, EngineImage } from '../../engine.js';
import { AppError, type ErrorKind } from '../../../domain/errors.js';

export interface WireInput {
  index: number;
  contentType: string;
  width: number;
  height: number;
  bytes: number;
  data: Uint8Array;
}

export type WireCall = Omit<EngineCall, 'inputs' | 'signal' | 'log'> & { inputs: WireInput[] };

/** An AppError's fields, or another error's name, message and stack (the runner makes it `internal`). */
export type WireError =
  | { app: true; kind: ErrorKind; message: string; field?: string | undefined; retryAfterSeconds?: number | undefined; upstreamCode?: string | undefined; retryable: boolean }
  | { app: false; name: string; message: string; stack?: string | undefined };

export type ToWorker = { type: 'call'; call: WireCall } | { type: 'cancel' };
export type FromWorker = { type: 'log'; message: string } | { type: 'done'; done: EngineDone } | { type: 'failed'; error: WireError };

export function toWireError(error: unknown): WireError {
  if (error instanceof AppError) {
    const { kind, message, field, retryAfterSeconds, upstreamCode, retryable } = error;
    return { app: true, kind, message, field, retryAfterSeconds, upstreamCode, retryable };
  }
  if (error instanceof Error) return { app: false, name: error.name, message: error.message, stack: error.stack };
  return { app: false, name: 'Error', message: String(error) };
}

export function fromWireError(wire: WireError): Error {
  if (wire.app) {
    const { kind, message, field, retryAfterSeconds, upstreamCode, retryable } = wire;
    return new AppError(kind, message, { field, retryAfterSeconds, upstreamCode, retryable });
  }
  const error = new Error(wire.message);
  error.name = wire.name;
  if (wire.stack !== undefined) error.stack = wire.stack;
  return error;
}

/**
 * The buffers of an answer's images, to transfer rather than copy: each a whole ArrayBuffer (never
 * a view of Node's shared pool). The engine keeps no raster from one call to the next, so nothing
 * left in the worker reads a transferred buffer.
 */
export function transferables(images: readonly EngineImage[]): ArrayBuffer[] {
  const seen = new Set<ArrayBuffer>();
  for (const image of images) {
    if (image.kind === 'url') continue;
    const { buffer, byteOffset, byteLength } = image.data;
    if (buffer instanceof ArrayBuffer && byteOffset === 0 && byteLength === buffer.byteLength) seen.add(buffer);
  }
  return [...seen];
}

/** Structured clone turns a Buffer into a plain Uint8Array; the runner expects Buffers back. */
export function asBuffers(done: EngineDone): EngineDone {
  const images = done.images.map((image): EngineImage => {
    if (image.kind === 'url') return image;
    const { buffer, byteOffset, byteLength } = image.data;
    return { ...image, data: Buffer.from(buffer, byteOffset, byteLength) };
  });
  return { ...done, images };
}
