/**
 * DashScope response shapes (protocols.md §1.2–1.5): the sync answer, the task query, the task
 * list, and errors as `{code, message, request_id}` with DashScope's code strings. Pure.
 */
import type { z } from 'zod';
import type { AppError, ErrorKind } from '../../domain/errors.js';
import { formatAmount } from '../../domain/money.js';
import type { TaskRecord, TaskStatus } from '../../domain/task.js';
import { retryAfterHeader, type ErrorRenderer } from '../errors.js';
import type { dashscopeErrorBody, dashscopeSubmitAnswer, dashscopeSyncAnswer } from './answers.js';

export type DashScopeTaskStatus = 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELED' | 'UNKNOWN';

const STATUS: Record<TaskStatus, DashScopeTaskStatus> = {
  queued: 'PENDING',
  running: 'RUNNING',
  succeeded: 'SUCCEEDED',
  failed: 'FAILED',
  canceled: 'CANCELED',
};

export function dashscopeStatus(status: TaskStatus): DashScopeTaskStatus {
  return STATUS[status];
}

export function taskStatusFromDashScope(status: string): TaskStatus | undefined {
  return (Object.keys(STATUS) as TaskStatus[]).find((key) => STATUS[key] === status);
}

/** HTTP status and code of each error kind in DashScope's terms. */
const ERRORS: Record<ErrorKind, { status: number; code: string }> = {
  invalid_parameter: { status: 400, code: 'InvalidParameter' },
  invalid_image: { status: 400, code: 'InvalidParameter' },
  invalid_url: { status: 400, code: 'InvalidURL' },
  model_not_found: { status: 400, code: 'InvalidParameter' },
  unauthorized: { status: 401, code: 'InvalidApiKey' },
  forbidden: { status: 403, code: 'AccessDenied' },
  insufficient_balance: { status: 400, code: 'Arrearage' },
  budget_exceeded: { status: 429, code: 'Throttling.AllocationQuota' },
  not_found: { status: 404, code: 'NotFound' },
  method_not_allowed: { status: 405, code: 'MethodNotAllowed' },
  conflict: { status: 409, code: 'Conflict' },
  unsupported_operation: { status: 400, code: 'UnsupportedOperation' },
  payload_too_large: { status: 413, code: 'BadRequest.TooLarge' },
  content_blocked: { status: 400, code: 'DataInspectionFailed' },
  timeout: { status: 408, code: 'RequestTimeOut' },
  request_timeout: { status: 408, code: 'RequestTimeOut' },
  rate_limited: { status: 429, code: 'Throttling.RateQuota' },
  overloaded: { status: 503, code: 'ServiceUnavailable' },
  engine_unavailable: { status: 503, code: 'ModelUnavailable' },
  engine_failed: { status: 500, code: 'InternalError' },
  engine_rejected: { status: 400, code: 'InvalidParameter' },
  engine_timeout: { status: 500, code: 'InternalError.Timeout' },
  canceled: { status: 400, code: 'TaskCanceled' },
  unavailable: { status: 503, code: 'ServiceUnavailable' },
  internal: { status: 500, code: 'InternalError' },
};

/** Kinds where the request itself was at fault: an upstream's code about it reads true to the client. */
const REQUEST_FAULTS: ReadonlySet<ErrorKind> = new Set(['invalid_parameter', 'invalid_image', 'invalid_url', 'content_blocked', 'engine_rejected']);

/**
 * An upstream DashScope code wins when the request was at fault, so a proxied error reads as
 * DashScope wrote it; a code about our upstream account (InvalidApiKey, Arrearage) never reaches
 * the client, whose own key and balance are fine.
 */
export function dashscopeError(error: { kind: ErrorKind; upstreamCode?: string | undefined }): { status: number; code: string } {
  const mapped = ERRORS[error.kind];
  const own = error.upstreamCode && REQUEST_FAULTS.has(error.kind) && /^[A-Z][A-Za-z.]+$/.test(error.upstreamCode);
  return own ? { ...mapped, code: error.upstreamCode as string } : mapped;
}

export function errorBody(error: AppError, requestId: string): z.output<typeof dashscopeErrorBody> {
  return { code: dashscopeError(error).code, message: error.message, request_id: requestId };
}

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

/** Errors as `{code, message, request_id}` with `Retry-After` on 429 and 503. */
export const renderDashScopeError: ErrorRenderer = (error, request) => ({
  status: dashscopeError(error).status,
  headers: retryAfterHeader(error),
  body: errorBody(error, request.id),
});

