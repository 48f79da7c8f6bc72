/**
 * Redemption codes, by the SHA-256 of their text. Redeeming marks the code with one conditional
 * UPDATE and credits the user in the same transaction: two nodes redeeming one code at once both
 * run that UPDATE, and only one of them changes a row.
 */
import type { Kysely } from 'kysely';
import { tryCredit } from './credits.js';
import type { RedeemResult, RedemptionBatch, RedemptionBatchSummary, RedemptionCodeRecord, RedemptionStore } from './ports.js';
import type { Database } from './schema.js';

/** Rows per INSERT when a batch's codes are written (well under either database's parameter limit). */
const INSERT_CHUNK = 500;

class Refused extends Error {
  constructor(readonly kind: Exclude<RedeemResult['kind'], 'redeemed'>) {
    super(kind);
  }
}

export class SqlRedemptionStore implements RedemptionStore {
  constructor(private readonly db: Kysely<Database>) {}

  async createBatch(batch: RedemptionBatch, codes: ReadonlyArray<{ hash: string; prefix: string }>): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('redemption_batches')
        .values({ id: batch.id, name: batch.name, amount_micros: batch.amountMicros, count: batch.count, expires_at: batch.expiresAt, created_at: batch.createdAt, revoked_at: batch.revokedAt })
        .execute();
      for (let i = 0; i < codes.length; i += INSERT_CHUNK) {
        const rows = codes.slice(i, i + INSERT_CHUNK).map((c) => ({ code_hash: c.hash, batch_id: batch.id, code_prefix: c.prefix, redeemed_at: null, user_id: null, key_id: null }));
        await trx.insertInto('redemption_codes').values(rows).execute();
      }
    });
  }

  async listBatches(limit: number, offset: number): Promise<{ batches: RedemptionBatchSummary[]; total: number }> {
    const [rows, count] = await Promise.all([
      this.summaries().orderBy('b.created_at', 'desc').orderBy('b.id').limit(limit).offset(offset).execute(),
      this.db.selectFrom('redemption_batches').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    ]);
    return { batches: rows.map(toSummary), total: Number(count.n) };
  }

  async getBatch(id: string): Promise<RedemptionBatchSummary | null> {
    const row = await this.summaries().where('b.id', '=', id).executeTakeFirst();
    return row ? toSummary(row) : null;
  }

  async codes(batchId: string): Promise<RedemptionCodeRecord[]> {
    const rows = await this.db.selectFrom('redemption_codes').selectAll().where('batch_id', '=', batchId).orderBy('code_prefix').orderBy('code_hash').execute();
    return rows.map((r) => ({ prefix: r.code_prefix, redeemedAt: r.redeemed_at === null ? null : Number(r.redeemed_at), userId: r.user_id, keyId: r.key_id }));
  }

  async revokeBatch(id: string, now: number): Promise<boolean> {
    const result = await this.db.updateTable('redemption_batches').set({ revoked_at: now }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async redeem(hash: string, userId: string, keyId: string, now: number): Promise<RedeemResult> {
    try {
      return await this.db.transaction().execute(async (trx) => {
        const code = await trx
          .selectFrom('redemption_codes as c')
          .innerJoin('redemption_batches as b', 'b.id', 'c.batch_id')
          .select(['c.redeemed_at', 'c.code_prefix', 'b.id', 'b.amount_micros', 'b.expires_at', 'b.revoked_at'])
          .where('c.code_hash', '=', hash)
          .executeTakeFirst();
        if (!code) throw new Refused('unknown');
        if (code.redeemed_at !== null) throw new Refused('used');
        if (code.revoked_at !== null) throw new Refused('revoked');
        if (code.expires_at !== null && Number(code.expires_at) <= now) throw new Refused('expired');
        // The claim: of concurrent redemptions of this code, exactly one changes the row.
        const claimed = await trx
          .updateTable('redemption_codes')
          .set({ redeemed_at: now, user_id: userId, key_id: keyId })
          .where('code_hash', '=', hash)
          .where('redeemed_at', 'is', null)
          // A batch revoked since the read above no longer gives.
          .where((eb) => eb.exists(eb.selectFrom('redemption_batches as r').select('r.id').whereRef('r.id', '=', 'redemption_codes.batch_id').where('r.revoked_at', 'is', null)))
          .executeTakeFirst();
        if (Number(claimed.numUpdatedRows) !== 1) {
          const batch = await trx.selectFrom('redemption_batches').select('revoked_at').where('id', '=', code.id).executeTakeFirst();
          throw new Refused(batch?.revoked_at == null ? 'used' : 'revoked');
        }
        const amount = Number(code.amount_micros);
        const balance = await tryCredit(trx, { userId, keyId }, amount, { kind: 'redeem', note: `top-up code ${code.code_prefix}… (batch ${code.id})`, now, opening: false });
        // Rolled back with the claim, so the code stays unredeemed for a user who can take it.
        if (typeof balance !== 'number') throw new Refused(balance);
        return { kind: 'redeemed' as const, amountMicros: amount, balanceMicros: balance, batchId: code.id };
      });
    } catch (error) {
      if (error instanceof Refused) return { kind: error.kind };
      throw error;
    }
  }

  private summaries() {
    return this.db
      .selectFrom('redemption_batches as b')
      .selectAll('b')
      .select((eb) => eb.selectFrom('redemption_codes as c').whereRef('c.batch_id', '=', 'b.id').where('c.redeemed_at', 'is not', null).select((e) => e.fn.countAll<number>().as('n')).as('redeemed'));
  }
}

function toSummary(row: { id: string; name: string; amount_micros: number; count: number; expires_at: number | null; created_at: number; revoked_at: number | null; redeemed: number | null }): RedemptionBatchSummary {
  return {
    id: row.id,
    name: row.name,
    amountMicros: Number(row.amount_micros),
    count: Number(row.count),
    expiresAt: row.expires_at === null ? null : Number(row.expires_at),
    createdAt: Number(row.created_at),
    revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
    redeemed: Number(row.redeemed ?? 0),
  };
}
