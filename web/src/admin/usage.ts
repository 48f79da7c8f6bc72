/** Usage: what was billed, by key and by model, with totals, over a time range. */
import { formatMoney, parseAmount } from '../../../src/domain/money.js';
import { byId, h, setChildren } from '../lib/dom.js';
import { dateTime } from '../lib/format.js';
import { adminCall, query } from './client.js';
import type { AdminKey, UsageAnswer, UsageRecord } from './types.js';

const PAGE = 1000;

interface Group {
  name: string;
  tasks: number;
  images: number;
  micros: number;
}

function group(records: readonly UsageRecord[], by: (record: UsageRecord) => string): Group[] {
  const groups = new Map<string, Group>();
  for (const record of records) {
    const name = by(record);
    const entry = groups.get(name) ?? { name, tasks: 0, images: 0, micros: 0 };
    entry.tasks += 1;
    entry.images += record.images;
    entry.micros += parseAmount(record.amount) ?? 0;
    groups.set(name, entry);
  }
  return [...groups.values()].sort((a, b) => b.micros - a.micros || b.images - a.images);
}

/** `2026-05-01` (a date input) → the start of that local day, as ISO. */
function dayStart(value: string, plusDays = 0): string | undefined {
  if (value === '') return undefined;
  const [y, m, d] = value.split('-').map(Number);
  return new Date(y ?? 1970, (m ?? 1) - 1, (d ?? 1) + plusDays).toISOString();
}

export class UsageSection {
  private readonly form = byId('usage-filter', HTMLFormElement);
  private readonly keySelect = byId('usage-key', HTMLSelectElement);
  private readonly modelSelect = byId('usage-model', HTMLSelectElement);
  private readonly out = byId('usage-out', HTMLDivElement);
  private keys: readonly AdminKey[] = [];

  constructor() {
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.load();
    });
  }

  setChoices(keys: readonly AdminKey[], models: readonly string[]): void {
    this.keys = keys;
    const keep = (select: HTMLSelectElement, options: HTMLOptionElement[]) => {
      const value = select.value;
      setChildren(select, ...options);
      if ([...select.options].some((option) => option.value === value)) select.value = value;
    };
    keep(this.keySelect, [h('option', { value: '' }, 'All keys'), ...keys.map((key) => h('option', { value: key.id }, `${key.name} (${key.id})`))]);
    if (models.length > 0) keep(this.modelSelect, [h('option', { value: '' }, 'All models'), ...models.map((model) => h('option', { value: model }, model))]);
  }

  filterByKey(keyId: string): void {
    this.keySelect.value = keyId;
  }

  async load(): Promise<void> {
    const data = new FormData(this.form);
    const text = (name: string) => String(data.get(name) ?? '');
    const answer = await adminCall<UsageAnswer>(
      `/admin/v1/usage${query({ keyId: text('keyId'), model: text('model'), from: dayStart(text('from')), to: dayStart(text('to'), 1), limit: PAGE })}`,
    );
    this.render(answer);
  }

  private render(answer: UsageAnswer): void {
    const { totals } = answer;
    const currency = totals.currency;
    const amount = (micros: number) => formatMoney(micros, currency);
    const nameOf = (keyId: string) => this.keys.find((key) => key.id === keyId)?.name ?? keyId;
    const table = (title: string, groups: Group[]) =>
      h(
        'section',
        { class: 'usage-table' },
        h('h3', {}, title),
        h(
          'div',
          { class: 'table-wrap' },
          h(
            'table',
            {},
            h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, title === 'By key' ? 'Key' : 'Model'), h('th', { class: 'num', scope: 'col' }, 'Tasks'), h('th', { class: 'num', scope: 'col' }, 'Images'), h('th', { class: 'num', scope: 'col' }, 'Amount'))),
            h('tbody', {}, ...groups.map((g) => h('tr', {}, h('td', {}, g.name), h('td', { class: 'num' }, g.tasks), h('td', { class: 'num' }, g.images), h('td', { class: 'num' }, amount(g.micros))))),
          ),
        ),
      );
    const partial = answer.total > answer.data.length;
    setChildren(
      this.out,
      h(
        'div',
        { class: 'stats' },
        h('div', { class: 'stat' }, h('span', {}, 'Billed tasks'), h('strong', {}, answer.total)),
        h('div', { class: 'stat' }, h('span', {}, 'Images'), h('strong', {}, totals.images)),
        h('div', { class: 'stat' }, h('span', {}, 'Amount'), h('strong', {}, amount(parseAmount(totals.amount) ?? 0))),
      ),
      answer.data.length === 0
        ? h('p', { class: 'empty' }, 'No usage in this range.')
        : h(
            'div',
            { class: 'usage-grid' },
            table('By key', group(answer.data, (r) => nameOf(r.keyId))),
            table('By model', group(answer.data, (r) => r.model)),
          ),
      partial ? h('p', { class: 'help' }, `The breakdowns cover the latest ${answer.data.length} of ${answer.total} tasks; the totals cover all.`) : null,
      answer.data.length > 0 ? this.records(answer.data.slice(0, 50), nameOf, currency) : null,
    );
  }

  private records(records: readonly UsageRecord[], nameOf: (keyId: string) => string, currency: string): HTMLElement {
    return h(
      'section',
      {},
      h('h3', {}, 'Latest charges'),
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          {},
          h('thead', {}, h('tr', {}, ...['Time', 'Key', 'Model', 'Charge', 'Task'].map((t) => h('th', { scope: 'col' }, t)))),
          h(
            'tbody',
            {},
            ...records.map((r) =>
              h(
                'tr',
                {},
                h('td', {}, dateTime(Date.parse(r.createdAt))),
                h('td', {}, nameOf(r.keyId)),
                h('td', {}, r.model),
                h('td', {}, r.content || `${r.images} × ${formatMoney(parseAmount(r.unitPrice) ?? 0, currency)}`),
                h('td', {}, h('code', {}, r.taskId)),
              ),
            ),
          ),
        ),
      ),
    );
  }
}
