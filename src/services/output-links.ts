/**
 * How clients reach a task's outputs: our signed, expiring /files URLs for images we keep (valid
 * for `files.urlTtlSeconds` from the task's end, so a URL does not change between reads), or the
 * upstream's own URL for an engine in passthrough mode.
 */
import type { BlobStore } from '../blobs/blob-store.js';
import type { UrlSigner } from '../blobs/signing.js';
import { AppError } from '../domain/errors.js';
import type { TaskRecord } from '../domain/task.js';
import type { Clock } from '../lib/clock.js';
import type { SafeFetch } from '../lib/safe-fetch.js';

export class OutputLinks {
  constructor(
    private readonly blobs: BlobStore,
    /** Our signer, or S3's presigner when `files.serve` is "presigned". */
    private readonly signer: Pick<UrlSigner, 'fileUrl'>,
    private readonly fetch: SafeFetch,
    private readonly clock: Clock,
    private readonly urlTtlMs: number,
  ) {}

  urls(task: TaskRecord): string[] {
    const expiresAt = (task.finishedAt ?? this.clock.now()) + this.urlTtlMs;
    return task.outputs.map((output) => output.url ?? this.signer.fileUrl(output.blobId as string, expiresAt));
  }

  /** The outputs' bytes (for base64 answers); passthrough outputs are downloaded through the URL guard. */
  bytes(task: TaskRecord): Promise<Buffer[]> {
    return Promise.all(
      task.outputs.map(async (output) => {
        if (output.url !== undefined) return (await this.fetch(output.url, { requireOk: true, maxBytes: 64 * 1024 * 1024 })).body;
        const bytes = await this.blobs.get(output.blobId as string);
        if (!bytes) throw new AppError('internal', `Output ${output.blobId} of task ${task.id} is missing from the blob store.`);
        return bytes;
      }),
    );
  }
}
