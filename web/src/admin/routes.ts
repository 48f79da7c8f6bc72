/**
 * Routes: per model id, family or "*", the channels in priority order. The order is the priority:
 * drag an entry (or use its up/down buttons) to move it; "tie" puts a channel in the tier of the
 * one above, which shares the traffic by weight. The saved priorities are shown until the order
 * changes; then they follow it (10 apart, the last 0). Save writes the route (PUT).
 */
import { byId, h, setChildren } from '../lib/dom.js';
import { adminCall, explain } from './client.js';
import { openDialog } from './dialog.js';
import type { RouteEntry } from './types.js';

interface Row {
  channel: string;
  weight: number;
  /** In the same tier (priority) as the row above. */
  tie: boolean;
}

/** Priorities from the order: tiers from the top, 10 apart, the lowest 0. */
function priorities(rows: readonly Row[]): number[] {
  const tiers: number[] = [];
  let tier = -1;
  for (const [i, row] of rows.entries()) tiers.push(i > 0 && row.tie ? tier : (tier += 1));
  return tiers.map((t) => (tier - t) * 10);
}

const routePath = (model: string) => `/admin/v1/routes/${encodeURIComponent(model)}`;

class RouteEditor {
  readonly element = h('article', { class: 'route-card' });
  private rows: Row[];
  /** The priorities as saved, kept until the order or a tie changes (then they follow the order). */
  private saved: number[] | null;
  private dragged: number | null = null;

  constructor(
    private readonly model: string,
    entries: readonly RouteEntry[],
    private readonly channels: () => readonly string[],
    private readonly reload: () => Promise<void>,
  ) {
    const sorted = [...entries].sort((a, b) => b.priority - a.priority);
    this.rows = sorted.map((entry, i) => ({ channel: entry.channel, weight: entry.weight, tie: i > 0 && sorted[i - 1]?.priority === entry.priority }));
    this.saved = sorted.map((entry) => entry.priority);
    this.element.dataset.route = model;
    this.render();
  }

  private render(focus?: string): void {
    const status = h('p', { class: 'route-status', role: 'status' });
    const given = this.priorities();
    const unused = this.channels().filter((c) => !this.rows.some((row) => row.channel === c));
    const picker = h('select', { 'aria-label': `Channel to add to ${this.model}` }, ...unused.map((c) => h('option', { value: c }, c)));
    setChildren(
      this.element,
      h(
        'header',
        { class: 'section-head' },
        h('h3', {}, h('code', {}, this.model)),
        h(
          'div',
          { class: 'row wrap' },
          h('button', { type: 'button', class: 'small primary', onclick: () => void this.save(status) }, 'Save'),
          h('button', { type: 'button', class: 'small ghost danger', onclick: () => this.remove() }, 'Delete route'),
        ),
      ),
      h('ol', { class: 'route-entries' }, ...this.rows.map((row, i) => this.entry(row, i, given[i] ?? 0))),
      unused.length > 0
        ? h('div', { class: 'row wrap route-add' }, picker, h('button', { type: 'button', class: 'small', onclick: () => this.change(() => this.rows.push({ channel: picker.value, weight: 1, tie: false })) }, 'Add channel'))
        : null,
      status,
    );
    if (!focus) return;
    // A row moved to an end has that arrow disabled: the other one keeps the focus in the row.
    const find = (key: string) => this.element.querySelector<HTMLButtonElement>(`[data-focus="${CSS.escape(key)}"]`);
    const button = find(focus);
    (button?.disabled ? find(focus.startsWith('up-') ? focus.replace('up-', 'down-') : focus.replace('down-', 'up-')) : button)?.focus();
  }

  private priorities(): number[] {
    return this.saved ?? priorities(this.rows);
  }

  private change(edit: () => void, focus?: string): void {
    edit();
    this.saved = null;
    this.render(focus);
  }

  private move(from: number, to: number, focus?: string): void {
    if (to < 0 || to >= this.rows.length || from === to) return;
    this.change(() => {
      const [row] = this.rows.splice(from, 1);
      if (row) this.rows.splice(to, 0, row);
    }, focus);
  }

