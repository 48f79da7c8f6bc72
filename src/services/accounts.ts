/** Key management with balances, shared by the admin API and the CLI. */
import { AppError } from '../domain/errors.js';
import { findModel } from '../domain/models.js';
import { formatAmount } from '../domain/money.js';
import type { ApiKeyRecord } from '../store/ports.js';
import type { BillingService } from './billing.js';
import type { KeyService, NewKeyOptions } from './keys.js';

export interface NewAccountOptions extends NewKeyOptions {
  /** A decimal amount; absent or null for an unlimited key. */
  balance?: string | null | undefined;
}

/** A key as the admin API and the CLI show it: never its secret. */
export function describeKey(key: ApiKeyRecord) {
  return {
    id: key.id,
    name: key.name,
    prefix: key.keyPrefix,
    balance: key.balanceMicros === null ? null : formatAmount(key.balanceMicros),
    createdAt: new Date(key.createdAt).toISOString(),
    revokedAt: key.revokedAt === null ? null : new Date(key.revokedAt).toISOString(),
    expiresAt: key.expiresAt === null ? null : new Date(key.expiresAt).toISOString(),
    rateLimitPerMinute: key.rateLimitPerMinute,
    maxInFlight: key.maxInFlight,
    models: key.models,
  };
}

export class AccountService {
  constructor(
    private readonly keys: KeyService,
    readonly billing: BillingService,
  ) {}

  /** Creates a key (and credits its opening balance); the secret is returned only here. */
  async create(options: NewAccountOptions): Promise<ReturnType<typeof describeKey> & { key: string }> {
    for (const model of options.models ?? []) {
      if (!findModel(model)) throw new AppError('invalid_parameter', `models: unknown model ${model}.`, { field: 'models' });
    }
    const opening = options.balance ?? null;
    // Checked before the key exists, so a refused balance leaves no key behind.
    if (opening !== null) this.billing.parseCredit(opening, { opening: true, field: 'balance' });
    const { record, secret } = await this.keys.create(options);
    if (opening !== null) await this.billing.credit(record.id, opening, 'opening balance', { opening: true });
    const created = (await this.keys.get(record.id)) ?? record;
    return { ...describeKey(created), key: secret };
  }

  async list() {
    return (await this.keys.list()).map(describeKey);
  }

  async credit(keyId: string, amount: string): Promise<{ id: string; balance: string }> {
    if (!(await this.keys.get(keyId))) throw new AppError('not_found', `No key with id ${keyId}.`);
    return { id: keyId, balance: await this.billing.credit(keyId, amount, 'credit') };
  }

  async revoke(keyId: string) {
    const key = await this.keys.get(keyId);
    if (!key) throw new AppError('not_found', `No key with id ${keyId}.`);
    await this.keys.revoke(keyId);
    return describeKey((await this.keys.get(keyId)) ?? key);
  }
}
