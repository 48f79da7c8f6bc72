/** How times, sizes and money read on the pages. */
import { formatMoney, parseAmount } from '../../../src/domain/money.js';

export function duration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** "in 23 h", "in 12 min", "expired": whole units still left, rounded down. */
export function untilText(epochMs: number, now = Date.now()): string {
  const left = epochMs - now;
  if (left <= 0) return 'expired';
  if (left < 3_600_000) return `in ${Math.max(1, Math.round(left / 60_000))} min`;
  if (left < 172_800_000) return `in ${Math.floor(left / 3_600_000)} h`;
  return `in ${Math.floor(left / 86_400_000)} days`;
}

/** When a signed URL stops working: its `exp` query parameter (epoch seconds). */
export function urlExpiry(url: string): number | null {
  try {
    const exp = new URL(url, location.href).searchParams.get('exp');
    return exp !== null && /^\d+$/.test(exp) ? Number(exp) * 1000 : null;
  } catch {
    return null;
  }
}

/** DashScope's task times, `YYYY-MM-DD HH:mm:ss.SSS` in the server's local time. */
export function parseTaskTime(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  const ms = Date.parse(value.replace(' ', 'T'));
  return Number.isNaN(ms) ? null : ms;
}

export function dateTime(ms: number): string {
  return new Date(ms).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** "¥0.18" from a decimal price string. */
export function money(amount: string, currency: string): string {
  const micros = parseAmount(amount);
  return micros === null ? `${amount} ${currency}` : formatMoney(micros, currency);
}

/** "2 × ¥0.18 = ¥0.36". */
export function costLine(images: number, perImage: string, currency: string): string {
  const unit = parseAmount(perImage) ?? 0;
  return `${images} × ${formatMoney(unit, currency)} = ${formatMoney(unit * images, currency)}`;
}

export function bytes(count: number): string {
  if (count < 1024) return `${count} B`;
  if (count < 1024 * 1024) return `${Math.round(count / 1024)} KB`;
  return `${(count / 1024 / 1024).toFixed(1)} MB`;
}

export function sizeText(size: { width: number; height: number }): string {
  return `${size.width} × ${size.height}`;
}
