/**
 * Output images: encoded to the asked-for format (PNG by default), watermarked when the engine
 * did not do it, and kept in the blob store. Upstream URLs are downloaded through the URL guard
 * and re-hosted, so our URLs outlive the upstream's.
 */
import type { BlobInfo, BlobStore } from '../blobs/blob-store.js';
import { AppError, toAppError } from '../domain/errors.js';
import type { TaskOutput, TaskSpec } from '../domain/task.js';
import type { EngineImage } from '../engines/engine.js';
import { encodeImage, type EncodeSource } from '../images/encode.js';
import type { SafeFetch } from '../lib/safe-fetch.js';
import { SafeFetchError } from '../lib/url-guard.js';
import { sleepUnlessCanceled } from './cancelable-sleep.js';

export interface OutputWriteOptions {
  /** The task the image belongs to (its blob is that task's alone). */
  owner: string;
  spec: TaskSpec;
  /** Draw our watermark (the engine did not). */
  watermark: boolean;
  seed: number;
  signal: AbortSignal;
}

export interface OutputWriter {
  write(image: EngineImage, options: OutputWriteOptions): Promise<TaskOutput>;
}

/** Upstream results can be larger than inputs (2048² PNGs). */
const MAX_RESULT_BYTES = 64 * 1024 * 1024;

/**
 * How long an output is retried while the storage is unavailable: the image is made (and paid
 * for upstream), so a storage outage of up to a minute costs a delay rather than the task.
 */
const STORE_DEADLINE_MS = 60_000;

export class BlobOutputWriter implements OutputWriter {
  constructor(
    private readonly blobs: BlobStore,
    private readonly fetch: SafeFetch,
    /** A whole download, as `fetch.timeoutMs` sets it for every outbound fetch. */
    private readonly timeoutMs: number,
    private readonly storeDeadlineMs = STORE_DEADLINE_MS,
  ) {}

  async write(image: EngineImage, options: OutputWriteOptions): Promise<TaskOutput> {
    const source = image.kind === 'url' ? await this.download(image.url, options.signal) : image;
    const encoded = await encodeImage(source, {
      format: options.spec.outputFormat,
      quality: options.spec.outputQuality ?? undefined,
      watermark: options.watermark,
    });
    const blob = await this.keep(encoded.data, encoded.contentType, options.owner, options.signal);
    return { blobId: blob.id, contentType: encoded.contentType, width: encoded.width, height: encoded.height, bytes: blob.bytes, seed: options.seed };
  }

  /** Stores the image, retrying with backoff while the storage is unavailable, until the deadline. */
  private async keep(data: Buffer, contentType: string, owner: string, signal: AbortSignal): Promise<BlobInfo> {
    const deadline = Date.now() + this.storeDeadlineMs;
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await this.blobs.put(data, contentType, owner);
      } catch (thrown) {
        const error = toAppError(thrown);
        const wait = Math.min(1_000 * 2 ** attempt, 10_000);
        if (error.kind !== 'unavailable' || Date.now() + wait > deadline) throw error;
        await sleepUnlessCanceled(wait, signal);
      }
    }
  }

  private async download(url: string, signal: AbortSignal): Promise<EncodeSource> {
    try {
      const response = await this.fetch(url, { requireOk: true, maxBytes: MAX_RESULT_BYTES, signal, timeoutMs: this.timeoutMs });
      return { kind: 'encoded', data: response.body, contentType: response.contentType ?? 'application/octet-stream' };
    } catch (error) {
      const reason = error instanceof SafeFetchError ? error.message : String(error);
      throw new AppError('engine_failed', `Could not download the upstream result: ${reason}`, { cause: error });
    }
  }
}
