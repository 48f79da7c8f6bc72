/**
 * The one error catalog. Services and engines throw AppError with a kind; each dialect
 * renders the kind in its own wire shape (DashScope codes, OpenAI types, fal detail, …).
 */
import { infrastructureFailure, type InfrastructurePart } from './infrastructure-errors.js';

export const ERROR_KINDS = {
  invalid_parameter: { status: 400, retryable: false },
  invalid_image: { status: 400, retryable: false },
  invalid_url: { status: 400, retryable: false },
  model_not_found: { status: 400, retryable: false },
  unauthorized: { status: 401, retryable: false },
  forbidden: { status: 403, retryable: false },
  insufficient_balance: { status: 400, retryable: false },
  /** A user's or key's spend budget for the day or month is used up (it names when it resets). */
  budget_exceeded: { status: 429, retryable: false },
  not_found: { status: 404, retryable: false },
  method_not_allowed: { status: 405, retryable: false },
  conflict: { status: 409, retryable: false },
  unsupported_operation: { status: 400, retryable: false },
  payload_too_large: { status: 413, retryable: false },
  content_blocked: { status: 400, retryable: false },
  timeout: { status: 408, retryable: true },
  request_timeout: { status: 408, retryable: false },
  rate_limited: { status: 429, retryable: true },
  overloaded: { status: 503, retryable: true },
  engine_unavailable: { status: 503, retryable: true },
  engine_failed: { status: 500, retryable: true },
  engine_rejected: { status: 400, retryable: false },
  engine_timeout: { status: 504, retryable: true },
  canceled: { status: 499, retryable: false },
  /** The gateway's own database, disk or storage failed or is unreachable for now. */
  unavailable: { status: 503, retryable: true },
  internal: { status: 500, retryable: false },
} as const satisfies Record<string, { status: number; retryable: boolean }>;

export type ErrorKind = keyof typeof ERROR_KINDS;

export interface AppErrorOptions {
  /** The request field the error concerns, named as the client sent it. */
  field?: string | undefined;
  /** Seconds after which a retry may succeed (429/503). */
  retryAfterSeconds?: number | undefined;
  /** An upstream's own error code, kept for the dialect that speaks the same language. */
  upstreamCode?: string | undefined;
  /** Overrides the kind's default retryability (an engine knows better). */
  retryable?: boolean | undefined;
  cause?: unknown;
}

export class AppError extends Error {
  readonly kind: ErrorKind;
  readonly field: string | undefined;
  readonly retryAfterSeconds: number | undefined;
  readonly upstreamCode: string | undefined;
  readonly retryable: boolean;

  constructor(kind: ErrorKind, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.kind = kind;
    this.field = options.field;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.upstreamCode = options.upstreamCode;
    this.retryable = options.retryable ?? ERROR_KINDS[kind].retryable;
  }

  get status(): number {
    return ERROR_KINDS[this.kind].status;
  }

  toRecord(): TaskError {
    return {
      kind: this.kind,
      message: this.message,
      ...(this.field === undefined ? {} : { field: this.field }),
      ...(this.upstreamCode === undefined ? {} : { upstreamCode: this.upstreamCode }),
    };
  }
}

/** The serialisable form of an error, as kept on a failed task. */
export interface TaskError {
  kind: ErrorKind;
  message: string;
  field?: string;
  upstreamCode?: string;
}

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}

export function isErrorKind(value: string): value is ErrorKind {
  return Object.hasOwn(ERROR_KINDS, value);
}

const UNAVAILABLE: Record<InfrastructurePart, string> = {
  database: "The gateway's database is unavailable right now; retry shortly.",
  disk: "The gateway's disk is full; retry once space is freed.",
  storage: "The gateway's image storage is unavailable right now; retry shortly.",
  redis: "The gateway's queue (Redis) is unavailable right now; retry shortly.",
  service: 'A service the gateway depends on is unreachable right now; retry shortly.',
};

/**
 * Any thrown value as an AppError: a failure of the infrastructure becomes `unavailable`, other
 * unknown errors `internal`, neither leaking details.
 */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const part = infrastructureFailure(error);
  if (part) return new AppError('unavailable', UNAVAILABLE[part], { cause: error, retryAfterSeconds: 2 });
  return new AppError('internal', 'Internal server error.', { cause: error });
}

/** The error of work stopped by a cancel (or a runner giving up on it). */
export function canceled(cause?: unknown): AppError {
  return new AppError('canceled', 'canceled', { cause });
}

/** Throws `canceled` once the signal is aborted. */
export function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw canceled();
}
