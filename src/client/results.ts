/**
 * DashScope's answers as the client hands them out: a finished set of images (from the sync
 * answer or a succeeded task) that can save itself to a folder, and a task's state.
 */
import type { DashScopeSyncAnswer, DashScopeTaskAnswer, DashScopeTaskList } from './wire.generated.js';
import { saveImages, type Downloader, type DownloadOptions } from './download.js';

/** DashScope's statuses, with SUSPENDED from its SDK's enum (a task that may go on). */
export type TaskStatus = DashScopeTaskAnswer['output']['task_status'] | 'SUSPENDED';
type TaskOutput = DashScopeTaskAnswer['output'];

export interface ResultImage {
  /** A signed URL that expires (24 h on DashScope; the server's setting here). */
  url: string;
  /** The prompt the model used when it rewrote it (async text-to-image). */
  actualPrompt?: string;
}

export interface ImageResult {
  images: ResultImage[];
  urls: string[];
  /** Set when the images came from a task; null for a sync answer. */
  taskId: string | null;
  requestId: string | null;
  width: number | null;
  height: number | null;
  /** What the server adjusted or ignored (this gateway's addition; DashScope sends none). */
  warnings: string[];
  /** Saves every image into `dir` (created if missing) and returns the files' paths. Node only. */
  download(dir: string, options?: DownloadOptions): Promise<string[]>;
}

export interface TaskInfo {
  id: string;
  status: TaskStatus;
  requestId: string | null;
  /** Tasks ahead of this one while it is PENDING (this gateway's addition). */
  queuePosition: number | null;
  submitTime: string | null;
  scheduledTime: string | null;
  endTime: string | null;
  /** The images of a SUCCEEDED task. */
  urls: string[];
  /** Why a FAILED task failed. */
  code: string | null;
  message: string | null;
  warnings: string[];
  /** The model, in task lists. */
  model: string | null;
  /** The answer's `output` as it came. */
  raw: TaskOutput;
}

function imageResult(downloader: Downloader, fields: Omit<ImageResult, 'urls' | 'download'>): ImageResult {
  const urls = fields.images.map((image) => image.url);
  const stem = fields.taskId ?? fields.requestId ?? 'image';
  return { ...fields, urls, download: (dir, options) => saveImages(downloader, urls, dir, stem, options) };
}

export function syncResult(downloader: Downloader, answer: DashScopeSyncAnswer): ImageResult {
  const images = answer.output.choices.flatMap((choice) => choice.message.content.map((item) => ({ url: item.image })));
  return imageResult(downloader, {
    images,
    taskId: null,
    requestId: answer.request_id,
    width: answer.usage?.width ?? null,
    height: answer.usage?.height ?? null,
    warnings: answer.output.warnings ?? [],
  });
}

/** A result entry as it may come: DashScope reports an image that failed in its place, with a code and no URL. */
type ResultEntry = { url?: unknown; actual_prompt?: unknown; code?: unknown; message?: unknown };

function imagesOf(output: TaskOutput): ResultImage[] {
  if (output.results && output.results.length > 0) {
    return (output.results as ResultEntry[])
      .filter((result): result is ResultEntry & { url: string } => typeof result.url === 'string')
      .map((result) => (typeof result.actual_prompt === 'string' ? { url: result.url, actualPrompt: result.actual_prompt } : { url: result.url }));
  }
  return (output.choices ?? []).flatMap((choice) => choice.message.content.map((item) => ({ url: item.image })));
}

/** The task's warnings, and a line for each image that failed in a task that succeeded with the others. */
function warningsOf(output: TaskOutput): string[] {
  const failed = ((output.results ?? []) as ResultEntry[]).flatMap((result, i) =>
    typeof result.url === 'string' ? [] : [`image ${i + 1} failed: ${typeof result.code === 'string' ? result.code : 'no code'}: ${typeof result.message === 'string' ? result.message.slice(0, 300) : 'no message'}`],
  );
  return [...(output.warnings ?? []), ...failed];
}

/** A task list's items add the model. */
type Additions = { model_name?: string };

export function taskInfo(output: TaskOutput & Additions, requestId: string | null): TaskInfo {
  return {
    id: output.task_id,
    status: output.task_status,
    requestId,
    queuePosition: typeof output.queue_position === 'number' ? output.queue_position : null,
    submitTime: output.submit_time ?? null,
    scheduledTime: output.scheduled_time ?? null,
    endTime: output.end_time ?? null,
    urls: imagesOf(output).map((image) => image.url),
    code: output.code ?? null,
    message: output.message ?? null,
    warnings: warningsOf(output),
    model: output.model_name ?? null,
    raw: output,
  };
}

export function taskResult(downloader: Downloader, answer: DashScopeTaskAnswer): ImageResult {
  return imageResult(downloader, {
    images: imagesOf(answer.output),
    taskId: answer.output.task_id,
    requestId: answer.request_id,
    width: null,
    height: null,
    warnings: warningsOf(answer.output),
  });
}

export interface TaskPage {
  tasks: TaskInfo[];
  total: number;
  page: number;
  pageSize: number;
  totalPages: number;
}

export function taskPage(answer: DashScopeTaskList): TaskPage {
  return {
    tasks: answer.data.map((output) => taskInfo(output, answer.request_id)),
    total: answer.total,
    page: answer.page_no,
    pageSize: answer.page_size,
    totalPages: answer.total_page,
  };
}
