/**
 * What an engine is handed for a task: its input images (read from the blob store once each, or
 * as signed URLs an upstream fetches itself) and the call for one slice of its images.
 */
import type { BlobStore } from '../../blobs/blob-store.js';
import { AppError } from '../../domain/errors.js';
import { findModel } from '../../domain/models.js';
import type { TaskRecord } from '../../domain/task.js';
import type { EngineCall, EngineInput } from '../../engines/engine.js';
import type { CallState } from './execution.js';

/** The task's input images for engines; `signedUrl` gives an input's short-lived public URL. */
export function engineInputs(task: TaskRecord, blobs: Pick<BlobStore, 'get'>, signedUrl: (blobId: string) => string): EngineInput[] {
  const cache = new Map<string, Promise<Buffer>>();
  return task.inputs.map((input, index) => ({
    index,
    contentType: input.contentType,
    width: input.width,
    height: input.height,
    bytes: input.bytes,
    read: () => {
      let pending = cache.get(input.blobId);
      if (!pending) {
        pending = blobs.get(input.blobId).then((data) => {
          if (!data) throw new AppError('internal', `Input image ${index + 1} of task ${task.id} is missing from the blob store.`);
          return data;
        });
        cache.set(input.blobId, pending);
      }
      return pending;
    },
    signedUrl: () => signedUrl(input.blobId),
  }));
}

/** The call for one slice (some of the task's n images, from its own seed). */
export function engineCall(task: TaskRecord, slice: CallState, inputs: EngineInput[], signal: AbortSignal, log: (message: string) => void): EngineCall {
  return {
    taskId: task.id,
    requestId: task.requestId,
    model: task.model,
    family: findModel(task.model)?.family ?? task.model,
    kind: task.kind,
    prompt: task.spec.prompt,
    negativePrompt: task.spec.negativePrompt,
    n: slice.n,
    size: task.spec.size,
    sizeSource: task.spec.sizeSource,
    seed: slice.seed,
    promptExtend: task.spec.promptExtend,
    watermark: task.spec.watermark,
    inputs,
    signal,
    log,
  };
}
