/**
 * Prices: what a key is charged per image, by model id, family or "*", and per channel (a
 * channel's own table wins over the general one for the images it makes). Edited in place, saved
 * whole (PUT /admin/v1/prices).
 */
import { DEFAULT_PRICES } from '../../../src/domain/prices.js';
import { byId, h, setChildren } from '../lib/dom.js';
import { adminCall, explain } from './client.js';
import type { PriceSettings } from './types.js';

interface PriceRow {
  model: string;
  amount: string;
}

/** One editable table of model → price. */
class PriceTable {
  readonly element = h('section', { class: 'price-table' });
  private rows: PriceRow[];

  constructor(
    private readonly title: string,
    table: Readonly<Record<string, string>>,
    private readonly currency: string,
    private readonly onRemove: (() => void) | null,
  ) {
    this.rows = Object.entries(table).map(([model, amount]) => ({ model, amount }));
    this.element.dataset.table = title;
    this.render();
  }

  /** Adds a row (an override of a built-in price) and focuses its amount. */
  add(model: string, amount: string): void {
    this.edit(() => this.rows.push({ model, amount }));
    this.element.querySelector<HTMLInputElement>('tbody tr:last-child input.amount')?.focus();
  }

  has(model: string): boolean {
    return this.rows.some((row) => row.model.trim() === model);
  }

  value(): Record<string, string> {
    return Object.fromEntries(this.rows.filter((row) => row.model.trim() !== '').map((row) => [row.model.trim(), row.amount.trim()]));
  }

  private render(): void {
    const input = (row: PriceRow, key: keyof PriceRow, label: string, attrs: Record<string, string>) => {
      const element = h('input', { value: row[key], 'aria-label': label, autocomplete: 'off', ...attrs });
      element.addEventListener('input', () => (row[key] = element.value));
      return element;
    };
    setChildren(
      this.element,
      h(
        'div',
        { class: 'section-head' },
        h('h3', {}, this.title),
        this.onRemove ? h('button', { type: 'button', class: 'small ghost danger', onclick: this.onRemove }, `Remove ${this.title}`) : null,
      ),
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          {},
          h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Model, family or *'), h('th', { scope: 'col' }, `Per image (${this.currency})`), h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')))),
          h(
            'tbody',
            {},
            ...this.rows.map((row, i) =>
              h(
                'tr',
                {},
                h('td', {}, input(row, 'model', `${this.title}: model of row ${i + 1}`, { placeholder: '*' })),
                h('td', {}, input(row, 'amount', `${this.title}: price of row ${i + 1}`, { inputmode: 'decimal', placeholder: '0.20', class: 'amount' })),
                h('td', {}, h('button', { type: 'button', class: 'small ghost', 'aria-label': `${this.title}: remove row ${i + 1}`, onclick: () => this.edit(() => this.rows.splice(i, 1)) }, '✕')),
              ),
            ),
          ),
        ),
      ),
      h('button', { type: 'button', class: 'small', onclick: () => this.edit(() => this.rows.push({ model: '', amount: '' })) }, `Add a row to ${this.title}`),
    );
  }

  private edit(change: () => void): void {
    change();
    this.render();
    this.changed();
  }

  /** Told after each change of the rows. */
  changed: () => void = () => undefined;
}

export class PricesSection {
  private readonly general = byId('prices-general', HTMLDivElement);
  private readonly builtIn = byId('prices-built-in', HTMLDivElement);
  private readonly engines = byId('prices-engines', HTMLDivElement);
  private readonly picker = byId('prices-engine-pick', HTMLSelectElement);
  private readonly status = byId('prices-status', HTMLParagraphElement);
  private perImage: PriceTable | null = null;
  private perEngine = new Map<string, PriceTable>();
  private currency = '';
  private channels: string[] = [];

  constructor() {
    byId('prices-save', HTMLButtonElement).addEventListener('click', () => void this.save());
    byId('prices-engine-add', HTMLButtonElement).addEventListener('click', () => {
      const name = this.picker.value;
      if (name !== '' && !this.perEngine.has(name)) this.addEngine(name, {});
      this.renderEngines();
    });
  }

  async load(): Promise<void> {
    const [prices, view] = await Promise.all([adminCall<PriceSettings & { currency: string }>('/admin/v1/prices'), adminCall<{ channels: Array<{ name: string }> }>('/admin/v1/channels')]);
    this.currency = prices.currency;
    this.channels = view.channels.map((c) => c.name);
    this.status.textContent = '';
    this.perImage = new PriceTable('Every channel', prices.perImage, this.currency, null);
    this.perImage.changed = () => this.renderBuiltIn();
    setChildren(this.general, this.perImage.element);
    this.renderBuiltIn();
    this.perEngine = new Map();
    for (const [name, table] of Object.entries(prices.perEngine)) this.addEngine(name, table);
    this.renderEngines();
  }

  /** The built-in prices the table does not override, each with a button that overrides it. */
  private renderBuiltIn(): void {
    const table = this.perImage;
    if (!table) return;
    const left = Object.entries(DEFAULT_PRICES).filter(([model]) => !table.has(model));
    setChildren(
      this.builtIn,
      left.length > 0 ? h('h3', {}, 'Built-in prices') : null,
      left.length > 0 ? h('p', { class: 'help' }, 'A model the table above does not name (by id or family) is charged these; "*" above does not replace them. The built-in engine is free unless its channel has prices.') : null,
      h(
        'ul',
        { class: 'built-in-prices' },
        ...left.map(([model, amount]) =>
          h('li', {}, h('code', {}, model), ` ${amount} `, h('button', { type: 'button', class: 'small ghost', 'aria-label': `Override the built-in price of ${model}`, onclick: () => table.add(model, amount) }, 'Override')),
        ),
      ),
    );
  }

  private addEngine(name: string, table: Readonly<Record<string, string>>): void {
    this.perEngine.set(
      name,
      new PriceTable(`Channel ${name}`, table, this.currency, () => {
        this.perEngine.delete(name);
        this.renderEngines();
      }),
    );
  }

  private renderEngines(): void {
    setChildren(this.engines, ...[...this.perEngine.values()].map((table) => table.element));
    const free = this.channels.filter((name) => !this.perEngine.has(name));
    setChildren(this.picker, ...free.map((name) => h('option', { value: name }, name)));
    this.picker.disabled = free.length === 0;
  }

  private async save(): Promise<void> {
    if (!this.perImage) return;
    const body: PriceSettings = { perImage: this.perImage.value(), perEngine: Object.fromEntries([...this.perEngine].map(([name, table]) => [name, table.value()])) };
    this.status.classList.remove('error-text');
    try {
      await adminCall('/admin/v1/prices', { method: 'PUT', body });
      this.status.textContent = 'Saved: new tasks are charged at these prices.';
    } catch (error) {
      this.status.textContent = explain(error);
      this.status.classList.add('error-text');
    }
  }
}
