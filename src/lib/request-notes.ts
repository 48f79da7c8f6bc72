/**
 * What a request was about, noted by the services as they learn it (the model asked for, the
 * task it created or read) and read by the request's log line when it is answered. Carried by
 * AsyncLocalStorage, so no service needs the HTTP request to say so; outside a request (a worker
 * running a task) noting is a no-op.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface RequestNotes {
  model?: string;
  taskId?: string;
  /** The dialect the task came through (its `origin`), when a task was noted. */
  origin?: string;
}

const current = new AsyncLocalStorage<RequestNotes>();

/** Runs `fn` (the request's handler) with `notes` as the request's notes. */
export function withRequestNotes(notes: RequestNotes, fn: () => void): void {
  current.run(notes, fn);
}

/** Longer model names are cut: a refused request's may be anything a client sent. */
const MAX_MODEL_CHARS = 128;

/** Notes the model a request asks for (before it is validated, so a refused one is named too). */
export function noteModel(model: string): void {
  const notes = current.getStore();
  if (notes) notes.model = model.slice(0, MAX_MODEL_CHARS);
}

/** Notes the task a request created or read (the first one, for a request that reads several). */
export function noteTask(task: { id: string; model: string; origin: string }): void {
  const notes = current.getStore();
  if (!notes || notes.taskId !== undefined) return;
  notes.taskId = task.id;
  notes.model = task.model;
  notes.origin = task.origin;
}
