/** What makes two submits "the same request" for an Idempotency-Key: the dialect and every field. */
import { createHash } from 'node:crypto';
import { AppError } from '../domain/errors.js';
import type { GenerationRequest } from '../domain/request.js';

/** How long a key answers with its first task. */
export const IDEMPOTENCY_WINDOW_MS = 24 * 3600 * 1000;

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
