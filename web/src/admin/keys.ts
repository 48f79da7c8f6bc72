/** Keys: create (the secret shown once), credit, revoke; each row links to its usage and tasks. */
import { byId, h, setChildren, showSecretOnce } from '../lib/dom.js';
import { dateTime, money } from '../lib/format.js';
import { adminCall, explain } from './client.js';
import { openDialog } from './dialog.js';
import { modelChecks } from './limits-form.js';
import type { AdminKey } from './types.js';

export interface KeysDeps {
  currency: () => string;
  /** Opens another section filtered by this key. */
  show: (section: 'usage' | 'tasks', keyId: string) => void;
  changed: (keys: readonly AdminKey[]) => void;
}

/** A key's state; a user's keys (Users) read the same. */
export function statusOf(key: Pick<AdminKey, 'revokedAt' | 'expiresAt'>): 'active' | 'revoked' | 'expired' {
  if (key.revokedAt !== null) return 'revoked';
  if (key.expiresAt !== null && Date.parse(key.expiresAt) < Date.now()) return 'expired';
  return 'active';
}

const optionalNumber = (value: string) => (value.trim() === '' ? undefined : Number(value));

export class KeysSection {
  private readonly form = byId('key-create', HTMLFormElement);
  private readonly table = byId('keys-body', HTMLTableSectionElement);
  private readonly secret = byId('key-secret', HTMLDivElement);
  private readonly error = byId('key-create-error', HTMLParagraphElement);
  private keys: AdminKey[] = [];

  constructor(private readonly deps: KeysDeps) {
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.create();
    });
  }

  /** Fills the model choices once the catalog is known. */
  setModels(models: readonly string[]): void {
    setChildren(
      byId('key-models', HTMLDivElement),
      ...modelChecks(models, null),
    );
  }

  async load(): Promise<void> {
    const { data } = await adminCall<{ data: AdminKey[] }>('/admin/v1/keys');
    this.keys = data;
    this.deps.changed(data);
    setChildren(this.table, ...(data.length > 0 ? data.map((key) => this.row(key)) : [h('tr', {}, h('td', { colspan: 7, class: 'empty-cell' }, 'No keys yet.'))]));
  }

  private async create(): Promise<void> {
    this.error.textContent = '';
    const data = new FormData(this.form);
    const text = (name: string) => String(data.get(name) ?? '').trim();
    const models = data.getAll('models').map(String);
    const expires = text('expiresAt');
    const body = {
      name: text('name'),
      balance: text('balance') === '' ? null : text('balance'),
      rateLimitPerMinute: optionalNumber(text('rateLimitPerMinute')),
      maxInFlight: optionalNumber(text('maxInFlight')),
      models: models.length > 0 ? models : null,
      expiresAt: expires === '' ? null : new Date(expires).toISOString(),
    };
    try {
      const created = await adminCall<AdminKey & { key: string }>('/admin/v1/keys', { body });
      this.form.reset();
      this.showSecret(created);
      await this.load();
    } catch (error) {
      this.error.textContent = explain(error);
      const field = error instanceof Error && 'field' in error && typeof error.field === 'string' ? error.field : null;
      if (field) this.form.querySelector<HTMLElement>(`[name="${field}"]`)?.focus();
    }
  }

  private showSecret(created: AdminKey & { key: string }): void {
    showSecretOnce(this.secret, created, 'new-secret');
  }


  private row(key: AdminKey): HTMLTableRowElement {
    const status = statusOf(key);
    const currency = this.deps.currency();
    const limits = [key.rateLimitPerMinute !== null ? `${key.rateLimitPerMinute}/min` : null, key.maxInFlight !== null ? `${key.maxInFlight} in flight` : null].filter(Boolean).join(', ');
    const active = status === 'active';
    return h(
      'tr',
      {},
      h('td', { 'data-label': 'Key' }, h('strong', {}, key.name), h('br'), h('code', { class: 'muted' }, key.id), h('br'), h('code', { class: 'muted' }, `${key.prefix}…`)),
      h('td', { class: 'num', 'data-label': 'Balance' }, key.balance === null ? 'unlimited' : money(key.balance, currency)),
      h('td', { 'data-label': 'Limits' }, limits || 'none'),
      h('td', { 'data-label': 'Models' }, key.models ? key.models.join(', ') : 'all'),
      h('td', { 'data-label': 'Created' }, dateTime(Date.parse(key.createdAt)), key.expiresAt ? h('div', { class: 'muted' }, `expires ${dateTime(Date.parse(key.expiresAt))}`) : null),
      h('td', { 'data-label': 'Status' }, h('span', { class: 'status-chip', 'data-status': status }, status)),
      h(
        'td',
        {},
        h(
          'div',
          { class: 'row wrap' },
          // An unlimited key's user has no balance to credit (the server refuses it).
          active && key.balance !== null ? h('button', { type: 'button', class: 'small', onclick: () => this.credit(key) }, 'Credit') : null,
          h('button', { type: 'button', class: 'small ghost', onclick: () => this.deps.show('usage', key.id) }, 'Usage'),
          h('button', { type: 'button', class: 'small ghost', onclick: () => this.deps.show('tasks', key.id) }, 'Tasks'),
          active ? h('button', { type: 'button', class: 'small ghost danger', onclick: () => this.revoke(key) }, 'Revoke') : null,
        ),
      ),
    );
  }

  private credit(key: AdminKey): void {
    openDialog({
      title: `Credit “${key.name}”`,
      content: [
        h('label', { for: 'credit-amount' }, `Amount (${this.deps.currency()})`),
        h('input', { id: 'credit-amount', name: 'amount', inputmode: 'decimal', placeholder: '10.00', required: true, autocomplete: 'off' }),
        h('p', { class: 'help' }, `Balance now: ${money(key.balance ?? '0', this.deps.currency())}.`),
      ],
      action: 'Credit',
      submit: async (form) => {
        const amount = String(new FormData(form).get('amount') ?? '').trim();
        await adminCall(`/admin/v1/keys/${encodeURIComponent(key.id)}/credit`, { body: { amount } });
        await this.load();
      },
    });
  }

  private revoke(key: AdminKey): void {
    confirmRevoke(key, () => this.load());
  }

  get list(): readonly AdminKey[] {
    return this.keys;
  }
}

/** Asks before revoking a key (the Keys tab's or a user's), then reloads what shows it. */
export function confirmRevoke(key: { id: string; name: string }, reload: () => Promise<void>): void {
  openDialog({
    title: `Revoke “${key.name}”?`,
    content: [h('p', {}, 'Requests with this key are refused from now on (within 5 s on every server). This cannot be undone.')],
    action: 'Revoke',
    danger: true,
    submit: async () => {
      await adminCall(`/admin/v1/keys/${encodeURIComponent(key.id)}`, { method: 'DELETE' });
      await reload();
    },
  });
}