  private entry(row: Row, i: number, priority: number): HTMLLIElement {
    const weight = h('input', { type: 'number', min: 1, max: 1000, step: 1, value: row.weight, class: 'weight', 'aria-label': `Weight of ${row.channel}` });
    weight.addEventListener('change', () => (row.weight = Number(weight.value)));
    const tie = h('input', { type: 'checkbox', checked: row.tie, 'aria-label': `${row.channel}: same priority as the one above` });
    tie.addEventListener('change', () => this.change(() => (row.tie = tie.checked)));
    const item = h(
      'li',
      { class: 'route-entry', draggable: 'true', 'data-channel': row.channel },
      h('span', { class: 'drag-handle', 'aria-hidden': 'true' }, '⠿'),
      h('strong', { class: 'route-channel' }, row.channel),
      h('span', { class: 'tag', title: 'Higher goes first' }, `priority ${priority}`),
      i > 0 ? h('label', { class: 'check' }, tie, 'tie') : null,
      h('label', { class: 'route-weight' }, 'weight', weight),
      h('button', { type: 'button', class: 'small ghost', 'aria-label': `Move ${row.channel} up`, 'data-focus': `up-${row.channel}`, disabled: i === 0, onclick: () => this.move(i, i - 1, `up-${row.channel}`) }, '↑'),
      h('button', { type: 'button', class: 'small ghost', 'aria-label': `Move ${row.channel} down`, 'data-focus': `down-${row.channel}`, disabled: i === this.rows.length - 1, onclick: () => this.move(i, i + 1, `down-${row.channel}`) }, '↓'),
      h('button', { type: 'button', class: 'small ghost danger', 'aria-label': `Take ${row.channel} out`, onclick: () => this.change(() => this.rows.splice(i, 1)) }, '✕'),
    );
    item.addEventListener('dragstart', (event) => {
      this.dragged = i;
      event.dataTransfer?.setData('text/plain', row.channel);
      if (event.dataTransfer) event.dataTransfer.effectAllowed = 'move';
      item.classList.add('dragging');
    });
    item.addEventListener('dragend', () => item.classList.remove('dragging'));
    item.addEventListener('dragover', (event) => {
      if (this.dragged === null) return;
      event.preventDefault();
      if (event.dataTransfer) event.dataTransfer.dropEffect = 'move';
    });
    item.addEventListener('drop', (event) => {
      event.preventDefault();
      if (this.dragged !== null) this.move(this.dragged, i);
      this.dragged = null;
    });
    return item;
  }

  private async save(status: HTMLElement): Promise<void> {
    const given = this.priorities();
    const entries: RouteEntry[] = this.rows.map((row, i) => ({ channel: row.channel, priority: given[i] ?? 0, weight: row.weight }));
    status.classList.remove('error-text');
    try {
      await adminCall(routePath(this.model), { method: 'PUT', body: { entries } });
      status.textContent = 'Saved.';
    } catch (error) {
      status.textContent = explain(error);
      status.classList.add('error-text');
    }
  }

  private remove(): void {
    openDialog({
      title: `Delete the route of “${this.model}”?`,
      content: [h('p', {}, this.model === '*' ? 'Models without a route of their own then have no channel.' : 'The model then follows its family’s route or "*".')],
      action: 'Delete route',
      danger: true,
      submit: async () => {
        await adminCall(routePath(this.model), { method: 'DELETE' });
        await this.reload();
      },
    });
  }
}

export class RoutesSection {
  private readonly list = byId('route-list', HTMLDivElement);
  private readonly form = byId('route-add', HTMLFormElement);
  private readonly error = byId('route-add-error', HTMLParagraphElement);
  private channels: string[] = [];
  private models: string[] = [];

  constructor() {
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.add();
    });
  }

  /** The model choices of the "new route" field. */
  setModels(models: readonly string[]): void {
    setChildren(byId('route-models', HTMLDataListElement), ...['*', ...models].map((model) => h('option', { value: model })));
  }

  async load(): Promise<void> {
    const [{ routes }, view] = await Promise.all([adminCall<{ routes: Record<string, RouteEntry[]> }>('/admin/v1/routes'), adminCall<{ channels: Array<{ name: string }> }>('/admin/v1/channels')]);
    this.channels = view.channels.map((c) => c.name);
    const select = byId('route-add-channel', HTMLSelectElement);
    setChildren(select, ...this.channels.map((c) => h('option', { value: c }, c)));
    this.models = Object.keys(routes);
    const keys = Object.keys(routes).sort((a, b) => (a === '*' ? 1 : b === '*' ? -1 : a.localeCompare(b)));
    setChildren(this.list, ...(keys.length > 0 ? keys.map((model) => new RouteEditor(model, routes[model] ?? [], () => this.channels, () => this.load()).element) : [h('p', { class: 'empty' }, 'No routes: no model has a channel.')]));
  }

  private async add(): Promise<void> {
    this.error.textContent = '';
    const data = new FormData(this.form);
    const model = String(data.get('model') ?? '').trim();
    const channel = String(data.get('channel') ?? '');
    if (this.models.includes(model)) {
      this.error.textContent = `“${model}” has a route already: change it below.`;
      return;
    }
    try {
      await adminCall(routePath(model), { method: 'PUT', body: { entries: [{ channel, priority: 0, weight: 1 }] } });
      this.form.reset();
      await this.load();
    } catch (error) {
      this.error.textContent = explain(error);
    }
  }
}
