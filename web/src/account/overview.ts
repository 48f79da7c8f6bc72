/** The balance (and what running tasks hold), the price group, the limits, and each budget's spend in its window. */
import { parseAmount } from '../../../src/domain/money.js';
import { byId, h, setChildren } from '../lib/dom.js';
import { dateTime, money, untilText } from '../lib/format.js';
import type { Account } from './types.js';

const micros = (amount: string) => parseAmount(amount) ?? 0;

function stat(label: string, value: string, id: string, note?: string): HTMLElement {
  return h('div', { class: 'stat' }, h('span', {}, label), h('strong', { id }, value), note ? h('small', { class: 'muted' }, note) : null);
}

function budgetLine(budget: Account['budgets'][number], currency: string): HTMLElement {
  const resets = Date.parse(budget.resetsAt);
  const whose = budget.owner === 'user' ? 'Account' : 'This key';
  return h(
    'div',
    { class: 'budget', 'data-owner': budget.owner },
    h('div', { class: 'budget-head' }, h('strong', {}, `${whose} budget per ${budget.period}`), h('span', { class: 'budget-spent' }, `${money(budget.spent, currency)} of ${money(budget.amount, currency)}`)),
    h('progress', { max: Math.max(1, micros(budget.amount)), value: Math.min(micros(budget.spent), micros(budget.amount)), 'aria-label': `${whose} budget used` }),
    h('span', { class: 'help' }, `Resets ${untilText(resets)} (${dateTime(resets)}).`),
  );
}

/** "60 requests a minute · 2 tasks in flight", or that there are none. */
function limitsLine(limits: Account['limits']): string {
  const parts = [
    limits.rateLimitPerMinute !== null ? `${limits.rateLimitPerMinute} requests a minute` : null,
    limits.maxInFlight !== null ? `${limits.maxInFlight} ${limits.maxInFlight === 1 ? 'task' : 'tasks'} in flight` : null,
  ];
  return parts.filter(Boolean).join(' · ') || 'No rate limits';
}

/** The signed-in line of the top bar; on a phone only the key's part shows (account.css). */
function renderSignedIn(account: Account): void {
  const line = byId('signed-in-as', HTMLSpanElement);
  line.title = `${account.user.name} · key ${account.key.name}`;
  setChildren(line, h('span', { class: 'who-user' }, `${account.user.name} · `), h('span', { class: 'who-key' }, `key ${account.key.name}`));
}

export function renderOverview(account: Account): void {
  const { currency, group } = account;
  const overrides = Object.entries(group.overrides).map(([model, multiplier]) => `${model} ${multiplier}×`);
  setChildren(
    byId('overview-stats', HTMLDivElement),
    stat('Balance', account.balance === null ? 'Unlimited' : money(account.balance, currency), 'balance', `${currency}`),
    stat('Held by running tasks', money(account.held, currency), 'held'),
    stat('Price group', `${group.name} · ${group.multiplier}×`, 'group', overrides.length > 0 ? overrides.join(', ') : 'the list price times this'),
    stat('Limits', limitsLine(account.limits), 'limits', account.limits.models === null ? 'All models' : `Models: ${account.limits.models.join(', ')}`),
  );
  setChildren(
    byId('budgets', HTMLDivElement),
    ...(account.budgets.length > 0 ? account.budgets.map((budget) => budgetLine(budget, currency)) : [h('p', { class: 'help' }, 'No spend budget on this account or key.')]),
  );
  renderSignedIn(account);
}
