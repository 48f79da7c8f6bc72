/**
 * Top-up codes: batches with how many were redeemed; a new batch shows its codes once (copy, or a
 * CSV built here from the answer); a batch's detail lists each code's prefix and who redeemed it,
 * with the server's CSV of it; revoke a batch.
 */
import { byId, copyText, h, setChildren } from '../lib/dom.js';
import { dateTime, money } from '../lib/format.js';
import { renderPager } from '../lib/pager.js';
import { adminCall, adminFile, explain, query } from './client.js';
import { openDialog } from './dialog.js';
import { field } from './limits-form.js';
import type { AdminUser, BatchDetail, CodeBatch, NewCodeBatch } from './types.js';

const LIMIT = 50;
/** Redeemers looked up by name at most; past this the detail shows their ids. */
const NAMED_REDEEMERS = 50;

const batchPath = (id: string) => `/admin/v1/codes/${encodeURIComponent(id)}`;

function batchStatus(batch: CodeBatch): 'active' | 'revoked' | 'expired' | 'used up' {
  if (batch.revokedAt !== null) return 'revoked';
  if (batch.expiresAt !== null && Date.parse(batch.expiresAt) < Date.now()) return 'expired';
  return batch.redeemed >= batch.count ? 'used up' : 'active';
}

const csvCell = (text: string) => (/[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text);

/** The codes as the server's `Accept: text/csv` answer has them: code,amount,batchId,expiresAt. */
export function codesCsv(batch: NewCodeBatch): string {
  const rows = [['code', 'amount', 'batchId', 'expiresAt'], ...batch.codes.map((code) => [code, batch.amount, batch.id, batch.expiresAt ?? ''])];
  return rows.map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

export class CodesSection {
  private readonly body = byId('codes-body', HTMLTableSectionElement);
  private readonly pager = byId('codes-pager', HTMLDivElement);
  private readonly created = byId('codes-created', HTMLDivElement);
  private readonly detail = byId('code-batch', HTMLDivElement);
  private offset = 0;
  private openId: string | null = null;
  /** Blob URLs of CSV files on the page, let go when replaced. */
  private createdCsv: string | null = null;
  private detailCsv: string | null = null;

  constructor(private readonly currency: () => string) {
    byId('codes-add', HTMLButtonElement).addEventListener('click', () => this.create());
  }

  async load(): Promise<void> {
    const page = await adminCall<{ data: CodeBatch[]; total: number }>(`/admin/v1/codes${query({ limit: LIMIT, offset: this.offset })}`);
    setChildren(this.body, ...(page.data.length > 0 ? page.data.map((batch) => this.row(batch)) : [h('tr', {}, h('td', { colspan: 6, class: 'empty-cell' }, 'No batches yet.'))]));
    const go = (offset: number) => {
      this.offset = offset;
      this.load().catch((error: unknown) => this.showError(error));
    };
    renderPager(this.pager, { offset: this.offset, shown: page.data.length, total: page.total, limit: LIMIT }, go, { noun: 'batches', back: 'Newer', forward: 'Older' });
    if (this.openId !== null) await this.open(this.openId);
  }

  private row(batch: CodeBatch): HTMLTableRowElement {
    const status = batchStatus(batch);
    return h(
      'tr',
      { 'data-batch': batch.id },
      h('td', { 'data-label': 'Batch' }, h('strong', {}, batch.name), h('br'), h('code', { class: 'muted' }, batch.id)),
      h('td', { class: 'num', 'data-label': 'Amount' }, money(batch.amount, this.currency())),
      h('td', { class: 'num', 'data-label': 'Redeemed' }, `${batch.redeemed} of ${batch.count}`),
      h('td', { 'data-label': 'Expires' }, batch.expiresAt ? dateTime(Date.parse(batch.expiresAt)) : 'never', h('div', { class: 'muted' }, `created ${dateTime(Date.parse(batch.createdAt))}`)),
      h('td', { 'data-label': 'Status' }, h('span', { class: 'status-chip', 'data-status': status }, status)),
      h(
        'td',
        {},
        h(
          'div',
          { class: 'row wrap' },
          h('button', { type: 'button', class: 'small', 'aria-label': `Open batch ${batch.name}`, onclick: () => this.openFromList(batch.id) }, 'Open'),
          batch.revokedAt === null ? h('button', { type: 'button', class: 'small ghost danger', 'aria-label': `Revoke batch ${batch.name}`, onclick: () => this.revoke(batch) }, 'Revoke') : null,
        ),
      ),
    );
  }

  /** Opens a batch's detail (above the list) and moves the focus to it. */
  private openFromList(id: string): void {
    this.open(id).then(
      () => this.detail.querySelector('h2')?.focus(),
      (error: unknown) => this.showError(error),
    );
  }

  private showError(error: unknown): void {
    this.detail.hidden = false;
    setChildren(this.detail, h('p', { class: 'field-error', role: 'alert' }, explain(error)));
  }

  private create(): void {
    openDialog({
      title: 'New batch of codes',
      action: 'Create codes',
      content: [
        h(
          'div',
          { class: 'form-grid' },
          field('Name', h('input', { name: 'name', id: 'batch-name', required: true, autocomplete: 'off', placeholder: 'spring promotion' })),
          field(`Amount per code (${this.currency()})`, h('input', { name: 'amount', required: true, inputmode: 'decimal', autocomplete: 'off', placeholder: '50.00' })),
          field('Codes', h('input', { name: 'count', type: 'number', required: true, min: 1, max: 10_000, step: 1, value: 10 })),
          field('Expires', h('input', { name: 'expiresAt', type: 'datetime-local' }), 'Empty: never.'),
        ),
        h('p', { class: 'help' }, 'The codes are shown once, when the batch is made: copy them or download the CSV then.'),
      ],
      submit: async (form) => {
        const data = new FormData(form);
        const text = (name: string) => String(data.get(name) ?? '').trim();
        const body = {
          name: text('name'),
          amount: text('amount'),
          count: Number(text('count')),
          ...(text('expiresAt') === '' ? {} : { expiresAt: new Date(text('expiresAt')).toISOString() }),
        };
        const batch = await adminCall<NewCodeBatch>('/admin/v1/codes', { body });
        this.showCodes(batch);
        await this.load();
      },
    });
  }

  private showCodes(batch: NewCodeBatch): void {
    if (this.createdCsv !== null) URL.revokeObjectURL(this.createdCsv);
    this.createdCsv = URL.createObjectURL(new Blob([codesCsv(batch)], { type: 'text/csv' }));
    const copy = h('button', { type: 'button', class: 'primary small' }, 'Copy codes');
    copy.addEventListener('click', () => void copyText(batch.codes.join('\n'), copy));
    const done = () => {
      this.created.hidden = true;
      setChildren(this.created);
      if (this.createdCsv !== null) URL.revokeObjectURL(this.createdCsv);
      this.createdCsv = null;
    };
    this.created.hidden = false;
    setChildren(
      this.created,
      h('p', {}, h('strong', {}, `Batch “${batch.name}”: ${batch.codes.length} codes of ${money(batch.amount, batch.currency)}.`), ' Copy or download them now: they are shown only this once.'),
      h('pre', { id: 'new-codes', class: 'code-list secret' }, batch.codes.join('\n')),
      h(
        'div',
        { class: 'row wrap' },
        copy,
        h('a', { id: 'new-codes-csv', class: 'button ghost small', href: this.createdCsv, download: `codes-${batch.id}.csv` }, 'Download CSV'),
        h('button', { type: 'button', class: 'ghost small', onclick: done }, 'Done'),
      ),
    );
    copy.focus();
  }

  private async open(id: string): Promise<void> {
    const batch = await adminCall<BatchDetail>(batchPath(id));
    const names = await this.redeemerNames(batch);
    this.openId = id;
    const status = batchStatus(batch);
    const csv = h('a', { id: 'batch-csv', class: 'button ghost small', hidden: true }, 'Download CSV');
    const redeemed = batch.codes.filter((code) => code.redeemedAt !== null);
    this.detail.hidden = false;
    setChildren(
      this.detail,
      h(
        'div',
        { class: 'section-head' },
        h('h2', { tabindex: -1 }, `Batch “${batch.name}” `, h('span', { class: 'status-chip', 'data-status': status }, status)),
        h('div', { class: 'row wrap' }, csv, h('button', { type: 'button', class: 'ghost small', onclick: () => this.closeDetail() }, 'Close')),
      ),
      h(
        'div',
        { class: 'stats' },
        h('div', { class: 'stat' }, h('span', {}, 'Each code'), h('strong', {}, money(batch.amount, this.currency()))),
        h('div', { class: 'stat' }, h('span', {}, 'Redeemed'), h('strong', { id: 'batch-redeemed' }, `${batch.redeemed} of ${batch.count}`)),
        h('div', { class: 'stat' }, h('span', {}, 'Expires'), h('strong', { class: 'stat-text' }, batch.expiresAt ? dateTime(Date.parse(batch.expiresAt)) : 'never')),
      ),
      h('p', { class: 'help' }, `${redeemed.length} redeemed; codes are listed by their first characters only.`),
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { class: 'stack-on-phone' },
          h('thead', {}, h('tr', {}, ...['Code', 'Redeemed', 'By user', 'With key'].map((t) => h('th', { scope: 'col' }, t)))),
          h(
            'tbody',
            { id: 'batch-codes' },
            ...batch.codes.map((code) =>
              h(
                'tr',
                { 'data-redeemed': String(code.redeemedAt !== null) },
                h('td', { 'data-label': 'Code' }, h('code', {}, `${code.prefix}…`)),
                h('td', { 'data-label': 'Redeemed' }, code.redeemedAt ? dateTime(Date.parse(code.redeemedAt)) : '—'),
                h('td', { 'data-label': 'By user' }, code.userId ? (names.get(code.userId) ?? '') : '—', code.userId ? h('div', {}, h('code', { class: 'muted' }, code.userId)) : null),
                h('td', { 'data-label': 'With key' }, code.keyId ? h('code', {}, code.keyId) : '—'),
              ),
            ),
          ),
        ),
      ),
    );
    if (this.detailCsv !== null) URL.revokeObjectURL(this.detailCsv);
    this.detailCsv = null;
    const file = await adminFile(`${batchPath(id)}?format=csv`);
    this.detailCsv = file.url;
    csv.href = file.url;
    csv.download = file.filename;
    csv.hidden = false;
  }

  /** The names of the users who redeemed the batch's codes (the first few). */
  private async redeemerNames(batch: BatchDetail): Promise<Map<string, string>> {
    const ids = [...new Set(batch.codes.map((code) => code.userId).filter((id): id is string => id !== null))].slice(0, NAMED_REDEEMERS);
    const users = await Promise.all(ids.map((id) => adminCall<AdminUser>(`/admin/v1/users/${encodeURIComponent(id)}`).catch(() => null)));
    return new Map(users.filter((user): user is AdminUser => user !== null).map((user) => [user.id, user.name]));
  }

  private closeDetail(): void {
    this.openId = null;
    this.detail.hidden = true;
    setChildren(this.detail);
    if (this.detailCsv !== null) URL.revokeObjectURL(this.detailCsv);
    this.detailCsv = null;
  }

  private revoke(batch: CodeBatch): void {
    openDialog({
      title: `Revoke batch “${batch.name}”?`,
      content: [h('p', {}, `Its ${batch.count - batch.redeemed} unredeemed codes stop working; redeemed ones keep their credit. This cannot be undone.`)],
      action: 'Revoke',
      danger: true,
      submit: async () => {
        await adminCall(batchPath(batch.id), { method: 'DELETE' });
        await this.load();
      },
    });
  }
}
