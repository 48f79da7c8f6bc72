/**
 * The client's errors: one class per thing a caller handles differently, each carrying
 * DashScope's `code`, the HTTP status (null when no answer came), the request id and whether
 * trying again can help. Classified by DashScope's codes first, then by status, so a reseller
 * that answers DashScope's body with another status still reads right.
 */

export interface QigErrorDetails {
  status?: number | null;
  code?: string;
  requestId?: string | null;
  retryable?: boolean;
  taskId?: string | null;
  /** How long the server asked to wait before trying again (`Retry-After`). */
  retryAfterMs?: number | null;
  /** The answer's parsed body, when it had one. */
  body?: unknown;
  cause?: unknown;
}

export class QigError extends Error {
  override name = 'QigError';
  /** HTTP status of the answer; null when none came (network, timeout, a task that failed). */
  readonly status: number | null;
  /** DashScope's error code (`InvalidParameter`, `Throttling.RateQuota`, …). */
  readonly code: string;
  readonly requestId: string | null;
  /** Whether the same call may succeed if tried again later. */
  readonly retryable: boolean;
  readonly taskId: string | null;
  readonly retryAfterMs: number | null;
  readonly body: unknown;

  constructor(message: string, details: QigErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.status = details.status ?? null;
    this.code = details.code ?? 'Error';
    this.requestId = details.requestId ?? null;
    this.retryable = details.retryable ?? false;
    this.taskId = details.taskId ?? null;
    this.retryAfterMs = details.retryAfterMs ?? null;
    this.body = details.body;
  }
}

/** The request was refused as written (400, 405, 409, 413, 415, 422): fix it before trying again. */
export class BadRequestError extends QigError {
  override name = 'BadRequestError';
}
/** 401: the API key is missing, unknown, revoked or expired. */
export class AuthenticationError extends QigError {
  override name = 'AuthenticationError';
}
/** `Arrearage`: the key's balance does not cover the images asked for. */
export class InsufficientBalanceError extends QigError {
  override name = 'InsufficientBalanceError';
}
/** `Throttling.AllocationQuota`: a spend budget (the user's or the key's) is used up until it resets. */
export class QuotaExceededError extends QigError {
  override name = 'QuotaExceededError';
}
/** 403: the key may not use this model or route. */
export class PermissionDeniedError extends QigError {
  override name = 'PermissionDeniedError';
}
/** 404, or a task the server does not know (`UNKNOWN`: never existed, or expired). */
export class NotFoundError extends QigError {
  override name = 'NotFoundError';
}
/** `DataInspectionFailed`: the input or output was judged inappropriate. */
export class ContentBlockedError extends QigError {
  override name = 'ContentBlockedError';
}
/** 429: too many requests or images for the key's limits; retried after `Retry-After`. */
export class RateLimitError extends QigError {
  override name = 'RateLimitError';
}
/** No answer within the client's timeout, or the server's 408. */
export class TimeoutError extends QigError {
  override name = 'TimeoutError';
}
/** 5xx: the server or its upstream failed; 500, 502, 503 and 504 are retried. */
export class ServerError extends QigError {
  override name = 'ServerError';
}
/** The server could not be reached (refused, reset, DNS). */
export class ConnectionError extends QigError {
  override name = 'ConnectionError';
}
/** A result image could not be downloaded (an expired URL, a storage error); the key is never involved. */
export class DownloadError extends QigError {
  override name = 'DownloadError';
}
/** A task ended FAILED; `code` and the message are the task's own. */
export class TaskFailedError extends QigError {
  override name = 'TaskFailedError';
}
/** A task ended CANCELED. */
export class TaskCanceledError extends QigError {
  override name = 'TaskCanceledError';
}

/** A server's message is cut here: an error's text, not a document. */
const MAX_MESSAGE_CHARS = 1000;

const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);

type ErrorClass = new (message: string, details: QigErrorDetails) => QigError;

function classOf(status: number, code: string): ErrorClass {
  if (code === 'Arrearage' || code.endsWith('BillOverdue') || code === 'insufficient_balance' || code === 'insufficient_quota') return InsufficientBalanceError;
  if (code === 'Throttling.AllocationQuota' || code === 'budget_exceeded') return QuotaExceededError;
  if (code.startsWith('DataInspectionFailed')) return ContentBlockedError;
  if (code.startsWith('Throttling') || status === 429) return RateLimitError;
  if (code === 'InvalidApiKey' || status === 401) return AuthenticationError;
  if (status === 403) return PermissionDeniedError;
  if (status === 404) return NotFoundError;
  if (status === 408 || code === 'RequestTimeOut') return TimeoutError;
  if (status >= 500) return ServerError;
  return BadRequestError;
}

/** The code and message of an error body: DashScope's `{code, message}` (or a reseller's `msg`), or the `{error: {code, message}}` of the gateway's own routes. */
function codeAndMessage(body: unknown): { code: string | null; message: string | null; requestId: string | null } {
  if (typeof body !== 'object' || body === null) return { code: null, message: typeof body === 'string' && body !== '' ? body.slice(0, MAX_MESSAGE_CHARS) : null, requestId: null };
  const fields = body as Record<string, unknown>;
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value.slice(0, MAX_MESSAGE_CHARS) : null);
  const nested = typeof fields.error === 'object' && fields.error !== null ? (fields.error as Record<string, unknown>) : null;
  return {
    code: text(fields.code) ?? (nested ? (text(nested.code) ?? text(nested.type)) : null),
    message: text(fields.message) ?? text(fields.msg) ?? (nested ? text(nested.message) : null),
    requestId: text(fields.request_id),
  };
}

/** An error answer as the class a caller handles, classified by DashScope's code first, then the status. */
export function errorFromAnswer(status: number, body: unknown, requestId: string | null, retryAfterMs: number | null = null): QigError {
  const read = codeAndMessage(body);
  const code = read.code ?? `HTTP${status}`;
  const Class = classOf(status, code);
  return new Class(`${code}: ${read.message ?? `HTTP ${status}`}`, {
    status,
    code,
    requestId: read.requestId ?? requestId,
    // A throttled answer is worth retrying even when a reseller sends it with another status.
    // A used-up budget stays so until it resets (days, maybe): retrying cannot help.
    retryable: Class !== QuotaExceededError && (RETRYABLE_STATUSES.has(status) || Class === RateLimitError),
    retryAfterMs,
    body,
  });
}
