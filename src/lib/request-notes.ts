/**
 * What a request was about, noted by the services as they learn it (the model asked for, the
 * task it created or read) and read by the request's log line when it is answered. The request's
 * notes are handed to the service call that learns them (`notes` of a submit, the last argument of
 * a read); outside a request (a worker running a task) there are none and noting is a no-op.
 *
 * Passed explicitly rather than carried by AsyncLocalStorage: once one is in use, Node 20 runs its
 * hook on every async resource and promise the process creates, which cost about an eighth of a
 * task status poll's CPU.
 */

export interface RequestNotes {
  model?: string;
  taskId?: string;
  /** The dialect the task came through (its `origin`), when a task was noted. */
  origin?: string;
}

/** Longer model names are cut: a refused request's may be anything a client sent. */
const MAX_MODEL_CHARS = 128;

/** Notes the model a request asks for (before it is validated, so a refused one is named too). */
export function noteModel(notes: RequestNotes | null | undefined, model: string): void {
  if (notes) notes.model = model.slice(0, MAX_MODEL_CHARS);
}

/** Notes the task a request created or read (the first one, for a request that reads several). */
export function noteTask(notes: RequestNotes | null | undefined, task: { id: string; model: string; origin: string }): void {
  if (!notes || notes.taskId !== undefined) return;
  notes.taskId = task.id;
  notes.model = task.model;
  notes.origin = task.origin;
}
