/**
 * The limit fields a user or a key takes (requests per minute, tasks in flight, a budget per day
 * or month, the models allowed), as dialog fields and back as the admin API's body; and how a set
 * of limits reads.
 */
import { h } from '../lib/dom.js';
import { money } from '../lib/format.js';
import type { UserLimits } from './types.js';

export const field = (label: string, control: HTMLElement, help?: string): HTMLLabelElement =>
  h('label', {}, label, control, help ? h('span', { class: 'help' }, help) : null);

export function choice(name: string, options: ReadonlyArray<readonly [string, string]>, value: string): HTMLSelectElement {
  const element = h('select', { name }, ...options.map(([v, text]) => h('option', { value: v }, text)));
  element.value = value;
  return element;
}

/** `placeholder`: what an empty field means (no limit, or the user's). */
export function limitFields(limits: Partial<UserLimits> | null, placeholder: string, currency: string): HTMLElement[] {
  const whole = (name: string, value: number | null | undefined) => h('input', { name, type: 'number', min: 1, step: 1, value: value ?? '', placeholder });
  return [
    field('Requests per minute', whole('rateLimitPerMinute', limits?.rateLimitPerMinute)),
    field('Tasks in flight', whole('maxInFlight', limits?.maxInFlight)),
    field(`Budget (${currency})`, h('input', { name: 'budgetAmount', inputmode: 'decimal', autocomplete: 'off', value: limits?.budget?.amount ?? '', placeholder: 'no budget' })),
    field('Budget period', choice('budgetPeriod', [['day', 'per day (UTC)'], ['month', 'per month (UTC)']], limits?.budget?.period ?? 'month')),
  ];
}

/** A checkbox per model, `ticked` ticked. */
export function modelChecks(models: readonly string[], ticked: readonly string[] | null): HTMLLabelElement[] {
  return models.map((model) => h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'models', value: model, checked: ticked?.includes(model) ?? false }), model));
}

/**
 * The models a user or key may use, as the Keys tab's form has them: a checkbox per model, none
 * ticked meaning `none` (every model, or the user's). Models ticked but no longer in the catalog
 * stay listed, so that saving keeps them.
 */
export function modelsField(catalog: readonly string[], ticked: readonly string[] | null, none: string): HTMLDetailsElement {
  const models = [...catalog, ...(ticked ?? []).filter((model) => !catalog.includes(model))];
  return h(
    'details',
    { class: 'models-box', open: ticked !== null },
    h('summary', {}, `Models: ${none} unless some are ticked`),
    h('div', { class: 'models-grid' }, ...(models.length > 0 ? modelChecks(models, ticked) : [h('span', { class: 'help' }, 'The catalog did not load: no models to choose.')])),
  );
}

/** The models ticked, or null (none ticked: no restriction of its own). */
export function modelsOf(data: FormData): string[] | null {
  const models = data.getAll('models').map(String);
  return models.length > 0 ? models : null;
}

export { limitsOf } from '../lib/limits.js';

/** "only qwen-image, qwen-image-edit-plus". */
export const modelsText = (models: readonly string[]): string => `only ${models.join(', ')}`;

/** "60/min, 2 in flight, ¥100.00 a month", or `none` when there are none. */
export function limitsText(limits: UserLimits, currency: string, none = 'none'): string {
  const parts = [
    limits.rateLimitPerMinute !== null ? `${limits.rateLimitPerMinute}/min` : null,
    limits.maxInFlight !== null ? `${limits.maxInFlight} in flight` : null,
    limits.budget !== null ? `${money(limits.budget.amount, currency)} a ${limits.budget.period}` : null,
  ];
  return parts.filter(Boolean).join(', ') || none;
}
