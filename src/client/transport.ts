/**
 * One HTTP exchange with the server, as the client makes them all: the key, a timeout per
 * attempt, the caller's AbortSignal, DashScope's error bodies turned into typed errors, and
 * retries with exponential backoff and jitter on 408/429/5xx and on network failures, honouring
 * `Retry-After`. A POST is retried only when it carries an idempotency key, so a retried
 * submission is the same task, not a second one.
 */
import { MAX_ANSWER_BYTES, fetchBounded } from './body.js';
import { ConnectionError, QigError, errorFromAnswer } from './errors.js';

export interface TransportSettings {
  /** Where `/api/v1/...` paths go (`https://host/api/v1`). */
  apiBase: string;
  /** Where the gateway's own `/v1/...` paths go (`https://host`). */
  root: string;
  apiKey: string;
  fetch: typeof globalThis.fetch;
  timeoutMs: number;
  maxRetries: number;
  headers: Readonly<Record<string, string>>;
  onRetry?: ((retry: RetryNotice) => void) | undefined;
}

/** Said before each retry: which attempt failed, why, and how long the client waits. */
export interface RetryNotice {
  /** 1 for the first retry. */
  attempt: number;
  delayMs: number;
  error: QigError;
}

export interface Exchange {
  method: 'GET' | 'POST';
  /** `/services/...` or `/tasks/...` under the API base; `~/v1/...` under the root. */
  path: string;
  query?: Readonly<Record<string, string | number | undefined>>;
  body?: unknown;
  headers?: Readonly<Record<string, string>>;
  signal?: AbortSignal | undefined;
  timeoutMs?: number | undefined;
  /** Makes a POST safe to retry. */
  idempotencyKey?: string | undefined;
}

export interface Answer<T> {
  body: T;
  status: number;
  requestId: string | null;
}

const MAX_RETRY_AFTER_MS = 60_000;
const BASE_DELAY_MS = 500;
const MAX_DELAY_MS = 8_000;

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date; null when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | null {
  if (header === null || header.trim() === '') return null;
  const seconds = Number(header);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - now;
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS) : null;
}

/** Exponential backoff with equal jitter: attempt 0 waits 250–500 ms, then 500–1000 ms, … up to 8 s. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** attempt);
  return ceiling / 2 + random() * (ceiling / 2);
}

/** Waits, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    // The signal's own reason (an AbortError unless the caller gave another), as fetch rejects.
    const abort = () => reject(signal?.reason as Error);
    if (signal?.aborted) return abort();
    const onAbort = () => {
      clearTimeout(timer);
      abort();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function urlOf(settings: TransportSettings, exchange: Exchange): string {
  const base = exchange.path.startsWith('~') ? `${settings.root}${exchange.path.slice(1)}` : `${settings.apiBase}${exchange.path}`;
  const url = new URL(base);
  for (const [name, value] of Object.entries(exchange.query ?? {})) {
    if (value !== undefined) url.searchParams.set(name, String(value));
  }
  return url.href;
}

function parseBody(text: string): unknown {
  if (text === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** Some resellers answer an error with HTTP 200 and DashScope's body: a `code` and no `output`. */
function isErrorBody(body: unknown): boolean {
  if (typeof body !== 'object' || body === null) return false;
  const fields = body as Record<string, unknown>;
  return typeof fields.code === 'string' && fields.code !== '' && !('output' in fields) && !('data' in fields);
}

export class Transport {
  constructor(readonly settings: TransportSettings) {}

  async send<T>(exchange: Exchange): Promise<Answer<T>> {
    const retriable = exchange.method === 'GET' || exchange.idempotencyKey !== undefined;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.attempt<T>(exchange);
      } catch (error) {
        const last = !retriable || attempt >= this.settings.maxRetries || !(error instanceof QigError) || !(error.retryable || this.stillAccepting(exchange, error));
        if (last) throw error;
        const delayMs = error.retryAfterMs ?? backoffMs(attempt);
        this.settings.onRetry?.({ attempt: attempt + 1, delayMs, error });
        await sleep(delayMs, exchange.signal);
      }
    }
  }

  /** A 409 with Retry-After to a submission with an idempotency key: the first attempt is still being accepted. */
  private stillAccepting(exchange: Exchange, error: QigError): boolean {
    return exchange.idempotencyKey !== undefined && error.status === 409 && error.retryAfterMs !== null;
  }

  private async attempt<T>(exchange: Exchange): Promise<Answer<T>> {
    const headers: Record<string, string> = {
      Accept: 'application/json',
      Authorization: `Bearer ${this.settings.apiKey}`,
      ...this.settings.headers,
      ...exchange.headers,
    };
    if (exchange.body !== undefined) headers['Content-Type'] = 'application/json';
    if (exchange.idempotencyKey !== undefined) headers['Idempotency-Key'] = exchange.idempotencyKey;
    const url = urlOf(this.settings, exchange);
    const { response, bytes } = await fetchBounded(
      this.settings.fetch,
      url,
      { method: exchange.method, headers, ...(exchange.body !== undefined ? { body: JSON.stringify(exchange.body) } : {}) },
      { signal: exchange.signal, timeoutMs: exchange.timeoutMs ?? this.settings.timeoutMs, maxBytes: MAX_ANSWER_BYTES },
      (reason, cause) => new ConnectionError(`Could not reach ${url}: ${reason}`, { code: 'ConnectionError', retryable: true, cause }),
    );
    const text = new TextDecoder().decode(bytes);
    const body = parseBody(text);
    const headerId = response.headers.get('x-request-id');
    if (!response.ok || isErrorBody(body)) {
      throw errorFromAnswer(response.status, body, headerId, retryAfterMs(response.headers.get('retry-after')));
    }
    const bodyId = typeof body === 'object' && body !== null && typeof (body as { request_id?: unknown }).request_id === 'string' ? (body as { request_id: string }).request_id : null;
    return { body: body as T, status: response.status, requestId: bodyId ?? headerId };
  }
}
