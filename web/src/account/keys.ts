/**
 * The account's API keys: the list; create (the secret shown once, with a copy button); revoke
 * after a confirmation; edit a key's own limits, which may narrow the account's but never widen
 * them (the server says which field it refused, next to the form).
 */
import { byId, h, setChildren, showSecretOnce } from '../lib/dom.js';
import { markField } from '../lib/field-error.js';
import { dateTime, money } from '../lib/format.js';
import { accountCall, explain } from './client.js';
import { openDialog } from './dialog.js';
import { limitsOf } from '../lib/limits.js';
import type { OwnKey } from './types.js';

export interface KeysDeps {
  currency: () => string;
  /** The key this page is signed in with. */
  currentKeyId: () => string | null;
  /** The signed-in key has limits of its own: it manages only itself. */
  restricted: () => boolean;
  /** After a change that may move the budgets shown, or revoke the key in use. */
  changed: (revokedCurrent: boolean) => void;
}

function statusOf(key: OwnKey): 'active' | 'revoked' | 'expired' {
  if (key.revokedAt !== null) return 'revoked';
  if (key.expiresAt !== null && Date.parse(key.expiresAt) < Date.now()) return 'expired';
  return 'active';
}

function limitFields(key: OwnKey | null): HTMLElement[] {
  const period = key?.budget?.period ?? 'day';
  return [
    h('label', {}, 'Requests per minute ', h('input', { name: 'rateLimitPerMinute', type: 'number', min: 1, step: 1, placeholder: "account's", value: key?.rateLimitPerMinute ?? null })),
    h('label', {}, 'Tasks in flight ', h('input', { name: 'maxInFlight', type: 'number', min: 1, step: 1, placeholder: "account's", value: key?.maxInFlight ?? null })),
    h('label', {}, 'Budget ', h('input', { name: 'budgetAmount', inputmode: 'decimal', autocomplete: 'off', placeholder: 'none', value: key?.budget?.amount ?? null })),
    h(
      'label',
      {},
      'Budget period ',
      h('select', { name: 'budgetPeriod' }, h('option', { value: 'day', selected: period === 'day' }, 'day'), h('option', { value: 'month', selected: period === 'month' }, 'month')),
    ),
  ];
}

export class KeysSection {
  private readonly form = byId('key-create', HTMLFormElement);
  private readonly table = byId('keys-body', HTMLTableSectionElement);
  private readonly secret = byId('key-secret', HTMLDivElement);
  private readonly error = byId('key-create-error', HTMLParagraphElement);
  private readonly restrictedNote = byId('keys-restricted', HTMLParagraphElement);
  private names = new Map<string, string>();

