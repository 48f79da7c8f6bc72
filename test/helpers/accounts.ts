/**
 * Accounts written straight into a store for tests: a user (`usr_<key id>`, as migration 0008
 * names a key's own user) with its balance, and its key.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../src/store/schema.js';

export interface TestAccount {
  id: string;
  /** Null: unlimited. */
  balanceMicros?: number | null;
  /** The user's id (default `usr_<id>`); an existing user gets only the key. */
  userId?: string;
  group?: string;
  /** Writes the opening balance's ledger row too (so the ledger invariant holds). */
  ledger?: boolean;
}

export const userOf = (keyId: string) => `usr_${keyId}`;

export async function insertAccount(db: Kysely<Database>, account: TestAccount): Promise<{ keyId: string; userId: string }> {
  const userId = account.userId ?? userOf(account.id);
  const balance = account.balanceMicros ?? null;
  const existing = await db.selectFrom('users').select('id').where('id', '=', userId).executeTakeFirst();
  if (!existing) {
    await db
      .insertInto('users')
      .values({ id: userId, name: userId, email: null, group_name: account.group ?? 'default', balance_micros: balance, rate_limit_per_minute: null, max_in_flight: null, models: null, budget_micros: null, budget_period: null, created_at: 0, updated_at: 0, disabled_at: null })
      .execute();
    if (balance !== null && account.ledger) await db.insertInto('ledger').values({ user_id: userId, key_id: account.id, task_id: null, kind: 'credit', amount_micros: balance, note: 'opening', created_at: 0 }).execute();
  }
  await db
    .insertInto('api_keys')
    .values({ id: account.id, name: account.id, key_hash: `h-${account.id}`, key_prefix: account.id.slice(0, 11), created_at: 0, revoked_at: null, expires_at: null, rate_limit_per_minute: null, max_in_flight: null, models: null, user_id: userId, budget_micros: null, budget_period: null })
    .execute();
  return { keyId: account.id, userId };
}
