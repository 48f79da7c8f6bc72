/** The self-service API's answers (Bearer: one of the user's own keys), as the account page reads them. */
export type BudgetPeriod = 'day' | 'month';

export interface Budget {
  amount: string;
  period: BudgetPeriod;
}

export interface Account {
  user: { id: string; name: string; email: string | null; createdAt: string };
  /** restricted: the key has limits or an expiry of its own, so it manages only itself. */
  key: { id: string; name: string; restricted: boolean };
  /** null: unlimited. */
  balance: string | null;
  held: string;
  currency: string;
  group: { name: string; multiplier: string; overrides: Record<string, string> };
  limits: { rateLimitPerMinute: number | null; maxInFlight: number | null; models: string[] | null };
  budgets: Array<Budget & { owner: 'user' | 'key'; spent: string; resetsAt: string }>;
}

/** One UTC day and model of GET /v1/account/spend. */
export interface SpendLine {
  day: string;
  model: string;
  tasks: number;
  images: number;
  amount: string;
}

export interface Spend {
  currency: string;
  from: string;
  to: string;
  data: SpendLine[];
  totals: { tasks: number; images: number; amount: string };
}

export interface AccountTask {
  id: string;
  keyId: string;
  model: string;
  status: string;
  prompt: string;
  /** Signed URLs, for succeeded tasks only. */
  images: string[];
  charged: string | null;
  unitPrice: string;
  createdAt: string;
  finishedAt: string | null;
}

export interface TaskPage {
  data: AccountTask[];
  total: number;
}

export interface OwnKey {
  id: string;
  name: string;
  prefix: string;
  rateLimitPerMinute: number | null;
  maxInFlight: number | null;
  models: string[] | null;
  budget: Budget | null;
  createdAt: string;
  revokedAt: string | null;
  expiresAt: string | null;
}

export interface Redeemed {
  credited: string;
  balance: string;
  currency: string;
}
