/**
 * The queue status shared by fal and its SeaArt clone (protocols.md §3.3, §3.10): IN_QUEUE (with
 * the real queue position), IN_PROGRESS, COMPLETED (with `metrics.inference_time`), failures as
 * COMPLETED with `error` and `error_type`; log lines as `{message, level, source, timestamp}`. Pure.
 */
import type { z } from 'zod';
import type { TaskLogLine, TaskOutput, TaskRecord, TaskStatus } from '../../domain/task.js';
import type { queueStatusAnswer } from './answers.js';

export type QueueStatus = 'IN_QUEUE' | 'IN_PROGRESS' | 'COMPLETED';

export function queueStatusOf(status: TaskStatus): QueueStatus {
  return status === 'queued' ? 'IN_QUEUE' : status === 'running' ? 'IN_PROGRESS' : 'COMPLETED';
}

export interface QueueLinks {
  request_id: string;
  response_url: string;
  status_url: string;
  cancel_url: string;
}

/** Absolute URLs of a request: `{base}/{id}` answers the result, or `{base}/{id}/{resultPath}`. */
export function queueLinks(base: string, requestId: string, resultPath = ''): QueueLinks {
  const root = `${base}/requests/${requestId}`;
  return {
    request_id: requestId,
    response_url: resultPath === '' ? root : `${root}/${resultPath}`,
    status_url: `${root}/status`,
    cancel_url: `${root}/cancel`,
  };
}

export interface QueueLogLine {
  message: string;
  level: 'INFO' | 'WARN' | 'ERROR' | 'DEBUG';
  source: 'USER';
  timestamp: string;
}

const LEVELS: Record<string, QueueLogLine['level']> = { info: 'INFO', warn: 'WARN', warning: 'WARN', error: 'ERROR', debug: 'DEBUG' };

export function logLine(line: TaskLogLine): QueueLogLine {
  return { message: line.message, level: LEVELS[line.level] ?? 'INFO', source: 'USER', timestamp: new Date(line.at).toISOString() };
}

/** The task's log, after its warnings (fields adjusted or ignored at submit) as WARN lines. */
export function taskLogLines(task: TaskRecord, lines: readonly TaskLogLine[]): QueueLogLine[] {
  return [...task.warnings.map((message) => logLine({ at: task.createdAt, level: 'warn', message })), ...lines.map(logLine)];
}

/** Seconds the task ran, once it ended. */
export function inferenceSeconds(task: TaskRecord): number | undefined {
  if (task.startedAt === null || task.finishedAt === null) return undefined;
  return Math.max(0, task.finishedAt - task.startedAt) / 1000;
}

export interface StatusExtras {
  /** 0-based; only while queued. */
  position?: number | undefined;
  logs?: QueueLogLine[] | undefined;
  /** The error of a task that did not succeed, in the dialect's terms. */
  failure?: { error: string; error_type: string } | null | undefined;
}

export function statusBody(task: TaskRecord, links: QueueLinks, extras: StatusExtras = {}): z.output<typeof queueStatusAnswer> {
  const status = queueStatusOf(task.status);
  const seconds = status === 'COMPLETED' ? inferenceSeconds(task) : undefined;
  return {
    status,
    ...links,
    ...(status === 'IN_QUEUE' ? { queue_position: extras.position ?? 0 } : {}),
    ...(extras.logs === undefined ? {} : { logs: extras.logs }),
    ...(status === 'COMPLETED' ? { metrics: seconds === undefined ? {} : { inference_time: seconds } } : {}),
    ...(status === 'COMPLETED' && extras.failure ? extras.failure : {}),
  };
}

/** An output's file name: its blob id (`{sha256}.png`), or the last segment of an upstream URL. */
export function fileNameOf(output: TaskOutput, index: number): string {
  if (output.blobId) return output.blobId;
  const last = output.url ? new URL(output.url).pathname.split('/').at(-1) : undefined;
  return last || `image-${index + 1}`;
}
