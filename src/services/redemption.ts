/**
 * Top-up codes: an operator creates a batch (amount, count, expiry) and hands the codes out; a
 * user redeems one with any of their keys. The code's text is shown once, at creation; the store
 * keeps its SHA-256, so a leaked database cannot be redeemed from.
 */
import { createHash, randomInt } from 'node:crypto';
import { quoteValue } from '../domain/bounded-text.js';
import { AppError } from '../domain/errors.js';
import { formatAmount } from '../domain/money.js';
import type { Clock } from '../lib/clock.js';
import { newBatchId } from '../lib/ids.js';
import type { RedeemRefusal, RedemptionBatch, RedemptionBatchSummary, RedemptionStore } from '../store/ports.js';
import type { BillingService } from './billing.js';

/** Crockford's base32 alphabet: no I, L, O or U, so a code read aloud or retyped survives. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** 20 characters of 5 bits: 100 bits, far beyond guessing at any rate a key is allowed. */
const CODE_CHARS = 20;
export const MAX_BATCH_CODES = 10_000;

/** A new code: `QIG-XXXXX-XXXXX-XXXXX-XXXXX`. */
function newCode(): string {
  let chars = '';
  for (let i = 0; i < CODE_CHARS; i += 1) chars += ALPHABET[randomInt(ALPHABET.length)];
  return `QIG-${chars.match(/.{5}/g)?.join('-')}`;
}

/** The code as typed, reduced to what identifies it: case, spaces, dashes and the QIG prefix do not matter. */
export function normalizeCode(text: string): string | null {
  const bare = text.toUpperCase().replace(/[\s-]/g, '').replace(/^QIG/, '').replace(/[IL]/g, '1').replace(/O/g, '0');
  return new RegExp(`^[${ALPHABET}]{${CODE_CHARS}}$`).test(bare) ? bare : null;
}

const hashCode = (bare: string) => createHash('sha256').update(bare).digest('hex');

const REFUSALS: Record<RedeemRefusal, (code: string) => AppError> = {
  unknown: (code) => new AppError('invalid_parameter', `code: ${code} is not a valid code.`, { field: 'code' }),
  used: (code) => new AppError('invalid_parameter', `code: ${code} has already been redeemed.`, { field: 'code' }),
  expired: (code) => new AppError('invalid_parameter', `code: ${code} has expired.`, { field: 'code' }),
  revoked: (code) => new AppError('invalid_parameter', `code: ${code} has been withdrawn by the operator.`, { field: 'code' }),
  unlimited: () => new AppError('unsupported_operation', 'This account is unlimited: it has no balance to top up.'),
  too_large: () => new AppError('invalid_parameter', 'code: the balance would exceed the largest this server keeps exactly.', { field: 'code' }),
};

export function describeBatch(batch: RedemptionBatchSummary | (RedemptionBatch & { redeemed?: number })) {
  return {
    id: batch.id,
    name: batch.name,
    amount: formatAmount(batch.amountMicros),
    count: batch.count,
    redeemed: batch.redeemed ?? 0,
    expiresAt: batch.expiresAt === null ? null : new Date(batch.expiresAt).toISOString(),
    createdAt: new Date(batch.createdAt).toISOString(),
    revokedAt: batch.revokedAt === null ? null : new Date(batch.revokedAt).toISOString(),
  };
}

export class RedemptionService {
  constructor(
    private readonly store: RedemptionStore,
    private readonly billing: BillingService,
    private readonly clock: Clock,
  ) {}

  /** Creates a batch of `count` codes worth `amount` each; the codes' text is returned only here. */
  async createBatch(options: { name: string; amount: string; count: number; expiresAt: number | null }): Promise<{ batch: RedemptionBatch; codes: string[] }> {
    const amountMicros = this.billing.parseCredit(options.amount);
    if (!Number.isInteger(options.count) || options.count < 1 || options.count > MAX_BATCH_CODES) {
      throw new AppError('invalid_parameter', `count: must be a whole number from 1 to ${MAX_BATCH_CODES} (got ${quoteValue(String(options.count))}).`, { field: 'count' });
    }
    const now = this.clock.now();
    if (options.expiresAt !== null && options.expiresAt <= now) throw new AppError('invalid_parameter', 'expiresAt: must be in the future.', { field: 'expiresAt' });
    const codes = Array.from({ length: options.count }, newCode);
    const batch: RedemptionBatch = { id: newBatchId(), name: options.name, amountMicros, count: options.count, expiresAt: options.expiresAt, createdAt: now, revokedAt: null };
    await this.store.createBatch(
      batch,
      codes.map((code) => ({ hash: hashCode(normalizeCode(code) as string), prefix: code.slice(0, 9) })),
    );
    return { batch, codes };
  }

  listBatches(limit: number, offset: number) {
    return this.store.listBatches(limit, offset);
  }

  async batch(id: string): Promise<RedemptionBatchSummary> {
    const batch = await this.store.getBatch(id);
    if (!batch) throw new AppError('not_found', `No code batch with id ${id}.`);
    return batch;
  }

  async codes(id: string) {
    await this.batch(id);
    return this.store.codes(id);
  }

  async revokeBatch(id: string): Promise<RedemptionBatchSummary> {
    await this.batch(id);
    await this.store.revokeBatch(id, this.clock.now());
    return this.batch(id);
  }

  /** Redeems a code for the key's user; the amount credited and the new balance. */
  async redeem(userId: string, keyId: string, text: string): Promise<{ credited: string; balance: string; currency: string }> {
    const shown = quoteValue(text);
    const bare = normalizeCode(text);
    if (bare === null) throw new AppError('invalid_parameter', `code: must be a code like QIG-XXXXX-XXXXX-XXXXX-XXXXX (got ${shown}).`, { field: 'code' });
    const result = await this.store.redeem(hashCode(bare), userId, keyId, this.clock.now());
    if (result.kind !== 'redeemed') throw REFUSALS[result.kind](shown);
    return { credited: formatAmount(result.amountMicros), balance: formatAmount(result.balanceMicros), currency: this.billing.currency };
  }
}
