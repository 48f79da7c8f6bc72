/** A user's ledger (GET /v1/account/ledger, GET /admin/v1/users/{id}/ledger): every movement of its balance. */
import { formatMoney, parseAmount } from '../../../src/domain/money.js';

export type LedgerKind = 'credit' | 'redeem' | 'hold' | 'release';

export interface LedgerEntry {
  id: number;
  kind: LedgerKind;
  /** Signed decimal: "-0.288" is a hold, "10.00" a credit. */
  amount: string;
  note: string;
  keyId: string | null;
  taskId: string | null;
  createdAt: string;
}

export interface LedgerPage {
  data: LedgerEntry[];
  total: number;
  currency: string;
}

/** How a customer reads each kind; a release settles a task's hold (what was not charged comes back). */
export const LEDGER_KIND_WORDS: Readonly<Record<LedgerKind, string>> = { credit: 'Top-up', redeem: 'Code', hold: 'Hold', release: 'Settled' };

export function kindWords(kind: string): string {
  return Object.hasOwn(LEDGER_KIND_WORDS, kind) ? LEDGER_KIND_WORDS[kind as LedgerKind] : kind;
}

/** "+¥10.00", "−¥0.288", "¥0.00": the sign always shown. */
export function signedMoney(amount: string, currency: string): string {
  const negative = amount.trim().startsWith('-');
  const micros = parseAmount(amount.trim().replace(/^[-+]/, ''));
  if (micros === null) return `${amount} ${currency}`;
  const sign = micros === 0 ? '' : negative ? '−' : '+';
  return `${sign}${formatMoney(micros, currency)}`;
}

/** 'in', 'out' or 'none': for colouring an amount. */
export function direction(amount: string): 'in' | 'out' | 'none' {
  if (amount.trim().startsWith('-')) return 'out';
  return /[1-9]/.test(amount) ? 'in' : 'none';
}
