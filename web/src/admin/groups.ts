/** Price groups: a multiplier over the list prices, overrides by model id or family, and their users. */
import { byId, h, setChildren } from '../lib/dom.js';
import { adminCall } from './client.js';
import { openDialog } from './dialog.js';
import { field } from './limits-form.js';
import type { PriceGroup } from './types.js';

const groupPath = (name: string) => `/admin/v1/groups/${encodeURIComponent(name)}`;

export class GroupsSection {
  private readonly body = byId('groups-body', HTMLTableSectionElement);
  private models: readonly string[] = [];

  constructor() {
    byId('group-add', HTMLButtonElement).addEventListener('click', () => this.edit(null));
  }

  /** Model ids (families among them) offered for overrides. */
  setModels(models: readonly string[]): void {
    this.models = models;
  }

  async load(): Promise<void> {
    const { data } = await adminCall<{ data: PriceGroup[] }>('/admin/v1/groups');
    setChildren(this.body, ...data.map((group) => this.row(group)));
  }

  private row(group: PriceGroup): HTMLTableRowElement {
    const overrides = Object.entries(group.overrides);
    return h(
      'tr',
      { 'data-group': group.name },
      h('td', { 'data-label': 'Group' }, h('strong', {}, group.name), group.description ? h('div', { class: 'muted' }, group.description) : null),
      h('td', { class: 'num', 'data-label': 'Multiplier' }, `${group.multiplier}×`),
      h('td', { 'data-label': 'Overrides' }, overrides.length > 0 ? h('ul', { class: 'plain-list' }, ...overrides.map(([model, value]) => h('li', {}, h('code', {}, model), ` ${value}×`))) : 'none'),
      h('td', { class: 'num', 'data-label': 'Users' }, group.users ?? 0),
      h(
        'td',
        {},
        h(
          'div',
          { class: 'row wrap' },
          h('button', { type: 'button', class: 'small', 'aria-label': `Edit group ${group.name}`, onclick: () => this.edit(group) }, 'Edit'),
          group.name === 'default' ? null : h('button', { type: 'button', class: 'small ghost danger', 'aria-label': `Delete group ${group.name}`, onclick: () => this.remove(group) }, 'Delete'),
        ),
      ),
    );
  }

  private overrideRow(model: string, multiplier: string): HTMLElement {
    const row: HTMLElement = h(
      'div',
      { class: 'override-row' },
      h('input', { name: 'overrideModel', 'aria-label': 'Model or family', list: 'group-models', autocomplete: 'off', value: model, placeholder: 'qwen-image-edit-plus' }),
      h('input', { name: 'overrideMultiplier', 'aria-label': 'Its multiplier', inputmode: 'decimal', autocomplete: 'off', value: multiplier, placeholder: '0.5' }),
      h('button', { type: 'button', class: 'small ghost', 'aria-label': 'Remove this override', onclick: () => row.remove() }, 'Remove'),
    );
    return row;
  }

  /** Create a group (`group` null) or replace one. */
  private edit(group: PriceGroup | null): void {
    const rows = h('div', { class: 'override-rows' }, ...Object.entries(group?.overrides ?? {}).map(([model, value]) => this.overrideRow(model, value)));
    openDialog({
      title: group ? `Edit group “${group.name}”` : 'New group',
      action: group ? 'Save' : 'Create group',
      content: [
        h(
          'div',
          { class: 'form-grid' },
          field('Name', h('input', { name: 'name', id: 'group-name', required: true, autocomplete: 'off', pattern: '[A-Za-z0-9][A-Za-z0-9_.\\-]{0,63}', value: group?.name ?? '', readonly: group !== null, placeholder: 'resellers' })),
          field('Multiplier of list prices', h('input', { name: 'multiplier', required: true, inputmode: 'decimal', autocomplete: 'off', value: group?.multiplier ?? '1', placeholder: '0.8' })),
          field('Description', h('input', { name: 'description', autocomplete: 'off', value: group?.description ?? '', placeholder: 'optional' })),
        ),
        h('h3', { class: 'dialog-sub' }, 'Overrides'),
        h('p', { class: 'help' }, 'A model id or family with a multiplier of its own, used instead of the group’s.'),
        rows,
        h('datalist', { id: 'group-models' }, ...this.models.map((model) => h('option', { value: model }))),
        h('div', {}, h('button', { type: 'button', class: 'small', onclick: () => rows.append(this.overrideRow('', '')) }, 'Add override')),
      ],
      submit: async (form) => {
        const data = new FormData(form);
        const text = (name: string) => String(data.get(name) ?? '').trim();
        const models = data.getAll('overrideModel').map((v) => String(v).trim());
        const values = data.getAll('overrideMultiplier').map((v) => String(v).trim());
        const overrides: Record<string, string> = {};
        for (const [i, model] of models.entries()) {
          const value = values[i] ?? '';
          if (model === '' && value === '') continue;
          if (model === '' || value === '') throw new Error(`Override ${i + 1}: give both the model or family and its multiplier.`);
          overrides[model] = value;
        }
        await adminCall(groupPath(text('name')), { method: 'PUT', body: { description: text('description'), multiplier: text('multiplier'), overrides } });
        await this.load();
      },
    });
  }

  private remove(group: PriceGroup): void {
    openDialog({
      title: `Delete group “${group.name}”?`,
      content: [h('p', {}, 'Only a group without users can be deleted: move its users to another group first.')],
      action: 'Delete',
      danger: true,
      submit: async () => {
        await adminCall(groupPath(group.name), { method: 'DELETE' });
        await this.load();
      },
    });
  }
}
