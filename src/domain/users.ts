/**
 * Customers: users own a balance, limits and keys; groups set their price multiplier; budgets cap
 * their spend per day or month. The rules here are pure: the stores and services apply them.
 */
import { quoteValue } from './bounded-text.js';
import { AppError } from './errors.js';
import { formatAmount, formatMoney } from './money.js';

export type BudgetPeriod = 'day' | 'month';
export const BUDGET_PERIODS: readonly BudgetPeriod[] = ['day', 'month'];

/** A spend cap: at most `micros` charged (or held) per UTC day or calendar month. */
export interface Budget {
  micros: number;
  period: BudgetPeriod;
}

/** The limits a user has, and that a key of theirs may narrow. Null: no limit of that kind. */
export interface Limits {
  rateLimitPerMinute: number | null;
  maxInFlight: number | null;
  /** Allowed model ids; null allows every model. */
  models: string[] | null;
  budget: Budget | null;
}

/** Multipliers are kept in parts per million, so prices stay integer micros. */
export const PPM = 1_000_000;
export const MAX_MULTIPLIER_PPM = 100 * PPM;
export const DEFAULT_GROUP = 'default';

export interface GroupRecord {
  name: string;
  description: string;
  /** The price multiplier of every model, in ppm (800000 = 0.8×). */
  multiplierPpm: number;
  /** Model id or family → multiplier in ppm, over the group's own. */
  overrides: Record<string, number>;
  createdAt: number;
  updatedAt: number;
}

/** No limit of any kind. */
export const NO_LIMITS: Limits = Object.freeze({ rateLimitPerMinute: null, maxInFlight: null, models: null, budget: null });

/** The default group as created: list prices. */
export const LIST_PRICES: GroupRecord = Object.freeze({ name: DEFAULT_GROUP, description: 'List prices', multiplierPpm: PPM, overrides: {}, createdAt: 0, updatedAt: 0 });

/** The multiplier of a model in a group: its id's override, its family's, or the group's. */
export function multiplierFor(group: Pick<GroupRecord, 'multiplierPpm' | 'overrides'>, model: { id: string; family: string }): number {
  return group.overrides[model.id] ?? group.overrides[model.family] ?? group.multiplierPpm;
}

/** A price in micros times a multiplier in ppm, rounded half up to a whole micro; exact for any price kept. */
export function applyMultiplier(micros: number, ppm: number): number {
  if (ppm === PPM) return micros;
  return Number((BigInt(micros) * BigInt(ppm) + BigInt(PPM / 2)) / BigInt(PPM));
}

/** "0.8" → 800000; null when it is not a decimal of at most 6 places between 0 and 100. */
export function parseMultiplier(text: string): number | null {
  const match = /^(\d{1,3})(?:\.(\d{1,6}))?$/.exec(text.trim());
  if (!match) return null;
  const ppm = Number(match[1]) * PPM + Number((match[2] ?? '').padEnd(6, '0'));
  return ppm <= MAX_MULTIPLIER_PPM ? ppm : null;
}

/** 800000 → "0.8". */
export function formatMultiplier(ppm: number): string {
  const whole = Math.floor(ppm / PPM);
  const fraction = String(ppm % PPM).padStart(6, '0').replace(/0+$/, '');
  return fraction === '' ? String(whole) : `${whole}.${fraction}`;
}

/** A multiplier given as a decimal string or a number, or the 400 naming the field. */
export function multiplierPpm(value: string | number, field: string): number {
  const ppm = parseMultiplier(String(value));
  if (ppm === null) throw new AppError('invalid_parameter', `${field}: must be a decimal multiplier from 0 to 100 with at most 6 decimals, like "0.8" (got ${quoteValue(String(value))}).`, { field });
  return ppm;
}

/** The budget period `at` falls in: its first instant and the next period's (UTC). */
export function budgetWindow(period: BudgetPeriod, at: number): { start: number; resetAt: number } {
  const date = new Date(at);
  const [y, m, d] = [date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()];
  return period === 'day' ? { start: Date.UTC(y, m, d), resetAt: Date.UTC(y, m, d + 1) } : { start: Date.UTC(y, m, 1), resetAt: Date.UTC(y, m + 1, 1) };
}

/** The effective limits of a key of a user: each the stricter of the two; models both allow. */
export function narrowLimits(user: Limits, key: Limits): Omit<Limits, 'budget'> {
  const min = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.min(a, b));
  const models = user.models === null ? key.models : key.models === null ? user.models : key.models.filter((m) => user.models?.includes(m));
  return { rateLimitPerMinute: min(user.rateLimitPerMinute, key.rateLimitPerMinute), maxInFlight: min(user.maxInFlight, key.maxInFlight), models };
}

