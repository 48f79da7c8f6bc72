/**
 * One run through the public task API: submit the DashScope body with X-DashScope-Async, poll the
 * task (PENDING → RUNNING → …) showing the elapsed time, then hand the outcome to the results.
 */
import { ApiError, call, fieldOfMessage } from '../lib/api.js';
import { byId, h, setChildren } from '../lib/dom.js';
import { duration, parseTaskTime } from '../lib/format.js';
import type { TaskOutput, TaskQuery } from '../lib/types.js';
import type { PlaygroundForm } from './form.js';
import type { InputImage } from './images.js';
import { dashscopeBody, MULTIMODAL_PATH, type FormValues } from './values.js';

export interface RunOutcome {
  task: TaskOutput;
  values: FormValues;
  inputs: readonly InputImage[];
}

export interface RunDeps {
  form: PlaygroundForm;
  key: () => string | null;
  keyMissing: (message: string) => void;
  finished: (outcome: RunOutcome) => void;
}

const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'CANCELED', 'UNKNOWN']);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class Runner {
  private readonly status = byId('status', HTMLDivElement);
  private readonly submitButton = byId('submit', HTMLButtonElement);
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(private readonly deps: RunDeps) {}

  async run(): Promise<void> {
    const { form } = this.deps;
    form.clearErrors();
    const key = this.deps.key();
    if (key === null) return this.deps.keyMissing('Set your API key to run a task.');
    form.options.seedForRun();
    const values = form.values();
    const inputs = [...form.images.images];
    this.submitButton.disabled = true;
    // One column on narrow screens: bring the progress into view.
    if (matchMedia('(max-width: 960px)').matches) this.status.closest('section')?.scrollIntoView({ behavior: 'smooth', block: 'start' });
    const started = performance.now();
    try {
      this.show('SUBMITTING', started, null);
      const body = dashscopeBody(values, await form.images.refs());
      const submitted = await call<{ output: TaskOutput }>(MULTIMODAL_PATH, { token: key, body, headers: { 'x-dashscope-async': 'enable' } });
      const task = await this.poll(submitted.output.task_id, key, started);
      this.stopTimer();
      // The error is shown once: beside its field when it names one, else in the status.
      const placed = task.task_status === 'FAILED' && task.message ? form.showApiError({ code: task.code ?? '', message: task.message, field: fieldOfMessage(task.message) }) : false;
      this.showDone(task, placed);
      this.deps.finished({ task, values, inputs });
    } catch (error) {
      this.stopTimer();
      this.showError(error);
    } finally {
      this.submitButton.disabled = false;
    }
  }

  private async poll(taskId: string, key: string, started: number): Promise<TaskOutput> {
    for (let round = 0; ; round += 1) {
      const { output } = await call<TaskQuery>(`/api/v1/tasks/${encodeURIComponent(taskId)}`, { token: key });
      if (TERMINAL.has(output.task_status)) return output;
      this.show(output.task_status, started, output.task_status === 'PENDING' ? taskId : null);
      await sleep(round < 20 ? 300 : 1000);
    }
  }

  private show(state: string, started: number, cancellable: string | null): void {
    const label = state === 'SUBMITTING' ? 'Sending' : state;
    const existing = this.status.querySelector<HTMLElement>('.status-chip');
    if (existing?.textContent === label && Boolean(this.status.querySelector('.cancel')) === Boolean(cancellable)) return;
    const elapsed = h('span', { class: 'elapsed', 'aria-hidden': 'true' });
    const tick = () => (elapsed.textContent = duration(performance.now() - started));
    tick();
    this.stopTimer();
    this.timer = setInterval(tick, 100);
    const text = state === 'PENDING' ? 'Waiting in the queue' : state === 'RUNNING' ? 'Running on an engine' : 'Sending the request';
    setChildren(
      this.status,
      h('span', { class: 'status-chip', 'data-status': state }, label),
      h('span', {}, text),
      elapsed,
      h('span', { class: 'progress', 'aria-hidden': 'true' }),
      cancellable ? h('button', { type: 'button', class: 'cancel', onclick: () => void this.cancel(cancellable) }, 'Cancel') : null,
    );
  }

  private async cancel(taskId: string): Promise<void> {
    const key = this.deps.key();
    try {
      await call(`/api/v1/tasks/${encodeURIComponent(taskId)}/cancel`, { token: key, method: 'POST' });
    } catch (error) {
      // The task started meanwhile: only PENDING tasks can be canceled.
      if (!(error instanceof ApiError)) throw error;
    }
  }

  /** `placed`: the task's error is already shown beside its field. */
  private showDone(task: TaskOutput, placed: boolean): void {
    const submitted = parseTaskTime(task.submit_time);
    const scheduled = parseTaskTime(task.scheduled_time);
    const ended = parseTaskTime(task.end_time);
    const timing =
      submitted !== null && ended !== null
        ? `in ${duration(ended - submitted)}${scheduled !== null ? ` (queued ${duration(scheduled - submitted)}, ran ${duration(ended - scheduled)})` : ''}`
        : '';
    const words: Record<string, string> = { SUCCEEDED: 'Done', FAILED: 'Failed', CANCELED: 'Canceled', UNKNOWN: 'Unknown task' };
    setChildren(
      this.status,
      h('span', { class: 'status-chip', 'data-status': task.task_status }, task.task_status),
      h('span', {}, `${words[task.task_status] ?? task.task_status} ${timing}`.trim()),
      task.task_status === 'FAILED' && task.message ? (placed ? h('span', {}, '— see the highlighted field.') : h('p', { class: 'status-message' }, task.message)) : null,
    );
  }

  private showError(error: unknown): void {
    const form = this.deps.form;
    const apiError = error instanceof ApiError ? error : null;
    const message = apiError ? apiError.message : String(error);
    const placed = apiError ? form.showApiError(apiError) : false;
    if (apiError?.code === 'InvalidApiKey') this.deps.keyMissing(message);
    // Once: beside its field when it names one, else here.
    setChildren(
      this.status,
      h('span', { class: 'status-chip', 'data-status': 'FAILED' }, apiError ? apiError.code : 'Error'),
      placed ? h('span', {}, 'The request was refused: see the highlighted field.') : h('p', { class: 'status-message' }, message),
    );
  }

  private stopTimer(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}
