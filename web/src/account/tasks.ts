/** The account's recent tasks, newest first: small lazy thumbnails, status, model, charge, time and the key that ran it; "More" pages on. */
import { append, byId, h, setChildren } from '../lib/dom.js';
import { dateTime, money } from '../lib/format.js';
import { accountCall } from './client.js';
import type { AccountTask, TaskPage } from './types.js';

const PAGE = 10;

export class TasksSection {
  private readonly list = byId('tasks-list', HTMLUListElement);
  private readonly count = byId('tasks-count', HTMLSpanElement);
  private readonly more = byId('tasks-more', HTMLButtonElement);
  private shown = 0;
  private currency = 'CNY';

  /** `keyName`: a key's name from the keys list, or null (then its id is shown). */
  constructor(private readonly keyName: (keyId: string) => string | null) {
    this.more.addEventListener('click', () => {
      this.more.disabled = true;
      void this.page(this.shown).finally(() => (this.more.disabled = false));
    });
  }

  /** The first page again (after sign-in or a refresh). */
  async load(currency: string): Promise<void> {
    this.currency = currency;
    await this.page(0);
  }

  private async page(offset: number): Promise<void> {
    const answer = await accountCall<TaskPage>(`/v1/account/tasks?limit=${PAGE}&offset=${offset}`);
    if (offset === 0) setChildren(this.list);
    // Tasks started since the first page push older ones down: a task already listed is not repeated.
    const listed = new Set([...this.list.querySelectorAll<HTMLElement>('[data-task]')].map((item) => item.dataset.task));
    append(this.list, answer.data.filter((task) => !listed.has(task.id)).map((task) => this.item(task)));
    this.shown = offset + answer.data.length;
    if (answer.total === 0) setChildren(this.list, h('li', { class: 'empty' }, 'No tasks yet.'));
    this.count.textContent = answer.total === 0 ? '' : `${this.shown} of ${answer.total}`;
    this.more.hidden = this.shown >= answer.total;
  }

  private item(task: AccountTask): HTMLLIElement {
    const charge = task.charged !== null ? money(task.charged, this.currency) : '—';
    return h(
      'li',
      { class: 'task', 'data-task': task.id },
      h(
        'div',
        { class: 'thumbs' },
        ...(task.images.length > 0
          ? task.images.map((url, i) =>
              h('a', { href: url, target: '_blank', rel: 'noopener' }, h('img', { src: url, loading: 'lazy', decoding: 'async', width: 64, height: 64, alt: `Image ${i + 1} of ${task.images.length}` })),
            )
          : [h('span', { class: 'no-thumb', 'aria-hidden': 'true' }, '—')]),
      ),
      h(
        'div',
        { class: 'task-meta' },
        h('div', { class: 'row wrap' }, h('strong', {}, task.model), h('span', { class: 'status-chip', 'data-status': task.status }, task.status)),
        h(
          'div',
          { class: 'muted' },
          h('time', { datetime: task.createdAt }, dateTime(Date.parse(task.createdAt))),
          ' · ',
          h('span', { class: 'charge' }, charge),
          ' · key ',
          h('span', { class: 'task-key', title: task.keyId }, this.keyName(task.keyId) ?? task.keyId),
        ),
        task.prompt ? h('div', { class: 'prompt', title: task.prompt }, task.prompt) : null,
      ),
    );
  }
}
