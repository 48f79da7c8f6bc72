/**
 * One run's output images: each finished call's images encoded, watermarked when the engine did
 * not, and stored at once. An engine in passthrough mode has its URLs handed out as they are (no
 * watermark can be drawn on them). If a cancel wins after all, the images this run stored and the
 * task's row does not keep are deleted.
 */
import type { BlobStore } from '../../blobs/blob-store.js';
import { throwIfAborted } from '../../domain/errors.js';
import type { TaskOutput, TaskRecord } from '../../domain/task.js';
import type { Engine, EngineDone } from '../../engines/engine.js';
import type { Logger } from '../../lib/logger.js';
import { inSpan } from '../../lib/tracing.js';
import type { CallState } from './execution.js';
import type { OutputWriter } from '../outputs.js';

export interface RunOutputsDeps {
  outputs: OutputWriter;
  blobs: Pick<BlobStore, 'delete'>;
  /** Whether an engine hands its URLs out as they are (`outputs: "passthrough"`). */
  passesThrough(engine: string): boolean;
  warn(message: string): void;
  logger: Logger;
}

export class RunOutputs {
  /** Images stored by this run. */
  private readonly fresh: TaskOutput[] = [];

  constructor(
    private readonly task: TaskRecord,
    private readonly deps: RunOutputsDeps,
  ) {}

  /** Keeps one finished call's images; what the task records of them. */
  async store(engine: Engine, done: EngineDone, slice: CallState, signal: AbortSignal): Promise<TaskOutput[]> {
    const { spec } = this.task;
    const watermark = spec.watermark && !(done.watermarked ?? engine.capabilities.watermark);
    const passthrough = this.deps.passesThrough(engine.name);
    const stored: TaskOutput[] = [];
    // Recorded per image: a failover halfway bills (and costs) each image at its own engine and credential.
    const madeBy = { engine: engine.name, ...(done.credential === undefined ? {} : { credential: done.credential }) };
    for (const [i, image] of done.images.entries()) {
      throwIfAborted(signal);
      const seed = slice.seed + i;
      if (passthrough && image.kind === 'url') {
        if (watermark) this.deps.warn(`engine ${engine.name} passes its URLs through: no watermark could be drawn`);
        const { width, height } = spec.size;
        stored.push({ blobId: null, url: image.url, contentType: `image/${spec.outputFormat}`, width, height, bytes: 0, seed, ...madeBy });
      } else {
        const output = await inSpan('store output', { 'qig.task_id': this.task.id, 'qig.engine': engine.name, 'qig.source': image.kind }, () =>
          this.deps.outputs.write(image, { owner: this.task.id, spec, watermark, seed, signal }),
        );
        this.fresh.push(output);
        stored.push({ ...output, ...madeBy });
      }
    }
    return stored;
  }

  /** After a canceled ending: deletes this run's images the ended task's row does not keep. */
  async discardUnkept(ended: TaskRecord): Promise<void> {
    const kept = new Set(ended.outputs.map((output) => output.blobId));
    for (const output of this.fresh) {
      if (output.blobId === null || kept.has(output.blobId)) continue;
      await this.deps.blobs.delete(output.blobId).catch((error: unknown) => this.deps.logger.warn({ taskId: ended.id, requestId: ended.requestId, err: error }, 'deleting an image of a canceled task failed'));
    }
  }
}
