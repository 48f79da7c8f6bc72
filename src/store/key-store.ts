/** API keys, stored by the SHA-256 of the secret; the secret itself is never kept. */
import type { Kysely, Transaction } from 'kysely';
import { AppError } from '../domain/errors.js';
import type { ApiKeyRecord, KeyPatch, KeyStore, KeyWithUser, UserRecord } from './ports.js';
import { insertUser } from './user-store.js';
import type { Database } from './schema.js';
import { limitColumns, rowToGroup, rowToKey, rowToUser } from './user-rows.js';

async function insertKey(db: Kysely<Database> | Transaction<Database>, key: ApiKeyRecord): Promise<void> {
  await db
    .insertInto('api_keys')
    .values({
      id: key.id,
      name: key.name,
      key_hash: key.keyHash,
      key_prefix: key.keyPrefix,
      created_at: key.createdAt,
      revoked_at: key.revokedAt,
      expires_at: key.expiresAt,
      user_id: key.userId,
      rate_limit_per_minute: key.rateLimitPerMinute,
      max_in_flight: key.maxInFlight,
      models: key.models === null ? null : JSON.stringify(key.models),
      budget_micros: key.budget?.micros ?? null,
      budget_period: key.budget?.period ?? null,
    })
    .execute();
}

export class SqlKeyStore implements KeyStore {
  constructor(private readonly db: Kysely<Database>) {}

  async create(key: ApiKeyRecord, user?: UserRecord, maxActive?: number): Promise<void> {
    if (!user && maxActive === undefined) return insertKey(this.db, key);
    await this.db.transaction().execute(async (trx) => {
      if (user) await insertUser(trx, user);
      if (maxActive !== undefined) {
        // The user's row locked (Postgres) until the commit: creates of its keys queue here.
        await trx.updateTable('users').set((eb) => ({ updated_at: eb.ref('updated_at') })).where('id', '=', key.userId).execute();
        const row = await trx.selectFrom('api_keys').select((eb) => eb.fn.countAll<number>().as('n')).where('user_id', '=', key.userId).where('revoked_at', 'is', null).executeTakeFirstOrThrow();
        if (Number(row.n) >= maxActive) throw new AppError('conflict', `This user already has ${Number(row.n)} keys, the most it may hold; revoke one first.`);
      }
      await insertKey(trx, key);
    });
  }

  /** The key with its user and group, as authentication needs them, in one query (it caches the answer). */
  async findByHash(hash: string): Promise<KeyWithUser | null> {
    const row = await this.db
      .selectFrom('api_keys as k')
      .innerJoin('users as u', 'u.id', 'k.user_id')
      .innerJoin('user_groups as g', 'g.name', 'u.group_name')
      .selectAll('k')
      .select([
        'u.name as u_name', 'u.email as u_email', 'u.group_name as u_group_name', 'u.balance_micros as u_balance_micros',
        'u.rate_limit_per_minute as u_rate_limit_per_minute', 'u.max_in_flight as u_max_in_flight', 'u.models as u_models',
        'u.budget_micros as u_budget_micros', 'u.budget_period as u_budget_period', 'u.created_at as u_created_at',
        'u.updated_at as u_updated_at', 'u.disabled_at as u_disabled_at',
        'g.description as g_description', 'g.multiplier_ppm as g_multiplier_ppm', 'g.overrides as g_overrides',
        'g.created_at as g_created_at', 'g.updated_at as g_updated_at',
      ])
      .where('k.key_hash', '=', hash)
      .executeTakeFirst();
    if (!row) return null;
    const user = rowToUser({
      id: row.user_id, name: row.u_name, email: row.u_email, group_name: row.u_group_name, balance_micros: row.u_balance_micros,
      rate_limit_per_minute: row.u_rate_limit_per_minute, max_in_flight: row.u_max_in_flight, models: row.u_models,
      budget_micros: row.u_budget_micros, budget_period: row.u_budget_period, created_at: row.u_created_at, updated_at: row.u_updated_at, disabled_at: row.u_disabled_at,
    });
    const group = rowToGroup({ name: row.u_group_name, description: row.g_description, multiplier_ppm: row.g_multiplier_ppm, overrides: row.g_overrides, created_at: row.g_created_at, updated_at: row.g_updated_at });
    return { key: rowToKey(row), user, group };
  }

  async get(id: string): Promise<ApiKeyRecord | null> {
    const row = await this.db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? rowToKey(row) : null;
  }

  async list(userId?: string): Promise<ApiKeyRecord[]> {
    let query = this.db.selectFrom('api_keys').selectAll();
    if (userId !== undefined) query = query.where('user_id', '=', userId);
    const rows = await query.orderBy('created_at').orderBy('id').execute();
    return rows.map(rowToKey);
  }

  async update(id: string, patch: KeyPatch): Promise<ApiKeyRecord | null> {
    const values = { ...(patch.name === undefined ? {} : { name: patch.name }), ...limitColumns(patch) };
    if (Object.keys(values).length > 0) await this.db.updateTable('api_keys').set(values).where('id', '=', id).execute();
    return this.get(id);
  }

  async revoke(id: string, at: number): Promise<boolean> {
    const result = await this.db
      .updateTable('api_keys')
      .set({ revoked_at: at })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async count(): Promise<number> {
    const row = await this.db.selectFrom('api_keys').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(row.n);
  }
}
