/**
 * The output retention: a task's images (its inputs and outputs, which it owns) are deleted once
 * `files.retentionDays` have passed since it ended. Until then every read of the task hands out
 * fresh URLs; after it, the URLs it hands out have expired. Runs on worker nodes, a batch at a
 * time; two nodes deleting the same blobs is harmless.
 */
import type { BlobStore } from '../blobs/blob-store.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { BlobRetentionStore } from '../store/ports.js';

export interface OutputRetentionOptions {
  /** How long after its end a task's images are kept; 0 keeps them for ever. */
  retentionMs: number;
  intervalMs: number;
}

const BATCH = 100;

export class OutputRetention {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;

  constructor(
    private readonly store: BlobRetentionStore,
    private readonly blobs: BlobStore,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly options: OutputRetentionOptions,
  ) {}

  /** Deletes the images of every task past the retention; how many tasks' images were deleted. */
  purgeOnce(): Promise<number> {
    // One pass at a time: a slow blob store must not stack passes up.
    this.running ??= this.purge().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  start(): void {
    if (this.options.retentionMs <= 0 || this.timer) return;
    this.timer = setInterval(() => {
      this.purgeOnce().catch((error: unknown) => this.logger.warn({ err: error }, 'deleting expired outputs failed; retried next pass'));
    }, this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private async purge(): Promise<number> {
    if (this.options.retentionMs <= 0) return 0;
    const endedBefore = this.clock.now() - this.options.retentionMs;
    let purged = 0;
    for (;;) {
      const batch = await this.store.findExpired(endedBefore, BATCH);
      for (const { taskId, blobIds } of batch) {
        for (const id of blobIds) await this.blobs.delete(id);
        await this.store.markPurged(taskId);
      }
      purged += batch.length;
      if (batch.length < BATCH) break;
    }
    if (purged > 0) this.logger.info({ tasks: purged }, 'deleted the images of tasks past the output retention');
    return purged;
  }
}
