/**
 * Idempotency-Key: what makes two submits "the same request" (the dialect and every field), and
 * the claim taken before a submit spends anything, so a duplicate is never charged or refused
 * for money: it gets the first request's task, or a 409 to retry while the first is accepted.
 */
import { createHash } from 'node:crypto';
import { AppError } from '../domain/errors.js';
import type { GenerationRequest } from '../domain/request.js';
import type { TaskRecord } from '../domain/task.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { IdempotencyStore, TaskStore } from '../store/ports.js';

/** How long a key answers with its first task. */
export const IDEMPOTENCY_WINDOW_MS = 24 * 3600 * 1000;
/** A claim still without its task after this long belongs to a submit that died; another may take it. */
const ABANDONED_AFTER_MS = 5 * 60 * 1000;

export function requestFingerprint(origin: string, request: GenerationRequest): string {
  const images = request.images.map((image) =>
    image.kind === 'url' ? { url: image.url } : { sha256: createHash('sha256').update(image.bytes).digest('hex') },
  );
  const canonical = JSON.stringify([
    origin,
    request.model,
    request.prompt,
    images,
    request.negativePrompt ?? null,
    request.n ?? null,
    typeof request.size === 'object' ? `${request.size.width}*${request.size.height}` : (request.size ?? null),
    request.seed ?? null,
    request.promptExtend ?? null,
    request.watermark ?? null,
    request.outputFormat ?? null,
    request.outputQuality ?? null,
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}

/** An Idempotency-Key header value: 1–255 visible ASCII characters. */
export function checkIdempotencyKey(value: string): string {
  if (!/^[\x21-\x7e]{1,255}$/.test(value)) {
    throw new AppError('invalid_parameter', 'Idempotency-Key: must be 1 to 255 visible ASCII characters.', { field: 'Idempotency-Key' });
  }
  return value;
}

export class Idempotency {
  constructor(
    private readonly store: IdempotencyStore,
    private readonly tasks: Pick<TaskStore, 'get'>,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /**
   * Claims `key` for this request: null when the caller now holds it (and must create the task
   * or `release` it); the first request's task when it was used before for the same request.
   * A 409 when it was used for another request, or (with Retry-After) while the first request is
   * still being accepted.
   */
  async claim(keyId: string, key: string, fingerprint: string): Promise<TaskRecord | null> {
    const now = this.clock.now();
    const claim = await this.store.claim(keyId, key, fingerprint, { now, windowStart: now - IDEMPOTENCY_WINDOW_MS, staleBefore: now - ABANDONED_AFTER_MS });
    if (claim.kind === 'claimed') return null;
    if (claim.fingerprint !== fingerprint) {
      const first = claim.taskId === null ? '' : ` (task ${claim.taskId})`;
      throw new AppError('conflict', `Idempotency-Key "${key}" was used within 24 h for a different request${first}.`, { field: 'Idempotency-Key' });
    }
    if (claim.taskId === null) {
      throw new AppError('conflict', `A request with Idempotency-Key "${key}" is still being accepted; retry in a moment for its result.`, { field: 'Idempotency-Key', retryAfterSeconds: 1 });
    }
    const task = await this.tasks.get(claim.taskId);
    if (!task) throw new AppError('internal', `Task ${claim.taskId} of Idempotency-Key "${key}" is missing.`);
    return task;
  }

  /** Gives the key back after a submit that failed before creating its task. */
  async release(keyId: string, key: string): Promise<void> {
    try {
      await this.store.release(keyId, key);
    } catch (error) {
      // Left as it is, the claim is taken over once it counts as abandoned.
      this.logger.warn({ err: error }, 'an idempotency claim could not be released');
    }
  }
}
