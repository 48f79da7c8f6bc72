/** Recent tasks of every key: engine, timings, attempts, errors and charges; filterable, paged, live. */
import { byId, h, setChildren } from '../lib/dom.js';
import { dateTime, duration, money } from '../lib/format.js';
import { renderPager } from '../lib/pager.js';
import { adminCall, query } from './client.js';
import type { AdminKey, AdminTask, TaskPage } from './types.js';

const LIMIT = 25;

export class TasksSection {
  private readonly form = byId('tasks-filter', HTMLFormElement);
  private readonly keySelect = byId('tasks-key', HTMLSelectElement);
  private readonly modelSelect = byId('tasks-model', HTMLSelectElement);
  private readonly body = byId('tasks-body', HTMLTableSectionElement);
  private readonly pager = byId('tasks-pager', HTMLDivElement);
  private readonly live = byId('tasks-live', HTMLInputElement);
  private keys: readonly AdminKey[] = [];
  private offset = 0;
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(private readonly visible: () => boolean) {
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.offset = 0;
      void this.load();
    });
    this.live.addEventListener('change', () => this.schedule());
    this.schedule();
  }

  setChoices(keys: readonly AdminKey[], models: readonly string[]): void {
    this.keys = keys;
    const value = this.keySelect.value;
    setChildren(this.keySelect, h('option', { value: '' }, 'All keys'), ...keys.map((key) => h('option', { value: key.id }, key.name)));
    this.keySelect.value = value;
    if (models.length > 0 && this.modelSelect.options.length <= 1) {
      setChildren(this.modelSelect, h('option', { value: '' }, 'All models'), ...models.map((model) => h('option', { value: model }, model)));
    }
  }

  filterByKey(keyId: string): void {
    this.keySelect.value = keyId;
    this.offset = 0;
  }

  async load(): Promise<void> {
    const data = new FormData(this.form);
    const text = (name: string) => String(data.get(name) ?? '');
    const page = await adminCall<TaskPage>(`/admin/v1/tasks${query({ status: text('status'), keyId: text('keyId'), model: text('model'), limit: LIMIT, offset: this.offset })}`);
    setChildren(this.body, ...(page.data.length > 0 ? page.data.map((task) => this.row(task)) : [h('tr', {}, h('td', { colspan: 9, class: 'empty-cell' }, 'No tasks match.'))]));
    this.renderPager(page);
  }

  private schedule(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = this.live.checked ? setInterval(() => (this.visible() ? void this.load().catch(() => undefined) : undefined), 3000) : null;
  }

  private renderPager(page: TaskPage): void {
    const go = (offset: number) => {
      this.offset = offset;
      void this.load();
    };
    renderPager(this.pager, { offset: page.offset, shown: page.data.length, total: page.total, limit: LIMIT }, go, { noun: 'tasks', back: 'Newer', forward: 'Older' });
  }

  private row(task: AdminTask): HTMLTableRowElement {
    const key = this.keys.find((k) => k.id === task.keyId);
    const { billing } = task;
    const charge = billing.charged !== null ? money(billing.charged, billing.currency) : billing.state === 'held' ? `${money(billing.held, billing.currency)} held` : '—';
    return h(
      'tr',
      {},
      h('td', { 'data-label': 'Created' }, dateTime(Date.parse(task.createdAt)), h('div', {}, h('code', { class: 'muted', title: task.id }, task.id.slice(0, 8)))),
      h('td', { 'data-label': 'Key' }, key?.name ?? task.keyId, h('div', { class: 'muted' }, task.origin)),
      h('td', { 'data-label': 'Model' }, task.model, h('div', { class: 'muted' }, `${task.kind} · ${task.inputs} in · ${task.size}`)),
      h('td', { 'data-label': 'Status' }, h('span', { class: 'status-chip', 'data-status': task.status }, task.status)),
      h('td', { 'data-label': 'Engine' }, task.engine ?? '—', task.attempts > 1 ? h('div', { class: 'warn-text' }, `${task.attempts} attempts`) : null),
      h('td', { class: 'num', 'data-label': 'Queued' }, task.queuedMs !== null ? duration(task.queuedMs) : '—'),
      h('td', { class: 'num', 'data-label': 'Ran' }, task.runMs !== null ? duration(task.runMs) : '—'),
      h('td', { class: 'num', 'data-label': 'Images · charge' }, `${task.outputs}/${task.n}`, h('div', { class: 'muted' }, charge)),
      h(
        'td',
        { class: 'error-cell', 'data-label': 'Error · prompt' },
        task.error ? h('span', { class: 'error-text', title: task.error.kind }, task.error.message) : null,
        task.warnings.length > 0 ? h('div', { class: 'muted', title: task.warnings.join('\n') }, `${task.warnings.length} warning${task.warnings.length > 1 ? 's' : ''}`) : null,
        h('div', { class: 'prompt-cell', title: task.prompt }, task.prompt),
      ),
    );
  }
}
