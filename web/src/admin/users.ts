/** Users: a searchable, paged list by group; a new user; each opens its detail (keys, balance, limits). */
import { byId, h, setChildren } from '../lib/dom.js';
import { money } from '../lib/format.js';
import { renderPager } from '../lib/pager.js';
import { adminCall, explain, query } from './client.js';
import { openDialog } from './dialog.js';
import { choice, field, limitFields, limitsOf, limitsText, modelsField, modelsOf, modelsText } from './limits-form.js';
import { UserDetailView } from './user-detail.js';
import type { AdminUser, PriceGroup, UserPage } from './types.js';

const LIMIT = 25;

export interface UsersDeps {
  currency: () => string;
  /** The catalog's model ids, to choose a user's or key's models from. */
  models: () => readonly string[];
  /** Opens the margins grouped by user, filtered to this one. */
  showMargins: (userId: string) => void;
}

export const userStatus = (user: AdminUser): 'active' | 'disabled' => (user.disabledAt === null ? 'active' : 'disabled');

export class UsersSection {
  private readonly form = byId('users-filter', HTMLFormElement);
  private readonly groupSelect = byId('users-group', HTMLSelectElement);
  private readonly body = byId('users-body', HTMLTableSectionElement);
  private readonly pager = byId('users-pager', HTMLDivElement);
  private readonly listView = byId('users-list', HTMLDivElement);
  private readonly error = byId('users-error', HTMLParagraphElement);
  private readonly detail: UserDetailView;
  private groups: PriceGroup[] = [];
  private offset = 0;

  constructor(private readonly deps: UsersDeps) {
    this.detail = new UserDetailView(byId('user-detail', HTMLDivElement), {
      currency: deps.currency,
      models: deps.models,
      groups: () => this.groups,
      showMargins: deps.showMargins,
      close: () => this.closeDetail(),
    });
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.offset = 0;
      this.run(() => this.load());
    });
    this.groupSelect.addEventListener('change', () => this.form.requestSubmit());
    byId('user-add', HTMLButtonElement).addEventListener('click', () => this.create());
  }

  async load(): Promise<void> {
    const data = new FormData(this.form);
    const text = (name: string) => String(data.get(name) ?? '').trim();
    const [page, groups] = await Promise.all([
      adminCall<UserPage>(`/admin/v1/users${query({ search: text('search'), group: text('group'), limit: LIMIT, offset: this.offset })}`),
      adminCall<{ data: PriceGroup[] }>('/admin/v1/groups'),
    ]);
    this.setGroups(groups.data);
    setChildren(this.body, ...(page.data.length > 0 ? page.data.map((user) => this.row(user)) : [h('tr', {}, h('td', { colspan: 6, class: 'empty-cell' }, 'No users match.'))]));
    this.renderPager(page);
    if (!this.detail.hidden) await this.detail.reload();
  }

  private setGroups(groups: PriceGroup[]): void {
    this.groups = groups;
    const value = this.groupSelect.value;
    setChildren(this.groupSelect, h('option', { value: '' }, 'All groups'), ...groups.map((g) => h('option', { value: g.name }, g.name)));
    if (groups.some((g) => g.name === value)) this.groupSelect.value = value;
  }

  private renderPager(page: UserPage): void {
    const go = (offset: number) => {
      this.offset = offset;
      this.run(() => this.load());
    };
    renderPager(this.pager, { offset: this.offset, shown: page.data.length, total: page.total, limit: LIMIT }, go, { noun: 'users', back: 'Previous', forward: 'Next' });
  }

  /** Back to the list from a user's detail (the Users tab clicked again). */
  showList(): void {
    if (this.detail.hidden) return;
    this.detail.hide();
    this.listView.hidden = false;
  }

  private row(user: AdminUser): HTMLTableRowElement {
    const status = userStatus(user);
    const limits = limitsText(user, this.deps.currency(), '');
    return h(
      'tr',
      { 'data-user': user.id },
      // The name, email and id each on a line of their own (and apart when copied).
      h(
        'td',
        { 'data-label': 'User' },
        h('strong', {}, user.name),
        ' ',
        user.email ? h('div', { class: 'muted wrap-anywhere' }, user.email, ' ') : null,
        h('div', {}, h('code', { class: 'muted' }, user.id)),
      ),
      h('td', { 'data-label': 'Group' }, user.group),
      h('td', { class: 'num', 'data-label': 'Balance' }, user.balance === null ? 'unlimited' : money(user.balance, this.deps.currency())),
      h(
        'td',
        { 'data-label': 'Limits' },
        limits || (user.models ? null : 'none'),
        user.models ? h('div', { class: limits ? 'muted wrap-anywhere' : 'wrap-anywhere' }, limits ? ' ' : null, modelsText(user.models)) : null,
      ),
      h('td', { 'data-label': 'Status' }, h('span', { class: 'status-chip', 'data-status': status }, status)),
      h('td', {}, h('button', { type: 'button', class: 'small', 'aria-label': `Open ${user.name}`, onclick: () => this.run(() => this.open(user.id)) }, 'Open')),
    );
  }

  private async open(userId: string): Promise<void> {
    await this.detail.show(userId);
    this.listView.hidden = true;
  }

  private closeDetail(): void {
    this.listView.hidden = false;
    this.run(() => this.load());
  }

  /** Runs a page change; its failure is shown above the list. */
  private run(task: () => Promise<void>): void {
    this.error.textContent = '';
    task().catch((error: unknown) => (this.error.textContent = explain(error)));
  }

  private create(): void {
    const currency = this.deps.currency();
    const balance = h('input', { name: 'balance', inputmode: 'decimal', autocomplete: 'off', placeholder: '0.00' });
    const unlimited = h('input', { type: 'checkbox', name: 'unlimited' });
    unlimited.addEventListener('change', () => {
      balance.disabled = unlimited.checked;
      if (unlimited.checked) balance.value = '';
    });
    openDialog({
      title: 'New user',
      action: 'Create user',
      content: [
        h(
          'div',
          { class: 'form-grid' },
          field('Name', h('input', { name: 'name', id: 'user-name', required: true, autocomplete: 'off', placeholder: 'Shop A' })),
          field('Email', h('input', { name: 'email', type: 'email', autocomplete: 'off', placeholder: 'optional' })),
          field('Group', choice('group', this.groups.map((g) => [g.name, `${g.name} (${g.multiplier}×)`] as const), 'default')),
          field(`Opening balance (${currency})`, balance, 'Empty: 0.00, so the user tops up before spending.'),
          h('label', { class: 'check' }, unlimited, 'Unlimited (no balance)'),
          ...limitFields(null, 'no limit', currency),
          modelsField(this.deps.models(), null, 'all'),
        ),
      ],
      submit: async (form) => {
        const data = new FormData(form);
        const text = (name: string) => String(data.get(name) ?? '').trim();
        // Unlimited is balance null; no opening balance given, the server opens it at 0.00.
        const opening = unlimited.checked ? { balance: null } : text('balance') === '' ? {} : { balance: text('balance') };
        const body = {
          name: text('name'),
          email: text('email') === '' ? null : text('email'),
          group: text('group') || 'default',
          ...opening,
          ...limitsOf(data),
          models: modelsOf(data),
        };
        const created = await adminCall<AdminUser>('/admin/v1/users', { body });
        await this.open(created.id);
      },
    });
  }
}
