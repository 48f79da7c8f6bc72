/**
 * The least an answer must hold before the client reads it: a proxy's HTML page, `{}` or a
 * reseller's own shape becomes a typed `InvalidResponse` error naming what was missing, not a
 * TypeError deep inside, and an unknown task status stops a wait instead of polling forever.
 */
import { QigError } from './errors.js';
import type { DashScopeSubmitAnswer, DashScopeSyncAnswer, DashScopeTaskAnswer, DashScopeTaskList } from './wire.generated.js';

/** DashScope's statuses; SUSPENDED is in its SDK's enum, a task that may go on. */
export const TASK_STATUSES: ReadonlySet<string> = new Set(['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELED', 'UNKNOWN', 'SUSPENDED']);

type Fields = Record<string, unknown>;
const record = (value: unknown): Fields | null => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Fields) : null);

function invalid(what: string, body: unknown, requestId: string | null): QigError {
  const preview = (typeof body === 'string' ? body : JSON.stringify(body) ?? String(body)).slice(0, 200);
  return new QigError(`The server's answer is not ${what}: ${preview}`, { code: 'InvalidResponse', status: 200, requestId, body });
}

function isTaskOutput(value: unknown): boolean {
  const output = record(value);
  return output !== null && typeof output.task_id === 'string' && output.task_id !== '' && typeof output.task_status === 'string' && TASK_STATUSES.has(output.task_status);
}

export function taskAnswer(body: unknown, requestId: string | null): DashScopeTaskAnswer {
  if (!isTaskOutput(record(body)?.output)) throw invalid('a DashScope task (output.task_id and a known output.task_status)', body, requestId);
  return body as DashScopeTaskAnswer;
}

export function submitAnswer(body: unknown, requestId: string | null): DashScopeSubmitAnswer {
  if (!isTaskOutput(record(body)?.output)) {
    throw invalid('a submitted task (no output.task_id: the server does not run this route asynchronously; DashScope\'s edit models are sync only, so submit without { async: true })', body, requestId);
  }
  return body as DashScopeSubmitAnswer;
}

export function syncAnswer(body: unknown, requestId: string | null): DashScopeSyncAnswer {
  const choices = record(record(body)?.output)?.choices;
  const valid = Array.isArray(choices) && choices.every((choice) => Array.isArray(record(record(choice)?.message)?.content));
  if (!valid) throw invalid('DashScope\'s images (output.choices[].message.content)', body, requestId);
  return body as DashScopeSyncAnswer;
}

export function taskList(body: unknown, requestId: string | null): DashScopeTaskList {
  const data = record(body)?.data;
  if (!Array.isArray(data) || !data.every(isTaskOutput)) throw invalid('a DashScope task list (data[] of tasks)', body, requestId);
  return body as DashScopeTaskList;
}