  constructor(private readonly deps: KeysDeps) {
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.create();
    });
  }

  async load(): Promise<void> {
    // A restricted key manages only itself: no create form, no buttons on its siblings.
    const restricted = this.deps.restricted();
    this.form.hidden = restricted;
    this.restrictedNote.hidden = !restricted;
    const { data } = await accountCall<{ data: OwnKey[] }>('/v1/account/keys');
    this.names = new Map(data.map((key) => [key.id, key.name]));
    setChildren(this.table, ...(data.length > 0 ? data.map((key) => this.row(key)) : [h('tr', {}, h('td', { colspan: 5, class: 'empty-cell' }, 'No keys.'))]));
  }

  /** A key's name, once the list has loaded. */
  nameOf(keyId: string): string | null {
    return this.names.get(keyId) ?? null;
  }

  reset(): void {
    this.names = new Map();
    this.form.reset();
    this.error.textContent = '';
    this.secret.hidden = true;
    setChildren(this.secret);
  }

  private async create(): Promise<void> {
    this.error.textContent = '';
    const name = String(new FormData(this.form).get('name') ?? '').trim();
    const limits = limitsOf(new FormData(this.form));
    // Only what was filled in: an absent limit follows the account's.
    const body = {
      name,
      ...(limits.rateLimitPerMinute !== null ? { rateLimitPerMinute: limits.rateLimitPerMinute } : {}),
      ...(limits.maxInFlight !== null ? { maxInFlight: limits.maxInFlight } : {}),
      ...(limits.budget !== null ? { budget: limits.budget } : {}),
    };
    try {
      const created = await accountCall<OwnKey & { key: string }>('/v1/account/keys', { body });
      this.form.reset();
      markField(this.form, null);
      this.showSecret(created);
      await this.load();
    } catch (error) {
      this.error.textContent = explain(error);
      markField(this.form, error);
    }
  }

  private showSecret(created: OwnKey & { key: string }): void {
    showSecretOnce(this.secret, created, 'new-secret', () => this.reset());
  }


  private limitsText(key: OwnKey): string {
    const parts = [
      key.rateLimitPerMinute !== null ? `${key.rateLimitPerMinute}/min` : null,
      key.maxInFlight !== null ? `${key.maxInFlight} in flight` : null,
      key.budget !== null ? `${money(key.budget.amount, this.deps.currency())} per ${key.budget.period}` : null,
      key.models !== null ? key.models.join(', ') : null,
    ].filter((part): part is string => part !== null);
    return parts.length > 0 ? parts.join(' · ') : "the account's";
  }

  private row(key: OwnKey): HTMLTableRowElement {
    const status = statusOf(key);
    const current = key.id === this.deps.currentKeyId();
    const active = status === 'active' && (current || !this.deps.restricted());
    return h(
      'tr',
      { 'data-key': key.id },
      h('td', { 'data-label': 'Key' }, h('strong', { class: 'key-name' }, key.name), current ? h('span', { class: 'tag accent' }, 'signed in') : null, h('div', {}, h('code', { class: 'muted' }, `${key.prefix}…`))),
      h('td', { 'data-label': 'Limits' }, this.limitsText(key)),
      h('td', { 'data-label': 'Created' }, dateTime(Date.parse(key.createdAt)), key.expiresAt ? h('div', { class: 'muted' }, `expires ${dateTime(Date.parse(key.expiresAt))}`) : null),
      h('td', { 'data-label': 'Status' }, h('span', { class: 'status-chip', 'data-status': status }, status)),
      h(
        'td',
        {},
        active
          ? h(
              'div',
              { class: 'row wrap' },
              h('button', { type: 'button', class: 'small', onclick: () => this.edit(key) }, 'Edit limits'),
              h('button', { type: 'button', class: 'small ghost danger', onclick: () => this.revoke(key, current) }, 'Revoke'),
            )
          : null,
      ),
    );
  }

  private edit(key: OwnKey): void {
    openDialog({
      title: `Limits of “${key.name}”`,
      content: [h('div', { class: 'form-grid dialog-grid' }, ...limitFields(key)), h('p', { class: 'help' }, "Empty: the account's limit. A key may narrow the account's limits, never widen them.")],
      action: 'Save',
      submit: async (form) => {
        try {
          await accountCall(`/v1/account/keys/${encodeURIComponent(key.id)}`, { method: 'PATCH', body: limitsOf(new FormData(form)) });
        } catch (error) {
          markField(form, error);
          throw error;
        }
        await this.load();
        this.deps.changed(false);
      },
    });
  }

  private revoke(key: OwnKey, current: boolean): void {
    openDialog({
      title: `Revoke “${key.name}”?`,
      content: [
        h('p', {}, 'Requests with this key are refused from now on. This cannot be undone.'),
        current ? h('p', { class: 'warn-text' }, 'This page is signed in with this key: you will be signed out.') : null,
      ],
      action: 'Revoke',
      danger: true,
      submit: async () => {
        await accountCall(`/v1/account/keys/${encodeURIComponent(key.id)}`, { method: 'DELETE' });
        if (current) return this.deps.changed(true);
        await this.load();
        this.deps.changed(false);
      },
    });
  }
}
