/** Users and their price groups. A user's balance changes only through the ledger. */
import { sql, type Kysely, type SqlBool, type Transaction } from 'kysely';
import { AppError } from '../domain/errors.js';
import type { GroupRecord } from '../domain/users.js';
import type { GroupStore, UserListFilter, UserPatch, UserRecord, UserStore } from './ports.js';
import type { Database } from './schema.js';
import { limitColumns, rowToGroup, rowToUser } from './user-rows.js';

/** A foreign key refused the write: Postgres' 23503, SQLite's SQLITE_CONSTRAINT_FOREIGNKEY. */
function isForeignKeyViolation(error: unknown): boolean {
  const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
  return code === '23503' || code === 'SQLITE_CONSTRAINT_FOREIGNKEY';
}

/** A user written into a group deleted meanwhile (the check before and the write raced). */
async function intoGroup<T>(group: string | undefined, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (group !== undefined && isForeignKeyViolation(error)) throw unknownGroup(group);
    throw error;
  }
}

const unknownGroup = (name: string) => new AppError('not_found', `group: no group named ${name}; GET /admin/v1/groups lists them.`, { field: 'group' });

export async function insertUser(db: Kysely<Database> | Transaction<Database>, user: UserRecord): Promise<void> {
  await db
    .insertInto('users')
    .values({
      id: user.id,
      name: user.name,
      email: user.email,
      group_name: user.group,
      balance_micros: user.balanceMicros,
      rate_limit_per_minute: user.limits.rateLimitPerMinute,
      max_in_flight: user.limits.maxInFlight,
      models: user.limits.models === null ? null : JSON.stringify(user.limits.models),
      budget_micros: user.limits.budget?.micros ?? null,
      budget_period: user.limits.budget?.period ?? null,
      created_at: user.createdAt,
      updated_at: user.updatedAt,
      disabled_at: user.disabledAt,
    })
    .execute();
}

export class SqlUserStore implements UserStore {
  constructor(private readonly db: Kysely<Database>) {}

  async create(user: UserRecord): Promise<void> {
    await this.assertGroup(user.group);
    await intoGroup(user.group, () => insertUser(this.db, user));
  }

  async get(id: string): Promise<UserRecord | null> {
    const row = await this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? rowToUser(row) : null;
  }

  async getMany(ids: readonly string[]): Promise<UserRecord[]> {
    if (ids.length === 0) return [];
    const rows = await this.db.selectFrom('users').selectAll().where('id', 'in', [...new Set(ids)]).execute();
    return rows.map(rowToUser);
  }

  async list(filter: UserListFilter): Promise<{ users: UserRecord[]; total: number }> {
    let query = this.db.selectFrom('users');
    if (filter.group !== undefined) query = query.where('group_name', '=', filter.group);
    if (filter.search !== undefined && filter.search !== '') {
      // Both sides folded by the database's own lower(), so they always agree (a Postgres in the C
      // locale folds ASCII only; SQLite's is made to fold every letter, see db.ts).
      const like = `%${filter.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      query = query.where((eb) => eb.or(['id', 'name', 'email'].map((column) => sql<SqlBool>`lower(${sql.ref(column)}) like lower(${like}) escape '\\'`)));
    }
    const [rows, count] = await Promise.all([
      query.selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filter.limit).offset(filter.offset).execute(),
      query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    ]);
    return { users: rows.map(rowToUser), total: Number(count.n) };
  }

  async update(id: string, patch: UserPatch, now: number): Promise<UserRecord | null> {
    if (patch.group !== undefined) await this.assertGroup(patch.group);
    const current = await this.get(id);
    if (!current) return null;
    await intoGroup(patch.group, () => this.db
      .updateTable('users')
      .set({
        ...(patch.name === undefined ? {} : { name: patch.name }),
        ...(patch.email === undefined ? {} : { email: patch.email }),
        ...(patch.group === undefined ? {} : { group_name: patch.group }),
        ...limitColumns(patch),
        ...(patch.disabled === undefined ? {} : { disabled_at: patch.disabled ? (current.disabledAt ?? now) : null }),
        updated_at: now,
      })
      .where('id', '=', id)
      .execute());
    return this.get(id);
  }

  private async assertGroup(name: string): Promise<void> {
    const group = await this.db.selectFrom('user_groups').select('name').where('name', '=', name).executeTakeFirst();
    if (!group) throw unknownGroup(name);
  }
}

export class SqlGroupStore implements GroupStore {
  constructor(private readonly db: Kysely<Database>) {}

  async list(): Promise<Array<GroupRecord & { users: number }>> {
    const [groups, counts] = await Promise.all([
      this.db.selectFrom('user_groups').selectAll().orderBy('name').execute(),
      this.db.selectFrom('users').select(['group_name', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('group_name').execute(),
    ]);
    return groups.map((row) => ({ ...rowToGroup(row), users: Number(counts.find((c) => c.group_name === row.name)?.n ?? 0) }));
  }

  async get(name: string): Promise<GroupRecord | null> {
    const row = await this.db.selectFrom('user_groups').selectAll().where('name', '=', name).executeTakeFirst();
    return row ? rowToGroup(row) : null;
  }

  async put(group: Omit<GroupRecord, 'createdAt' | 'updatedAt'>, now: number): Promise<GroupRecord> {
    const values = { description: group.description, multiplier_ppm: group.multiplierPpm, overrides: JSON.stringify(group.overrides), updated_at: now };
    await this.db
      .insertInto('user_groups')
      .values({ name: group.name, ...values, created_at: now })
      .onConflict((oc) => oc.column('name').doUpdateSet(values))
      .execute();
    return (await this.get(group.name)) as GroupRecord;
  }

  async delete(name: string): Promise<boolean> {
    const inUse = (id: string) => new AppError('conflict', `Group ${name} still has users (${id} and maybe others); move them to another group first.`);
    try {
      return await this.db.transaction().execute(async (trx) => {
        const member = await trx.selectFrom('users').select('id').where('group_name', '=', name).limit(1).executeTakeFirst();
        if (member) throw inUse(member.id);
        const result = await trx.deleteFrom('user_groups').where('name', '=', name).executeTakeFirst();
        return Number(result.numDeletedRows) === 1;
      });
    } catch (error) {
      // A user joined the group between the check and the delete: the foreign key kept it.
      if (isForeignKeyViolation(error)) throw inUse('one just added');
      throw error;
    }
  }
}
