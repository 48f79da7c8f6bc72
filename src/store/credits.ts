/**
 * Credits to a user's balance, inside a transaction someone else opened: an operator's credit or
 * opening balance (the ledger's), or a redeemed code's (the redemption store's). Each is one
 * conditional UPDATE of the balance and one ledger row.
 */
import type { Transaction } from 'kysely';
import { AppError } from '../domain/errors.js';
import { MAX_AMOUNT_TEXT, MAX_MICROS } from '../domain/money.js';
import type { EntryOwner } from './ledger-entries.js';
import { ledgerEntry } from './ledger-entries.js';
import type { AccountRef } from './ports.js';
import type { Database } from './schema.js';

/** The user (and key, when a key was named) whose balance a credit to `account` changes; not_found otherwise. */
export async function ownerOf(trx: Transaction<Database>, account: AccountRef): Promise<EntryOwner> {
  if (typeof account !== 'string') {
    const user = await trx.selectFrom('users').select('id').where('id', '=', account.userId).executeTakeFirst();
    if (!user) throw new AppError('not_found', `No user with id ${account.userId}.`);
    return { userId: user.id, keyId: null };
  }
  const key = await trx.selectFrom('api_keys').select('user_id').where('id', '=', account).executeTakeFirst();
  if (!key) throw new AppError('not_found', `No key with id ${account}.`);
  return { userId: key.user_id, keyId: account };
}

export type CreditRefusal = 'unlimited' | 'too_large';

/**
 * Adds `micros` to the user's balance and writes its ledger row; the new balance. Only an opening
 * credit turns an unlimited user metered (an unlimited user's tasks took no hold, and releasing
 * them later would make money). A refusal throws its AppError.
 */
export async function creditUser(trx: Transaction<Database>, owner: EntryOwner, micros: number, entry: { kind: string; note: string; now: number; opening: boolean }): Promise<number> {
  const refusal = await tryCredit(trx, owner, micros, entry);
  if (typeof refusal === 'number') return refusal;
  if (refusal === 'unlimited') throw new AppError('unsupported_operation', `User ${owner.userId} is unlimited: it has no balance to credit. Give it an opening balance when creating it instead.`);
  throw new AppError('invalid_parameter', `amount: the balance would exceed ${MAX_AMOUNT_TEXT}, the largest this server keeps exactly.`, { field: 'amount' });
}

/** As creditUser, but answers a refusal instead of throwing it (the transaction goes on). */
export async function tryCredit(trx: Transaction<Database>, owner: EntryOwner, micros: number, entry: { kind: string; note: string; now: number; opening: boolean }): Promise<number | CreditRefusal> {
  let update = trx
    .updateTable('users')
    .set((eb) => ({ balance_micros: eb(eb.fn.coalesce('balance_micros', eb.val(0)), '+', micros) }))
    .where('id', '=', owner.userId)
    // A balance above MAX_MICROS could not be read back exactly.
    .where((eb) => eb(eb.fn.coalesce('balance_micros', eb.val(0)), '<=', MAX_MICROS - micros));
  if (!entry.opening) update = update.where('balance_micros', 'is not', null);
  const updated = await update.executeTakeFirst();
  if (Number(updated.numUpdatedRows) !== 1) {
    const user = await trx.selectFrom('users').select('balance_micros').where('id', '=', owner.userId).executeTakeFirst();
    if (!user) throw new AppError('not_found', `No user with id ${owner.userId}.`);
    return user.balance_micros === null ? 'unlimited' : 'too_large';
  }
  await ledgerEntry(trx, owner, null, entry.kind, micros, entry.note, entry.now);
  const row = await trx.selectFrom('users').select('balance_micros').where('id', '=', owner.userId).executeTakeFirstOrThrow();
  return Number(row.balance_micros);
}
