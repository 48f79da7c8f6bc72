/**
 * DashScope's task API: get, wait, cancel, list. `wait` polls with the cadence of DashScope's
 * own SDK (1 s, doubling every three polls up to 5 s); polls answered 503 or 504 are retried by
 * the transport, as the SDK does.
 */
import { BadRequestError, NotFoundError, TaskCanceledError, TaskFailedError } from './errors.js';
import { taskInfo, taskPage, taskResult, type ImageResult, type TaskInfo, type TaskPage, type TaskStatus } from './results.js';
import type { Downloader } from './download.js';
import { sleep, type Transport } from './transport.js';
import { taskAnswer, taskList } from './shapes.js';
import type { DashScopeCancelAnswer, DashScopeTaskAnswer } from './wire.generated.js';

export interface RequestOptions {
  signal?: AbortSignal;
  /** Per HTTP attempt; default the client's. */
  timeoutMs?: number;
}

export interface WaitOptions extends RequestOptions {
  /** Called after every poll with the task's state (status, queue position, …). */
  onProgress?: (task: TaskInfo) => void;
  /** Poll at this fixed interval instead of DashScope's SDK cadence. */
  pollIntervalMs?: number;
}

export interface ListOptions extends RequestOptions {
  status?: Exclude<TaskStatus, 'UNKNOWN' | 'SUSPENDED'>;
  model?: string;
  /** Tasks created at or after this time: a Date, `2026-12-01` (local midnight) or text `new Date` reads. */
  from?: Date | string;
  /** Tasks created at or before this time. */
  to?: Date | string;
  /** 1-based. */
  page?: number;
  /** 1 to 100; default 10. */
  pageSize?: number;
}

const FINISHED: ReadonlySet<TaskStatus> = new Set(['SUCCEEDED', 'FAILED', 'CANCELED', 'UNKNOWN']);

/** DashScope's SDK cadence: 1 s, doubled after every third poll, at most 5 s. */
export function pollDelayMs(poll: number): number {
  return Math.min(1000 * 2 ** Math.floor(poll / 3), 5000);
}

/** `YYYYMMDDhhmmss` in local time, the task list's filter format. */
function listTime(value: Date | string | undefined, field: string): string | undefined {
  if (value === undefined) return undefined;
  // A bare date is that day's local midnight (`new Date` would read it as UTC midnight).
  const day = typeof value === 'string' ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(value.trim()) : null;
  const date = day ? new Date(Number(day[1]), Number(day[2]) - 1, Number(day[3])) : typeof value === 'string' ? new Date(value) : value;
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) throw new BadRequestError(`${field}: must be a Date or a date text such as 2026-12-01T08:00 (got ${JSON.stringify(String(value))}).`, { code: 'InvalidParameter' });
  const two = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}${two(date.getMonth() + 1)}${two(date.getDate())}${two(date.getHours())}${two(date.getMinutes())}${two(date.getSeconds())}`;
}

const path = (id: string) => `/tasks/${encodeURIComponent(id)}`;

export class Tasks {
  constructor(
    private readonly transport: Transport,
    private readonly downloader: Downloader,
  ) {}

  private async answer(id: string, options: RequestOptions): Promise<DashScopeTaskAnswer> {
    const answer = await this.transport.send<unknown>({ method: 'GET', path: path(id), signal: options.signal, timeoutMs: options.timeoutMs });
    return taskAnswer(answer.body, answer.requestId);
  }

  async get(id: string, options: RequestOptions = {}): Promise<TaskInfo> {
    const answer = await this.answer(id, options);
    return taskInfo(answer.output, answer.request_id);
  }

  /** Resolves with the images once the task SUCCEEDED; throws TaskFailedError, TaskCanceledError or NotFoundError otherwise. */
  async wait(id: string, options: WaitOptions = {}): Promise<ImageResult> {
    for (let poll = 0; ; poll++) {
      const answer = await this.answer(id, options);
      const info = taskInfo(answer.output, answer.request_id);
      options.onProgress?.(info);
      if (FINISHED.has(info.status)) return this.ending(answer, info);
      await sleep(options.pollIntervalMs ?? pollDelayMs(poll), options.signal);
    }
  }

  private ending(answer: DashScopeTaskAnswer, info: TaskInfo): ImageResult {
    const details = { requestId: info.requestId, taskId: info.id, status: null, body: answer };
    if (info.status === 'SUCCEEDED') return taskResult(this.downloader, answer);
    if (info.status === 'FAILED') {
      const code = info.code ?? 'InternalError';
      throw new TaskFailedError(`Task ${info.id} failed: ${code}: ${info.message ?? 'no message'}`, { ...details, code });
    }
    if (info.status === 'CANCELED') throw new TaskCanceledError(`Task ${info.id} was canceled.`, { ...details, code: 'TaskCanceled' });
    throw new NotFoundError(`Task ${info.id} is unknown: it never existed, belongs to another key, or expired.`, { ...details, code: 'UNKNOWN' });
  }

  /** Cancels a PENDING task; one already running or finished answers BadRequestError (UnsupportedOperation). */
  async cancel(id: string, options: RequestOptions = {}): Promise<{ id: string; status: 'CANCELED'; requestId: string | null }> {
    const { body } = await this.transport.send<DashScopeCancelAnswer>({ method: 'POST', path: `${path(id)}/cancel`, signal: options.signal, timeoutMs: options.timeoutMs });
    return { id: body.output?.task_id ?? id, status: 'CANCELED', requestId: body.request_id };
  }

  async list(options: ListOptions = {}): Promise<TaskPage> {
    const query = {
      status: options.status,
      model_name: options.model,
      start_time: listTime(options.from, 'from'),
      end_time: listTime(options.to, 'to'),
      page_no: options.page,
      page_size: options.pageSize,
    };
    const answer = await this.transport.send<unknown>({ method: 'GET', path: '/tasks', query, signal: options.signal, timeoutMs: options.timeoutMs });
    return taskPage(taskList(answer.body, answer.requestId));
  }
}
