/**
 * Input images: fetched through the URL guard or taken from the request, checked and
 * normalised by image intake, and kept in the blob store for whichever worker runs the task.
 */
import type { BlobStore } from '../blobs/blob-store.js';
import { AppError } from '../domain/errors.js';
import { MAX_IMAGE_BYTES } from '../domain/image-ref.js';
import type { FieldNames, ImageRef } from '../domain/request.js';
import type { TaskInput } from '../domain/task.js';
import { intakeImage } from '../images/intake.js';
import { ImageRejection } from '../images/rejection.js';
import type { SafeFetch } from '../lib/safe-fetch.js';
import { SafeFetchError } from '../lib/url-guard.js';
import type { Semaphore } from '../lib/semaphore.js';
import { NO_METRICS, type ServiceMetrics } from './metrics.js';
import { NO_OWN_FILES, type OwnFileReader } from './own-files.js';

export interface InputOptions {
  maxInputPixels: number;
}

export interface IngestedInputs {
  inputs: TaskInput[];
  /** What intake changed (rescales, first frame of a GIF), for the task's warnings. */
  notes: string[];
}

export class InputService {
  constructor(
    private readonly fetch: SafeFetch,
    private readonly blobs: BlobStore,
    private readonly intakeSlots: Semaphore,
    private readonly options: InputOptions,
    private readonly metrics: ServiceMetrics = NO_METRICS,
    private readonly ownFiles: OwnFileReader = NO_OWN_FILES,
  ) {}

  /**
   * Takes in a request's images, kept in the blob store as the task `owner`'s. When one is
   * refused, those already stored are deleted again: a refused request leaves nothing behind.
   */
  async ingest(refs: readonly ImageRef[], fields: FieldNames, owner: string): Promise<IngestedInputs> {
    const settled = await Promise.allSettled(refs.map((ref, index) => this.ingestOne(ref, fields.image(index), `image ${index + 1}`, owner)));
    const refused = settled.find((result) => result.status === 'rejected');
    const results = settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    if (refused) {
      await this.discard(results.map((r) => r.input));
      throw refused.reason;
    }
    return { inputs: results.map((r) => r.input), notes: results.flatMap((r) => r.notes) };
  }

  /** Deletes the stored images of a submit that was refused after taking them in (best effort). */
  async discard(inputs: readonly TaskInput[]): Promise<void> {
    await Promise.allSettled(inputs.map((input) => this.blobs.delete(input.blobId)));
  }

  private async ingestOne(ref: ImageRef, field: string, label: string, owner: string): Promise<{ input: TaskInput; notes: string[] }> {
    const bytes = ref.kind === 'url' ? await this.download(ref.url, field) : ref.bytes;
    this.metrics.intakeBytes(ref.kind === 'url' ? 'url' : 'inline', bytes.length);
    const image = await this.intakeSlots
      .run(() => intakeImage(bytes, { field, label, maxPixels: this.options.maxInputPixels, maxBytes: MAX_IMAGE_BYTES }))
      .catch((error: unknown) => {
        if (error instanceof AppError && error.kind === 'invalid_image') {
          this.metrics.intakeRejected(error.cause instanceof ImageRejection ? error.cause.rule : 'broken');
        }
        throw error;
      });
    const blob = await this.blobs.put(image.data, image.contentType, owner);
    return {
      input: { blobId: blob.id, contentType: image.contentType, width: image.width, height: image.height, bytes: blob.bytes },
      notes: image.notes,
    };
  }

  private async download(url: string, field: string): Promise<Buffer> {
    const own = await this.ownFiles(url, field);
    if (own) return own;
    try {
      const response = await this.fetch(url, { requireOk: true, maxBytes: MAX_IMAGE_BYTES, headers: { accept: 'image/*' } });
      return response.body;
    } catch (error) {
      if (!(error instanceof SafeFetchError)) throw error;
      this.metrics.intakeRejected(`url_${error.reason}`);
      if (error.reason === 'too_large') {
        throw new AppError('invalid_image', `${field}: the image is larger than ${MAX_IMAGE_BYTES / (1024 * 1024)} MB.`, { field, cause: error });
      }
      const why = error.reason === 'bad_status' ? `the image URL answered HTTP ${error.status ?? '?'}` : error.message;
      throw new AppError('invalid_url', `${field}: could not download the image: ${why}`, { field, cause: error });
    }
  }
}
