/**
 * Key management with balances, shared by the admin API and the CLI: a key made here without a
 * user gets a user of its own, whose balance it shows and credits (the API before users).
 */
import { AppError } from '../domain/errors.js';
import { findModel } from '../domain/models.js';
import { formatAmount } from '../domain/money.js';
import type { ApiKeyRecord, UserRecord } from '../store/ports.js';
import type { BillingService } from './billing.js';
import type { KeyService, NewKeyOptions } from './keys.js';
import { describeBudget, type UserService } from './users.js';

export interface NewAccountOptions extends NewKeyOptions {
  /** A decimal amount; absent or null for an unlimited key. Only for a key with a user of its own. */
  balance?: string | null | undefined;
}

/** A key as the admin API and the CLI show it, with its user's balance: never its secret. */
export function describeKey(key: ApiKeyRecord, user: UserRecord | undefined) {
  return {
    id: key.id,
    name: key.name,
    prefix: key.keyPrefix,
    userId: key.userId,
    balance: user?.balanceMicros == null ? null : formatAmount(user.balanceMicros),
    createdAt: new Date(key.createdAt).toISOString(),
    revokedAt: key.revokedAt === null ? null : new Date(key.revokedAt).toISOString(),
    expiresAt: key.expiresAt === null ? null : new Date(key.expiresAt).toISOString(),
    rateLimitPerMinute: key.rateLimitPerMinute,
    maxInFlight: key.maxInFlight,
    models: key.models,
    budget: describeBudget(key.budget),
  };
}

export class AccountService {
  constructor(
    private readonly keys: KeyService,
    readonly billing: BillingService,
    private readonly users: UserService,
  ) {}

  /** Creates a key (and credits its opening balance); the secret is returned only here. */
  async create(options: NewAccountOptions): Promise<ReturnType<typeof describeKey> & { key: string }> {
    for (const model of options.models ?? []) {
      if (!findModel(model)) throw new AppError('invalid_parameter', `models: unknown model ${model}.`, { field: 'models' });
    }
    const opening = options.balance ?? null;
    if (options.userId !== undefined && opening !== null) {
      throw new AppError('invalid_parameter', 'balance: a key of an existing user draws on that user\'s balance; credit the user instead (POST /admin/v1/users/{id}/credit).', { field: 'balance' });
    }
    // Checked before the key exists, so a refused balance leaves no key behind.
    if (opening !== null) this.billing.parseCredit(opening, { opening: true, field: 'balance' });
    const { record, secret } =
      options.userId === undefined ? await this.keys.create(options) : await this.users.createKey(options.userId, options);
    if (opening !== null) await this.billing.credit(record.id, opening, 'opening balance', { opening: true });
    return { ...describeKey(record, await this.users.require(record.userId)), key: secret };
  }

  async list() {
    const keys = await this.keys.list();
    const users = new Map<string, UserRecord>();
    // In pages the database takes in one IN list.
    for (let i = 0; i < keys.length; i += 500) {
      for (const user of await this.users.getMany(keys.slice(i, i + 500).map((k) => k.userId))) users.set(user.id, user);
    }
    return keys.map((key) => describeKey(key, users.get(key.userId)));
  }

  async credit(keyId: string, amount: string): Promise<{ id: string; balance: string }> {
    if (!(await this.keys.get(keyId))) throw new AppError('not_found', `No key with id ${keyId}.`);
    return { id: keyId, balance: await this.billing.credit(keyId, amount, 'credit') };
  }

  async revoke(keyId: string) {
    const key = await this.keys.get(keyId);
    if (!key) throw new AppError('not_found', `No key with id ${keyId}.`);
    await this.keys.revoke(keyId);
    return describeKey((await this.keys.get(keyId)) ?? key, (await this.users.getMany([key.userId]))[0]);
  }
}
