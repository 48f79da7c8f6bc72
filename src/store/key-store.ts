/** API keys, stored by the SHA-256 of the secret; the secret itself is never kept. */
import type { Kysely, Selectable } from 'kysely';
import type { ApiKeyRecord, KeyStore } from './ports.js';
import type { ApiKeysTable, Database } from './schema.js';

function rowToKey(row: Selectable<ApiKeysTable>): ApiKeyRecord {
  return {
    id: row.id,
    name: row.name,
    keyHash: row.key_hash,
    keyPrefix: row.key_prefix,
    createdAt: Number(row.created_at),
    revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
    expiresAt: row.expires_at === null ? null : Number(row.expires_at),
    rateLimitPerMinute: row.rate_limit_per_minute,
    maxInFlight: row.max_in_flight,
    models: row.models === null ? null : (JSON.parse(row.models) as string[]),
    balanceMicros: row.balance_micros === null ? null : Number(row.balance_micros),
  };
}

export class SqlKeyStore implements KeyStore {
  constructor(private readonly db: Kysely<Database>) {}

  async create(key: ApiKeyRecord): Promise<void> {
    await this.db
      .insertInto('api_keys')
      .values({
        id: key.id,
        name: key.name,
        key_hash: key.keyHash,
        key_prefix: key.keyPrefix,
        created_at: key.createdAt,
        revoked_at: key.revokedAt,
        expires_at: key.expiresAt,
        rate_limit_per_minute: key.rateLimitPerMinute,
        max_in_flight: key.maxInFlight,
        models: key.models === null ? null : JSON.stringify(key.models),
      })
      .execute();
  }

  async findByHash(hash: string): Promise<ApiKeyRecord | null> {
    const row = await this.db.selectFrom('api_keys').selectAll().where('key_hash', '=', hash).executeTakeFirst();
    return row ? rowToKey(row) : null;
  }

  async get(id: string): Promise<ApiKeyRecord | null> {
    const row = await this.db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? rowToKey(row) : null;
  }

  async list(): Promise<ApiKeyRecord[]> {
    const rows = await this.db.selectFrom('api_keys').selectAll().orderBy('created_at').orderBy('id').execute();
    return rows.map(rowToKey);
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
