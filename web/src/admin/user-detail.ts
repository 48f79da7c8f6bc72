/**
 * One user: balance, held amount, group and limits; credit (a metered user only), edit (group,
 * limits, budget, models), disable or enable; its keys, with a new key's secret shown once, their
 * limits edited, and revoke; its ledger, paged, newest first.
 */
import { h, setChildren, showSecretOnce } from '../lib/dom.js';
import { markField } from '../lib/field-error.js';
import { dateTime, money } from '../lib/format.js';
import { direction, signedMoney, type LedgerEntry, type LedgerPage } from '../lib/ledger.js';
import { renderPager } from '../lib/pager.js';
import { adminCall, explain, query } from './client.js';
import { openDialog } from './dialog.js';
import { confirmRevoke, statusOf } from './keys.js';
import { choice, field, limitFields, limitsOf, limitsText, modelsField, modelsOf } from './limits-form.js';
import type { PriceGroup, UserDetail, UserKey } from './types.js';

const LEDGER_LIMIT = 20;

export interface UserDetailDeps {
  currency: () => string;
  /** The catalog's model ids. */
  models: () => readonly string[];
  groups: () => readonly PriceGroup[];
  showMargins: (userId: string) => void;
  /** Back to the list. */
  close: () => void;
}

const userPath = (id: string, rest = '') => `/admin/v1/users/${encodeURIComponent(id)}${rest}`;

export class UserDetailView {
  private readonly head = h('div', { class: 'panel', id: 'user-head' });
  private readonly secret = h('div', { class: 'secret-box', role: 'status', hidden: true });
  private readonly keys = h('div', { class: 'panel', id: 'user-keys' });
  private readonly ledger = h('div', { class: 'panel', id: 'user-ledger' });
  private userId: string | null = null;
  private ledgerOffset = 0;

  constructor(private readonly root: HTMLElement, private readonly deps: UserDetailDeps) {
    setChildren(root, this.head, this.secret, this.keys, this.ledger);
  }

  get hidden(): boolean {
    return this.root.hidden;
  }

  async show(userId: string): Promise<void> {
    if (userId !== this.userId) {
      this.secret.hidden = true;
      this.ledgerOffset = 0;
    }
    this.userId = userId;
    await this.reload();
    this.root.hidden = false;
    this.head.querySelector('h2')?.focus();
  }

  async reload(): Promise<void> {
    if (this.userId === null) return;
    const [user, ledger] = await Promise.all([
      adminCall<UserDetail>(userPath(this.userId)),
      adminCall<LedgerPage>(userPath(this.userId, `/ledger${query({ limit: LEDGER_LIMIT, offset: this.ledgerOffset })}`)),
    ]);
    this.render(user);
    this.renderLedger(user, ledger);
  }

  /** Hidden, forgetting the user (the list is shown instead). */
  hide(): void {
    this.root.hidden = true;
    this.secret.hidden = true;
    this.userId = null;
  }

