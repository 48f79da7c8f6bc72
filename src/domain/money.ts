import { AppError } from './errors.js';

/**
 * Money as integers of a fixed minor unit: one micro (10⁻⁶) of the configured currency, so sums
 * are exact. Amounts cross the API as decimal strings ("0.18").
 */
export const MICROS_PER_UNIT = 1_000_000;

/** The largest amount held exactly (2^53 − 1 micros); balances and prices stay at or below it. */
export const MAX_MICROS = Number.MAX_SAFE_INTEGER;
/** MAX_MICROS as clients write amounts. */
export const MAX_AMOUNT_TEXT = '9007199254.740991';

const AMOUNT = /^(\d{1,16})(?:\.(\d{1,6}))?$/;

/**
 * "0.18" → 180000; null when the text is not a non-negative amount with at most 6 decimals, or
 * is above MAX_AMOUNT_TEXT (computed exactly, so nothing is rounded on the way).
 */
export function parseAmount(text: string): number | null {
  const match = AMOUNT.exec(text.trim());
  if (!match) return null;
  const micros = BigInt(match[1] as string) * BigInt(MICROS_PER_UNIT) + BigInt((match[2] ?? '').padEnd(6, '0'));
  return micros > BigInt(MAX_MICROS) ? null : Number(micros);
}

/** 360000 → "0.36"; at least two decimals, at most six, no trailing zeros beyond two. */
export function formatAmount(micros: number): string {
  const negative = micros < 0;
  const abs = Math.abs(micros);
  const whole = Math.floor(abs / MICROS_PER_UNIT);
  const fraction = String(abs % MICROS_PER_UNIT).padStart(6, '0').replace(/0{1,4}$/, (zeros) => zeros.slice(0, Math.max(0, zeros.length - 4)));
  return `${negative ? '-' : ''}${whole}.${fraction.length < 2 ? fraction.padEnd(2, '0') : fraction}`;
}

const SYMBOLS: Readonly<Record<string, string>> = { CNY: '¥', USD: '$', EUR: '€', GBP: '£', JPY: '¥' };

/** "¥0.18", or "CHF 0.18" for currencies without a symbol here. */
export function formatMoney(micros: number, currency: string): string {
  const symbol = SYMBOLS[currency.toUpperCase()];
  return symbol ? `${symbol}${formatAmount(micros)}` : `${currency} ${formatAmount(micros)}`;
}

/** Seed 004's usage line: "Image generation: 2 images × ¥0.18 = ¥0.36". */
export function usageLine(images: number, unitMicros: number, currency: string): string {
  return `Image generation: ${images} ${images === 1 ? 'image' : 'images'} × ${formatMoney(unitMicros, currency)} = ${formatMoney(images * unitMicros, currency)}`;
}

/** The Arrearage error: what the request would hold and what the account (the key's user) has. */
export function insufficientBalance(holdMicros: number, balanceMicros: number, currency: string): AppError {
  return new AppError('insufficient_balance', `Insufficient balance: this request holds ${formatMoney(holdMicros, currency)} and the account has ${formatMoney(balanceMicros, currency)}.`);
}
