/** Where a refusal names a field (`rateLimitPerMinute: …`), the form's field for it is marked and focused. */
import { ApiError } from './api.js';

/** Clears earlier marks; `budget.amount` (or any `budget…`) is the budget's amount field. */
export function markField(form: HTMLFormElement, failure: unknown): void {
  for (const input of form.querySelectorAll('[aria-invalid]')) input.removeAttribute('aria-invalid');
  const name = failure instanceof ApiError ? failure.field : null;
  if (!name) return;
  const input = form.querySelector<HTMLElement>(`[name="${name.startsWith('budget') ? 'budgetAmount' : name}"]`);
  input?.setAttribute('aria-invalid', 'true');
  input?.focus();
}
