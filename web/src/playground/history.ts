/** The key's past tasks (GET /api/v1/tasks), newest first, with when their image links expire. */
import { call } from '../lib/api.js';
import { byId, h, setChildren } from '../lib/dom.js';
import { dateTime, parseTaskTime, untilText, urlExpiry } from '../lib/format.js';
import type { TaskList, TaskOutput } from '../lib/types.js';

const PAGE_SIZE = 8;

export class History {
  private readonly list = byId('history-list', HTMLUListElement);
  private readonly more = byId('history-more', HTMLButtonElement);
  private readonly note = byId('history-note', HTMLParagraphElement);
  private items: TaskOutput[] = [];
  private page = 1;

  constructor(
    private readonly key: () => string | null,
    private readonly onShow: (task: TaskOutput) => void,
  ) {
    byId('history-refresh', HTMLButtonElement).addEventListener('click', () => void this.reload());
    this.more.addEventListener('click', () => void this.load(this.page + 1));
  }

  reload(): Promise<void> {
    return this.load(1);
  }

  private async load(page: number): Promise<void> {
    const key = this.key();
    if (key === null) {
      this.note.textContent = 'Set your API key to see its tasks.';
      return;
    }
    try {
      const answer = await call<TaskList>(`/api/v1/tasks?page_size=${PAGE_SIZE}&page_no=${page}`, { token: key });
      this.items = page === 1 ? answer.data : [...this.items, ...answer.data];
      this.page = page;
      this.more.hidden = this.items.length >= answer.total;
      this.note.textContent = answer.total === 0 ? 'No tasks yet: your runs will show here.' : `${answer.total} ${answer.total === 1 ? 'task' : 'tasks'}`;
      setChildren(this.list, ...this.items.map((task) => this.item(task)));
    } catch (error) {
      this.note.textContent = `Could not read the history: ${error instanceof Error ? error.message : String(error)}`;
    }
  }

  private item(task: TaskOutput): HTMLLIElement {
    const results = task.results ?? [];
    const first = results[0];
    const submitted = parseTaskTime(task.submit_time);
    const expiry = first ? urlExpiry(first.url) : null;
    const meta = [
      results.length > 0 ? `${results.length} ${results.length === 1 ? 'image' : 'images'}` : null,
      expiry !== null ? `links expire ${untilText(expiry)}` : null,
    ].filter(Boolean);
    const summary = first?.orig_prompt ?? task.message ?? (task.task_status === 'CANCELED' ? 'Canceled.' : '');
    return h(
      'li',
      { class: 'history-item' },
      h('div', { class: 'history-thumb' }, first ? h('img', { src: first.url, alt: '', loading: 'lazy' }) : null),
      h(
        'div',
        { class: 'history-main' },
        h(
          'p',
          { class: 'history-head' },
          h('span', { class: 'status-chip', 'data-status': task.task_status }, task.task_status),
          h('span', { class: 'history-model' }, task.model_name ?? ''),
          submitted !== null ? h('time', { datetime: new Date(submitted).toISOString() }, dateTime(submitted)) : null,
        ),
        summary ? h('p', { class: 'history-prompt', title: summary }, summary) : null,
        meta.length > 0 ? h('p', { class: 'history-meta', 'data-expired': String(expiry !== null && expiry < Date.now()) }, meta.join(' · ')) : null,
      ),
      results.length > 0
        ? h('button', { type: 'button', class: 'small', 'aria-label': `Show the results of task ${task.task_id}`, onclick: () => this.onShow(task) }, 'Show')
        : null,
    );
  }
}
