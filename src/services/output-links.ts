/**
 * How clients reach a task's outputs: our signed, expiring /files URLs for images we keep (or
 * presigned S3 URLs), or the upstream's own URL for an engine in passthrough mode.
 *
 * URLs are signed when the task is read: each is valid for at least `files.urlTtlSeconds` from
 * the read, so a client whose URL expired reads the task again for a fresh one. Expiries are
 * rounded up to a step (an hour at most), so reads within one step get the same URLs and an
 * answer rendered once can be served again. No URL outlives the output retention.
 */
import type { BlobStore } from '../blobs/blob-store.js';
import type { UrlSigner } from '../blobs/signing.js';
import { AppError } from '../domain/errors.js';
import type { TaskRecord } from '../domain/task.js';
import type { Clock } from '../lib/clock.js';
import type { SafeFetch } from '../lib/safe-fetch.js';

export interface OutputLinkOptions {
  /** How long a URL stays valid after the read that handed it out. */
  urlTtlMs: number;
  /** How long after its end a task's images are kept; 0: for ever. */
  retentionMs: number;
  /** The longest a URL may last from now (presigned S3 URLs: 7 days). */
  maxUrlMs?: number | undefined;
}

const MAX_STEP_MS = 3_600_000;

export class OutputLinks {
  private readonly stepMs: number;

  constructor(
    private readonly blobs: BlobStore,
    /** Our signer, or S3's presigner when `files.serve` is "presigned". */
    private readonly signer: Pick<UrlSigner, 'fileUrl'>,
    private readonly fetch: SafeFetch,
    private readonly clock: Clock,
    private readonly options: OutputLinkOptions,
  ) {
    this.stepMs = Math.min(MAX_STEP_MS, Math.max(1_000, Math.floor(options.urlTtlMs / 4)));
  }

  urls(task: TaskRecord): string[] {
    if (task.outputs.length === 0) return [];
    const expiresAt = this.expiryAt(task, this.clock.now());
    return task.outputs.map((output) => output.url ?? this.signer.fileUrl(output.blobId as string, expiresAt));
  }

  /** Which step reads are in: answers rendered in another step carry other URLs. */
  epoch(): number {
    return Math.floor(this.clock.now() / this.stepMs);
  }

  /** The expiry of URLs handed out at `now`: at least the TTL away, at most the retention's end. */
  expiryAt(task: TaskRecord, now: number): number {
    let expiresAt = (Math.floor(now / this.stepMs) + 1) * this.stepMs + this.options.urlTtlMs;
    if (this.options.maxUrlMs !== undefined && expiresAt - now > this.options.maxUrlMs) expiresAt -= this.stepMs;
    if (this.options.retentionMs > 0 && task.finishedAt !== null) expiresAt = Math.min(expiresAt, task.finishedAt + this.options.retentionMs);
    return expiresAt;
  }

  /** The outputs' bytes (for base64 answers); passthrough outputs are downloaded through the URL guard. */
  bytes(task: TaskRecord): Promise<Buffer[]> {
    return Promise.all(
      task.outputs.map(async (output) => {
        if (output.url !== undefined) return (await this.fetch(output.url, { requireOk: true, maxBytes: 64 * 1024 * 1024 })).body;
        const bytes = await this.blobs.get(output.blobId as string);
        if (!bytes) throw new AppError('not_found', `The images of task ${task.id} are no longer kept (outputs are deleted some days after their task ends).`);
        return bytes;
      }),
    );
  }
}