/**
 * Refuses a key's limit that would widen its user's: a key may only narrow them. `fields` names
 * each limit as the request spelled it.
 */
export function assertNarrows(user: Limits, key: { [K in keyof Limits]?: Limits[K] | undefined }, fields: Partial<Record<keyof Limits, string>> = {}): void {
  const field = (name: keyof Limits) => fields[name] ?? name;
  // A key without a limit of its own (null) is held to its user's, so only a larger value widens.
  for (const name of ['rateLimitPerMinute', 'maxInFlight'] as const) {
    const cap = user[name];
    const value = key[name];
    if (cap === null || value === undefined || value === null) continue;
    if (value > cap) {
      throw new AppError('invalid_parameter', `${field(name)}: a key may narrow its user's limit of ${cap} but not widen it (got ${value}).`, { field: field(name) });
    }
  }
  if (user.models !== null && key.models !== undefined && key.models !== null) {
    const outside = key.models.filter((m) => !user.models?.includes(m));
    if (outside.length > 0) throw new AppError('invalid_parameter', `${field('models')}: the user may use only ${user.models.join(', ') || 'no model'}; a key cannot add ${outside.join(', ')}.`, { field: field('models') });
  }
  if (user.budget && key.budget !== undefined && key.budget !== null && key.budget.period === user.budget.period && key.budget.micros > user.budget.micros) {
    throw new AppError('invalid_parameter', `${field('budget')}: a key's budget cannot exceed its user's of ${formatAmount(user.budget.micros)} a ${user.budget.period}.`, { field: field('budget') });
  }
}

/** A key with a limit or an expiry of its own: on the account page it manages only itself. */
export function isRestricted(key: Limits & { expiresAt: number | null }): boolean {
  return key.rateLimitPerMinute !== null || key.maxInFlight !== null || key.models !== null || key.budget !== null || key.expiresAt !== null;
}

/**
 * On a user's own account page a restricted key (one with limits of its own) may change only
 * itself, and only to narrow: every limit it has stays set, no wider than now — a limit left empty
 * would follow the user's, which the operator may raise later. Its budget stays in the same period
 * and no larger, its expiry no later. (An unrestricted key manages the user's keys, within the
 * user's limits; a restricted one cannot create keys, so it cannot multiply its budget or rate.)
 */
export function assertNarrowsItself(own: Limits & { expiresAt: number | null }, wanted: Limits & { expiresAt: number | null }): void {
  const refuse = (field: string, rule: string) => new AppError('invalid_parameter', `${field}: ${rule}; a key with limits of its own can only narrow them.`, { field });
  for (const name of ['rateLimitPerMinute', 'maxInFlight'] as const) {
    const cap = own[name];
    const value = wanted[name];
    if (cap !== null && (value === null || value > cap)) throw refuse(name, `must be at most ${cap}, this key's own limit (got ${value ?? 'none'})`);
  }
  if (own.models !== null) {
    const outside = wanted.models === null ? ['every model'] : wanted.models.filter((m) => !own.models?.includes(m));
    if (outside.length > 0) throw refuse('models', `this key may use only ${own.models.join(', ') || 'no model'}, so it cannot add ${outside.join(', ')}`);
  }
  if (own.budget && (!wanted.budget || wanted.budget.period !== own.budget.period || wanted.budget.micros > own.budget.micros)) {
    throw refuse('budget', `must be a ${own.budget.period === 'day' ? 'daily' : 'monthly'} budget of at most ${formatAmount(own.budget.micros)}, this key's own`);
  }
  if (own.expiresAt !== null && (wanted.expiresAt === null || wanted.expiresAt > own.expiresAt)) {
    throw refuse('expiresAt', `must be no later than ${new Date(own.expiresAt).toISOString()}, when this key expires`);
  }
}

/** The refusal of a request past a budget, naming it and when it resets. */
export function budgetExceeded(owner: 'user' | 'key', budget: Budget, spentMicros: number, holdMicros: number, resetAt: number, currency: string): AppError {
  // Not retryable: a retry cannot help before the reset, which may be weeks away.
  const [per, window] = budget.period === 'day' ? ['daily', 'today (UTC)'] : ['monthly', 'this month (UTC)'];
  return new AppError(
    'budget_exceeded',
    `The ${owner}'s ${per} budget of ${formatMoney(budget.micros, currency)} would be exceeded: ${formatMoney(spentMicros, currency)} spent or held ${window}, and this request holds ${formatMoney(holdMicros, currency)}. The budget resets at ${new Date(resetAt).toISOString()}.`,
  );
}
