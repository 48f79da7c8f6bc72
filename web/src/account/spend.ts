/** What the account was charged over the last 30 days: totals, and a stacked bar per day by model. */
import { byId, h, setChildren } from '../lib/dom.js';
import { money } from '../lib/format.js';
import { accountCall } from './client.js';
import { SpendChart } from './spend-chart.js';
import type { Spend } from './types.js';

export class SpendSection {
  private readonly totals = byId('spend-totals', HTMLDivElement);
  private readonly chart = new SpendChart(byId('spend-chart', HTMLDivElement), byId('spend-legend', HTMLElement));

  async load(): Promise<void> {
    const spend = await accountCall<Spend>('/v1/account/spend?days=30');
    const { totals, currency } = spend;
    setChildren(
      this.totals,
      h('div', { class: 'stat' }, h('span', {}, 'Charged'), h('strong', { id: 'spend-amount' }, money(totals.amount, currency))),
      h('div', { class: 'stat' }, h('span', {}, 'Tasks'), h('strong', {}, totals.tasks)),
      h('div', { class: 'stat' }, h('span', {}, 'Images'), h('strong', {}, totals.images)),
    );
    this.chart.draw(spend);
  }
}
