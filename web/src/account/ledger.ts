/** The account's ledger, newest first and paged: each top-up, code, hold and settlement, in words. */
import { byId, h, setChildren } from '../lib/dom.js';
import { dateTime } from '../lib/format.js';
import { direction, kindWords, signedMoney, type LedgerEntry, type LedgerPage } from '../lib/ledger.js';
import { renderPager } from '../lib/pager.js';
import { accountCall } from './client.js';

const LIMIT = 20;

export class LedgerSection {
  private readonly body = byId('ledger-body', HTMLTableSectionElement);
  private readonly pager = byId('ledger-pager', HTMLDivElement);
  private offset = 0;

  /** `failed` shows a page change's failure where the page shows errors. */
  constructor(private readonly failed: (error: unknown) => void) {}

  /** The newest page (after sign-in, a refresh or a redeemed code). */
  async load(): Promise<void> {
    this.offset = 0;
    await this.page();
  }

  private async page(): Promise<void> {
    const answer = await accountCall<LedgerPage>(`/v1/account/ledger?limit=${LIMIT}&offset=${this.offset}`);
    setChildren(
      this.body,
      ...(answer.data.length > 0 ? answer.data.map((entry) => this.row(entry, answer.currency)) : [h('tr', {}, h('td', { colspan: 4, class: 'empty-cell' }, 'Nothing yet.'))]),
    );
    const go = (offset: number) => {
      this.offset = offset;
      this.page().catch(this.failed);
    };
    renderPager(this.pager, { offset: this.offset, shown: answer.data.length, total: answer.total, limit: LIMIT }, go, { noun: 'entries', back: 'Newer', forward: 'Older' });
  }

  private row(entry: LedgerEntry, currency: string): HTMLTableRowElement {
    return h(
      'tr',
      { 'data-kind': entry.kind },
      h('td', { 'data-label': 'Time' }, h('time', { datetime: entry.createdAt }, dateTime(Date.parse(entry.createdAt)))),
      h('td', { 'data-label': 'Kind' }, kindWords(entry.kind)),
      h('td', { class: 'num amount', 'data-label': 'Amount', 'data-direction': direction(entry.amount) }, signedMoney(entry.amount, currency)),
      h('td', { 'data-label': 'Note', class: 'wrap-anywhere' }, entry.note || '—'),
    );
  }

  reset(): void {
    this.offset = 0;
    setChildren(this.body);
    setChildren(this.pager);
  }
}
