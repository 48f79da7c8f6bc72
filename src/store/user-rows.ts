/** Users', keys' and groups' rows and records: limits and budgets as columns, JSON as text. */
import type { Selectable } from 'kysely';
import type { Budget, BudgetPeriod, GroupRecord, Limits } from '../domain/users.js';
import type { ApiKeyRecord, UserRecord } from './ports.js';
import type { ApiKeysTable, UserGroupsTable, UsersTable } from './schema.js';

interface LimitColumns {
  rate_limit_per_minute: number | null;
  max_in_flight: number | null;
  models: string | null;
  budget_micros: number | null;
  budget_period: string | null;
}

function budgetOf(row: Pick<LimitColumns, 'budget_micros' | 'budget_period'>): Budget | null {
  return row.budget_micros === null || row.budget_period === null ? null : { micros: Number(row.budget_micros), period: row.budget_period as BudgetPeriod };
}

export function limitsOf(row: LimitColumns): Limits {
  return {
    rateLimitPerMinute: row.rate_limit_per_minute === null ? null : Number(row.rate_limit_per_minute),
    maxInFlight: row.max_in_flight === null ? null : Number(row.max_in_flight),
    models: row.models === null ? null : (JSON.parse(row.models) as string[]),
    budget: budgetOf(row),
  };
}

/** The columns of a set of limits; only those given (a patch leaves the others). */
export function limitColumns(limits: { [K in keyof Limits]?: Limits[K] | undefined }): Partial<LimitColumns> {
  return {
    ...(limits.rateLimitPerMinute === undefined ? {} : { rate_limit_per_minute: limits.rateLimitPerMinute }),
    ...(limits.maxInFlight === undefined ? {} : { max_in_flight: limits.maxInFlight }),
    ...(limits.models === undefined ? {} : { models: limits.models === null ? null : JSON.stringify(limits.models) }),
    ...(limits.budget === undefined ? {} : { budget_micros: limits.budget?.micros ?? null, budget_period: limits.budget?.period ?? null }),
  };
}

export function rowToUser(row: Selectable<UsersTable>): UserRecord {
  return {
    id: row.id,
    name: row.name,
    email: row.email,
    group: row.group_name,
    balanceMicros: row.balance_micros === null ? null : Number(row.balance_micros),
    limits: limitsOf(row),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    disabledAt: row.disabled_at === null ? null : Number(row.disabled_at),
  };
}

export function rowToKey(row: Selectable<ApiKeysTable>): ApiKeyRecord {
  return {
    id: row.id,
    name: row.name,
    keyHash: row.key_hash,
    keyPrefix: row.key_prefix,
    createdAt: Number(row.created_at),
    revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
    expiresAt: row.expires_at === null ? null : Number(row.expires_at),
    rateLimitPerMinute: row.rate_limit_per_minute === null ? null : Number(row.rate_limit_per_minute),
    maxInFlight: row.max_in_flight === null ? null : Number(row.max_in_flight),
    models: row.models === null ? null : (JSON.parse(row.models) as string[]),
    userId: row.user_id,
    budget: budgetOf(row),
  };
}

export function rowToGroup(row: Selectable<UserGroupsTable>): GroupRecord {
  return {
    name: row.name,
    description: row.description,
    multiplierPpm: Number(row.multiplier_ppm),
    overrides: JSON.parse(row.overrides) as Record<string, number>,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}
