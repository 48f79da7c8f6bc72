/** The limits a key or user form holds (the admin console's and the account page's read alike). */
export interface FormLimits {
  rateLimitPerMinute: number | null;
  maxInFlight: number | null;
  budget: { amount: string; period: 'day' | 'month' } | null;
}

/** Reads `rateLimitPerMinute`, `maxInFlight`, `budgetAmount` and `budgetPeriod`; an empty field is no limit. */
export function limitsOf(data: FormData): FormLimits {
  const text = (name: string) => String(data.get(name) ?? '').trim();
  const whole = (name: string) => (text(name) === '' ? null : Number(text(name)));
  const amount = text('budgetAmount');
  return {
    rateLimitPerMinute: whole('rateLimitPerMinute'),
    maxInFlight: whole('maxInFlight'),
    budget: amount === '' ? null : { amount, period: text('budgetPeriod') === 'day' ? 'day' : 'month' },
  };
}