  private render(user: UserDetail): void {
    const currency = this.deps.currency();
    const group = this.deps.groups().find((g) => g.name === user.group);
    const disabled = user.disabledAt !== null;
    const error = h('p', { class: 'field-error', role: 'alert' });
    const act = (run: () => Promise<unknown>) => () => {
      error.textContent = '';
      run().then(
        () => this.reload(),
        (failure: unknown) => (error.textContent = explain(failure)),
      );
    };
    setChildren(
      this.head,
      h(
        'div',
        { class: 'section-head' },
        h('h2', { tabindex: -1 }, user.name, ' ', h('span', { class: 'status-chip', 'data-status': disabled ? 'disabled' : 'active' }, disabled ? 'disabled' : 'active')),
        h('button', { type: 'button', class: 'ghost small', onclick: () => this.close() }, 'All users'),
      ),
      h('p', { class: 'muted wrap-anywhere' }, h('code', {}, user.id), user.email ? ` · ${user.email}` : '', ` · created ${dateTime(Date.parse(user.createdAt))}`),
      h(
        'div',
        { class: 'stats', id: 'user-stats' },
        h('div', { class: 'stat' }, h('span', {}, 'Balance'), h('strong', { id: 'user-balance' }, user.balance === null ? 'unlimited' : money(user.balance, currency))),
        h('div', { class: 'stat' }, h('span', {}, 'Held for running tasks'), h('strong', {}, money(user.held, currency))),
        h('div', { class: 'stat' }, h('span', {}, 'Group'), h('strong', { id: 'user-group' }, group ? `${user.group} · ${group.multiplier}×` : user.group)),
        h('div', { class: 'stat' }, h('span', {}, 'Limits'), h('strong', { class: 'stat-text' }, limitsText(user, currency))),
      ),
      user.models ? h('p', { class: 'help' }, `Models: ${user.models.join(', ')}`) : null,
      h(
        'div',
        { class: 'row wrap user-actions' },
        // An unlimited user has no balance to credit.
        user.balance === null ? null : h('button', { type: 'button', class: 'small', onclick: () => this.credit(user) }, 'Credit'),
        h('button', { type: 'button', class: 'small', onclick: () => this.edit(user) }, 'Edit'),
        h('button', { type: 'button', class: 'small ghost', onclick: () => this.deps.showMargins(user.id) }, 'Margins'),
        disabled
          ? h('button', { type: 'button', class: 'small ghost', onclick: act(() => adminCall(userPath(user.id), { method: 'PATCH', body: { disabled: false } })) }, 'Enable')
          : h('button', { type: 'button', class: 'small ghost danger', onclick: () => this.disable(user) }, 'Disable'),
      ),
      error,
    );
    setChildren(
      this.keys,
      h('div', { class: 'section-head' }, h('h3', {}, 'Keys'), h('button', { type: 'button', class: 'primary small', onclick: () => this.createKey(user) }, 'New key')),
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { class: 'stack-on-phone' },
          h('thead', {}, h('tr', {}, ...['Key', 'Limits', 'Models', 'Created', 'Status', 'Actions'].map((t) => h('th', { scope: 'col' }, t)))),
          h('tbody', { id: 'user-keys-body' }, ...(user.keys.length > 0 ? user.keys.map((key) => this.keyRow(user, key)) : [h('tr', {}, h('td', { colspan: 6, class: 'empty-cell' }, 'No keys yet.'))])),
        ),
      ),
    );
  }

  private keyRow(user: UserDetail, key: UserKey): HTMLTableRowElement {
    const status = statusOf(key);
    return h(
      'tr',
      { 'data-key': key.id },
      h('td', { 'data-label': 'Key' }, h('strong', {}, key.name), h('br'), h('code', { class: 'muted' }, key.id), h('br'), h('code', { class: 'muted' }, `${key.prefix}…`)),
      h('td', { 'data-label': 'Limits' }, limitsText(key, this.deps.currency(), 'the user’s')),
      h('td', { 'data-label': 'Models' }, key.models ? key.models.join(', ') : 'the user’s'),
      h('td', { 'data-label': 'Created' }, dateTime(Date.parse(key.createdAt)), key.expiresAt ? h('div', { class: 'muted' }, `expires ${dateTime(Date.parse(key.expiresAt))}`) : null),
      h('td', { 'data-label': 'Status' }, h('span', { class: 'status-chip', 'data-status': status }, status)),
      h(
        'td',
        {},
        status === 'active'
          ? h(
              'div',
              { class: 'row wrap' },
              h('button', { type: 'button', class: 'small', 'aria-label': `Edit limits of ${key.name}`, onclick: () => this.editKey(user, key) }, 'Edit limits'),
              h('button', { type: 'button', class: 'small ghost danger', onclick: () => this.revoke(key) }, 'Revoke'),
            )
          : null,
      ),
    );
  }

  private renderLedger(user: UserDetail, page: LedgerPage): void {
    const go = (offset: number) => {
      this.ledgerOffset = offset;
      this.reload().catch((failure: unknown) => (pagerError.textContent = explain(failure)));
    };
    const pager = h('div', { class: 'pager', id: 'user-ledger-pager' });
    const pagerError = h('p', { class: 'field-error', role: 'alert' });
    renderPager(pager, { offset: this.ledgerOffset, shown: page.data.length, total: page.total, limit: LEDGER_LIMIT }, go, { noun: 'entries', back: 'Newer', forward: 'Older' });
    setChildren(
      this.ledger,
      h('div', { class: 'section-head' }, h('h3', {}, 'Ledger')),
      h('p', { class: 'help' }, 'Every movement of the balance, newest first: credits, redeemed codes, holds for tasks and their settlements.'),
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { class: 'stack-on-phone' },
          h('thead', {}, h('tr', {}, ...['Time', 'Kind', 'Amount', 'Note', 'Key', 'Task'].map((t) => h('th', { scope: 'col', class: t === 'Amount' ? 'num' : null }, t)))),
          h(
            'tbody',
            { id: 'user-ledger-body' },
            ...(page.data.length > 0 ? page.data.map((entry) => this.ledgerRow(user, entry, page.currency)) : [h('tr', {}, h('td', { colspan: 6, class: 'empty-cell' }, 'No entries yet.'))]),
          ),
        ),
      ),
      pager,
      pagerError,
    );
  }

  private ledgerRow(user: UserDetail, entry: LedgerEntry, currency: string): HTMLTableRowElement {
    const key = entry.keyId === null ? null : user.keys.find((k) => k.id === entry.keyId);
    return h(
      'tr',
      { 'data-kind': entry.kind },
      h('td', { 'data-label': 'Time' }, h('time', { datetime: entry.createdAt }, dateTime(Date.parse(entry.createdAt)))),
      h('td', { 'data-label': 'Kind' }, entry.kind),
      h('td', { class: 'num amount', 'data-label': 'Amount', 'data-direction': direction(entry.amount) }, signedMoney(entry.amount, currency)),
      h('td', { 'data-label': 'Note', class: 'wrap-anywhere' }, entry.note || '—'),
      h('td', { 'data-label': 'Key' }, entry.keyId === null ? '—' : key ? h('span', { title: entry.keyId }, key.name) : h('code', { class: 'muted' }, entry.keyId)),
      h('td', { 'data-label': 'Task' }, entry.taskId === null ? '—' : h('code', { class: 'muted', title: entry.taskId }, entry.taskId.slice(0, 8))),
    );
  }

  private close(): void {
    this.hide();
    this.deps.close();
  }

  private credit(user: UserDetail): void {
    openDialog({
      title: `Credit “${user.name}”`,
      content: [
        h('label', { for: 'credit-amount' }, `Amount (${this.deps.currency()})`),
        h('input', { id: 'credit-amount', name: 'amount', inputmode: 'decimal', placeholder: '10.00', required: true, autocomplete: 'off' }),
        h('p', { class: 'help' }, `Balance now: ${money(user.balance ?? '0', this.deps.currency())}.`),
      ],
      action: 'Credit',
      submit: async (form) => {
        const amount = String(new FormData(form).get('amount') ?? '').trim();
        await adminCall(userPath(user.id, '/credit'), { body: { amount } });
        await this.reload();
      },
    });
  }

  private edit(user: UserDetail): void {
    const groups = this.deps.groups();
    const options = groups.some((g) => g.name === user.group) ? groups.map((g) => [g.name, `${g.name} (${g.multiplier}×)`] as const) : [[user.group, user.group] as const];
    openDialog({
      title: `Edit “${user.name}”`,
      action: 'Save',
      content: [
        h(
          'div',
          { class: 'form-grid' },
          field('Name', h('input', { name: 'name', required: true, autocomplete: 'off', value: user.name })),
          field('Email', h('input', { name: 'email', type: 'email', autocomplete: 'off', value: user.email ?? '', placeholder: 'none' })),
          field('Group', choice('group', options, user.group)),
          ...limitFields(user, 'no limit', this.deps.currency()),
          modelsField(this.deps.models(), user.models, 'all'),
        ),
      ],
      submit: async (form) => {
        const data = new FormData(form);
        const text = (name: string) => String(data.get(name) ?? '').trim();
        const body = { name: text('name'), email: text('email') === '' ? null : text('email'), group: text('group'), ...limitsOf(data), models: modelsOf(data) };
        await adminCall(userPath(user.id), { method: 'PATCH', body });
        await this.reload();
      },
    });
  }

  private disable(user: UserDetail): void {
    openDialog({
      title: `Disable “${user.name}”?`,
      content: [h('p', {}, 'Every key of this user is refused until the user is enabled again. The balance and keys are kept.')],
      action: 'Disable',
      danger: true,
      submit: async () => {
        await adminCall(userPath(user.id), { method: 'PATCH', body: { disabled: true } });
        await this.reload();
      },
    });
  }

  private createKey(user: UserDetail): void {
    openDialog({
      title: `New key for “${user.name}”`,
      action: 'Create key',
      content: [
        h(
          'div',
          { class: 'form-grid' },
          field('Name', h('input', { name: 'name', id: 'user-key-name', required: true, autocomplete: 'off', placeholder: 'production' })),
          field('Expires', h('input', { name: 'expiresAt', type: 'datetime-local' })),
          ...limitFields(null, 'the user’s', this.deps.currency()),
          modelsField(user.models ?? this.deps.models(), null, 'the user’s'),
        ),
        h('p', { class: 'help' }, 'A key may narrow its user’s limits, never widen them.'),
      ],
      submit: async (form) => {
        const data = new FormData(form);
        const text = (name: string) => String(data.get(name) ?? '').trim();
        const limits = limitsOf(data);
        const models = modelsOf(data);
        const body = {
          name: text('name'),
          ...(limits.rateLimitPerMinute === null ? {} : { rateLimitPerMinute: limits.rateLimitPerMinute }),
          ...(limits.maxInFlight === null ? {} : { maxInFlight: limits.maxInFlight }),
          ...(limits.budget === null ? {} : { budget: limits.budget }),
          ...(models === null ? {} : { models }),
          ...(text('expiresAt') === '' ? {} : { expiresAt: new Date(text('expiresAt')).toISOString() }),
        };
        const created = await adminCall<UserKey & { key: string }>(userPath(user.id, '/keys'), { body });
        this.showSecret(created);
        await this.reload();
      },
    });
  }

  private showSecret(created: UserKey & { key: string }): void {
    showSecretOnce(this.secret, created, 'user-key-secret');
  }

  /** A key's name and limits; the server refuses a limit wider than the user's, naming the field. */
  private editKey(user: UserDetail, key: UserKey): void {
    openDialog({
      title: `Limits of “${key.name}”`,
      action: 'Save',
      content: [
        h(
          'div',
          { class: 'form-grid' },
          field('Name', h('input', { name: 'name', required: true, autocomplete: 'off', value: key.name })),
          ...limitFields(key, 'the user’s', this.deps.currency()),
          modelsField(user.models ?? this.deps.models(), key.models, 'the user’s'),
        ),
        h('p', { class: 'help' }, `Empty: the user’s limit (${limitsText(user, this.deps.currency())}). A key may narrow its user’s limits, never widen them.`),
      ],
      submit: async (form) => {
        const data = new FormData(form);
        const body = { name: String(data.get('name') ?? '').trim(), ...limitsOf(data), models: modelsOf(data) };
        try {
          await adminCall(`/admin/v1/keys/${encodeURIComponent(key.id)}`, { method: 'PATCH', body });
        } catch (failure) {
          markField(form, failure);
          throw failure;
        }
        await this.reload();
      },
    });
  }
  private revoke(key: UserKey): void {
    confirmRevoke(key, () => this.reload());
  }
}
