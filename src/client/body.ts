/**
 * One bounded exchange, as the API calls and the downloads both make it: within a timeout and
 * the caller's signal, the body read up to a size, so a server that stalls or sends without end
 * can neither hang the caller nor fill memory.
 */
import { QigError, TimeoutError } from './errors.js';

export interface Bounds {
  signal?: AbortSignal | undefined;
  timeoutMs: number;
  maxBytes: number;
}

/**
 * Fetches `url` and reads its whole body within `bounds`. A failure is the caller's abort reason,
 * a TimeoutError, a QigError of the body's size, or what `unreachable` makes of a network error.
 */
export async function fetchBounded(
  fetch: typeof globalThis.fetch,
  url: string,
  init: RequestInit,
  bounds: Bounds,
  unreachable: (reason: string, cause: unknown) => QigError,
): Promise<{ response: Response; bytes: Uint8Array }> {
  bounds.signal?.throwIfAborted();
  const timeout = AbortSignal.timeout(bounds.timeoutMs);
  const signal = bounds.signal ? AbortSignal.any([bounds.signal, timeout]) : timeout;
  try {
    const response = await fetch(url, { ...init, signal });
    return { response, bytes: await readCapped(response, bounds.maxBytes, url) };
  } catch (error) {
    if (bounds.signal?.aborted) throw bounds.signal.reason;
    if (error instanceof QigError) throw error;
    if (timeout.aborted) throw new TimeoutError(`No answer from ${url} within ${bounds.timeoutMs} ms.`, { code: 'RequestTimeOut', retryable: true, cause: error });
    throw unreachable(error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error), error);
  }
}

/** Far above any answer of the API (a page of 100 tasks is ~100 kB). */
export const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

async function readCapped(response: Response, maxBytes: number, what: string): Promise<Uint8Array> {
  const tooLarge = () => new QigError(`${what}: the answer is larger than ${Math.round(maxBytes / (1024 * 1024))} MB; not read.`, { code: 'ResponseTooLarge', status: response.status });
  if (Number(response.headers.get('content-length') ?? '0') > maxBytes) {
    await response.body?.cancel();
    throw tooLarge();
  }
  if (!response.body) return new Uint8Array(await response.arrayBuffer());
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return bytes;
}
