/** Margins: revenue, upstream cost and margin over a date range, grouped; as a table, a CSV file and charts by day. */
import { byId, h, setChildren } from '../lib/dom.js';
import { money } from '../lib/format.js';
import { adminCall, adminFile, query } from './client.js';
import { MarginChart } from './margin-chart.js';
import type { MarginLine, MarginsAnswer } from './types.js';

const DAY_MS = 86_400_000;
const COLUMN_TITLES: Readonly<Record<string, string>> = { day: 'Day', model: 'Model', channel: 'Channel', credential: 'Credential', key: 'Key', user: 'User' };
const FIELD: Readonly<Record<string, keyof MarginLine>> = { day: 'day', model: 'model', channel: 'channel', credential: 'credential', key: 'keyId', user: 'userId' };

/** A dimension's cell: a credential, key or user by its name, with the id beside it (a removed credential by its id alone). */
function cell(line: MarginLine, field: keyof MarginLine): string {
  const id = String(line[field] ?? '—');
  const name = field === 'credential' ? line.credentialName : field === 'keyId' ? line.keyName : field === 'userId' ? line.userName : undefined;
  return name ? `${name} (${id})` : id;
}

const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const percent = (value: number | null) => (value === null ? '—' : `${value.toFixed(1)}%`);

export class MarginsSection {
  private readonly form = byId('margins-filter', HTMLFormElement);
  private readonly out = byId('margins-out', HTMLDivElement);
  private readonly csv = byId('margins-csv', HTMLAnchorElement);
  private readonly chart = new MarginChart(byId('margins-chart-requests', HTMLDivElement), byId('margins-chart-amounts', HTMLDivElement));

  constructor() {
    const today = Date.now();
    byId('margins-from', HTMLInputElement).value = utcDay(today - 6 * DAY_MS);
    byId('margins-to', HTMLInputElement).value = utcDay(today);
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.load();
    });
  }

  /** Per-user figures of one user (from the Users section): grouped by user, filtered to this one. */
  filterByUser(userId: string): void {
    byId('margins-user', HTMLInputElement).value = userId;
    byId('margins-group-by', HTMLSelectElement).value = 'user';
  }

  async load(): Promise<void> {
    const data = new FormData(this.form);
    const text = (name: string) => String(data.get(name) ?? '').trim();
    const range = { from: text('from'), to: text('to'), model: text('model'), channel: text('channel'), userId: text('userId') };
    const [table, daily] = await Promise.all([
      adminCall<MarginsAnswer>(`/admin/v1/margins${query({ ...range, groupBy: text('groupBy') })}`),
      adminCall<MarginsAnswer>(`/admin/v1/margins${query({ ...range, groupBy: 'day,model', limit: 10_000 })}`),
    ]);
    this.render(table);
    this.chart.draw(daily.data, Date.parse(daily.from), Date.parse(daily.to), daily.currency);
    await this.prepareCsv(`/admin/v1/margins${query({ ...range, groupBy: text('groupBy'), format: 'csv' })}`);
  }

  private async prepareCsv(path: string): Promise<void> {
    if (this.csv.href.startsWith('blob:')) URL.revokeObjectURL(this.csv.href);
    const file = await adminFile(path);
    this.csv.href = file.url;
    this.csv.download = file.filename;
    this.csv.hidden = false;
  }

  private render(answer: MarginsAnswer): void {
    const { currency, totals } = answer;
    // A margin may be negative; money() reads amounts of 0 and more.
    const amount = (text: string) => (text.startsWith('-') ? `−${money(text.slice(1), currency)}` : money(text, currency));
    const dims = answer.groupBy.map((dimension) => ({ title: COLUMN_TITLES[dimension] ?? dimension, field: FIELD[dimension] ?? 'model' }));
    const negative = (text: string) => (text.startsWith('-') ? 'num error-text' : 'num');
    const figures = (line: Pick<MarginLine, 'tasks' | 'images' | 'revenue' | 'cost' | 'margin' | 'marginPercent'>) => [
      h('td', { class: 'num', 'data-label': 'Tasks' }, line.tasks),
      h('td', { class: 'num', 'data-label': 'Images' }, line.images),
      h('td', { class: 'num', 'data-label': 'Revenue' }, amount(line.revenue)),
      h('td', { class: 'num', 'data-label': 'Cost' }, amount(line.cost)),
      h('td', { class: negative(line.margin), 'data-label': 'Margin' }, amount(line.margin)),
      h('td', { class: 'num', 'data-label': 'Margin %' }, percent(line.marginPercent)),
    ];
    setChildren(
      this.out,
      h(
        'div',
        { class: 'stats' },
        h('div', { class: 'stat' }, h('span', {}, 'Revenue'), h('strong', {}, amount(totals.revenue))),
        h('div', { class: 'stat' }, h('span', {}, 'Upstream cost'), h('strong', {}, amount(totals.cost))),
        h('div', { class: 'stat' }, h('span', {}, 'Margin'), h('strong', {}, `${amount(totals.margin)} · ${percent(totals.marginPercent)}`)),
        h('div', { class: 'stat' }, h('span', {}, 'Tasks · images'), h('strong', {}, `${totals.tasks} · ${totals.images}`)),
      ),
      answer.data.length === 0
        ? h('p', { class: 'empty' }, 'No settled usage in this range.')
        : h(
            'div',
            { class: 'table-wrap' },
            h(
              'table',
              { class: 'stack-on-phone', id: 'margins-table' },
              h('thead', {}, h('tr', {}, ...dims.map((d) => h('th', { scope: 'col' }, d.title)), ...['Tasks', 'Images', 'Revenue', 'Cost', 'Margin', 'Margin %'].map((t) => h('th', { scope: 'col', class: 'num' }, t)))),
              h('tbody', {}, ...answer.data.map((line) => h('tr', {}, ...dims.map((d) => h('td', { 'data-label': d.title }, cell(line, d.field))), ...figures(line)))),
              h('tfoot', {}, h('tr', {}, h('th', { scope: 'row', colspan: Math.max(1, dims.length) }, 'Total'), ...figures(totals))),
            ),
          ),
      h('p', { class: 'help' }, `${answer.from.slice(0, 10)} to ${new Date(Date.parse(answer.to) - 1).toISOString().slice(0, 10)} (UTC days). Cost is what the upstream billed by each channel's cost table; usage from before costs were recorded counts 0.`),
    );
  }
}