/** `YYYY-MM-DD HH:mm:ss.SSS` in the server's local time, as DashScope prints task times. */
export function formatTime(ms: number | null): string | undefined {
  if (ms === null) return undefined;
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** A signed URL for each output of a task. */
export type OutputUrls = (task: TaskRecord) => string[];

/** Our addition to DashScope's shapes: what was adjusted or ignored, only when there is any. */
function withWarnings<T extends object>(output: T, task: TaskRecord): T & { warnings?: string[] } {
  return task.warnings.length > 0 ? { ...output, warnings: task.warnings } : output;
}

/**
 * Our addition to DashScope's `usage`: what an image of the task costs (the key's group price,
 * fixed at submit: held at the dearest engine of the route, then the producing engine's once
 * settled) and, once settled, the amount charged, in the server's currency.
 */
function priceUsage(task: TaskRecord, currency: string): { unit_price?: string; amount?: string; currency?: string } {
  const { billing } = task;
  if (billing.state === 'none') return {};
  return { unit_price: formatAmount(billing.unitPriceMicros), ...(billing.state === 'settled' && billing.chargedMicros !== null ? { amount: formatAmount(billing.chargedMicros) } : {}), currency };
}

export function syncResponse(task: TaskRecord, urls: string[], requestId: string, currency: string): z.output<typeof dashscopeSyncAnswer> {
  return {
    output: withWarnings(
      {
        choices: [
          {
            finish_reason: 'stop',
            message: { role: 'assistant', content: urls.map((image) => ({ image })) },
          },
        ],
      },
      task,
    ),
    usage: {
      width: task.usage?.width ?? task.spec.size.width,
      height: task.usage?.height ?? task.spec.size.height,
      image_count: task.usage?.imageCount ?? urls.length,
      ...priceUsage(task, currency),
    },
    request_id: requestId,
  };
}

export function submitResponse(task: TaskRecord, requestId: string): z.output<typeof dashscopeSubmitAnswer> {
  return { output: { task_id: task.id, task_status: dashscopeStatus(task.status) }, request_id: requestId };
}

/**
 * The `output` object of a task query. `queuePosition` (tasks ahead of it) is shown only while
 * the task is PENDING: our addition, as `warnings` is.
 */
export function taskOutput(task: TaskRecord, urls: string[], queuePosition?: number) {
  const status = dashscopeStatus(task.status);
  const output: Record<string, unknown> = {
    task_id: task.id,
    task_status: status,
    submit_time: formatTime(task.createdAt),
    scheduled_time: formatTime(task.startedAt),
    end_time: formatTime(task.finishedAt),
  };
  if (task.status === 'queued' && queuePosition !== undefined) output.queue_position = queuePosition;
  if (task.status === 'succeeded') {
    output.results = urls.map((url) => ({ orig_prompt: task.spec.prompt, actual_prompt: task.actualPrompt ?? task.spec.prompt, url }));
    if (task.origin === 'dashscope') {
      output.choices = [{ finish_reason: 'stop', message: { role: 'assistant', content: urls.map((image) => ({ image })) } }];
    }
  }
  if (task.status === 'succeeded' || task.status === 'failed') {
    output.task_metrics = { TOTAL: task.spec.n, SUCCEEDED: urls.length, FAILED: task.spec.n - urls.length };
  }
  if (task.status === 'failed' && task.error) {
    output.code = dashscopeError(task.error).code;
    output.message = task.error.message;
  }
  if (task.status === 'canceled') {
    output.code = 'TaskCanceled';
    output.message = 'The task was canceled.';
  }
  return withWarnings(output, task);
}

export function taskQueryResponse(task: TaskRecord, urls: string[], requestId: string, currency: string, queuePosition?: number) {
  return {
    request_id: requestId,
    output: taskOutput(task, urls, queuePosition),
    usage: { image_count: task.status === 'succeeded' ? urls.length : 0, ...priceUsage(task, currency) },
  };
}

/**
 * The task query as JSON text. A finished task's part never changes, so callers may keep
 * `fragment` and only splice in each request's id.
 */
/**
 * A task's status answer without its request id, as UTF-8 bytes: encoded once (a finished task's
 * is kept and served to every poll), so a poll neither measures nor encodes the ~1 KiB of JSON
 * again — which is costly when it holds any non-ASCII character (V8 keeps it as a two-byte string).
 */
export function taskQueryFragment(task: TaskRecord, urls: string[], currency: string, queuePosition?: number): Buffer {
  const { output, usage } = taskQueryResponse(task, urls, '', currency, queuePosition);
  return Buffer.from(`"output":${JSON.stringify(output)},"usage":${JSON.stringify(usage)}}`);
}

/** The whole answer: `{"request_id":…,` and the fragment, in one buffer. */
export function taskQueryJson(fragment: Buffer, requestId: string): Buffer {
  const head = `{"request_id":${JSON.stringify(requestId)},`;
  const headBytes = Buffer.byteLength(head);
  const answer = Buffer.allocUnsafe(headBytes + fragment.length);
  answer.write(head, 0, headBytes, 'utf8');
  fragment.copy(answer, headBytes);
  return answer;
}

export function unknownTaskResponse(taskId: string, requestId: string) {
  return { request_id: requestId, output: { task_id: taskId, task_status: 'UNKNOWN' as const } };
}
