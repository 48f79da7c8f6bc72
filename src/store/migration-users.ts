/**
 * 0008: customers (decision 0013). A user owns the balance, limits and budget that were a key's;
 * keys belong to a user and may narrow its limits; groups set price multipliers; redemption codes
 * top balances up. Every existing key becomes the one key of a user of its own (`usr_<key id>`),
 * its balance moved to that user intact; ledger, task and usage rows are marked with that user.
 */
import { sql, type Kysely, type Migration } from 'kysely';
import type { SqlDialect } from './dialect-name.js';

type AnyDb = Kysely<unknown>;

const LEDGER_COLUMNS = 'id, key_id, task_id, kind, amount_micros, note, created_at, engine, unit_price_micros';

/** A ledger row's key after going down: its user's first key (which gets the balance), else its own. */
const FIRST_KEY_OF_ROW = sql`coalesce((select k.id from api_keys k where k.user_id = ledger.user_id order by k.created_at, k.id limit 1), key_id, '')`;

/** SQLite cannot change a column's nullability: the ledger is copied into a table of the new shape. */
async function rebuildSqliteLedger(db: AnyDb, keyNullable: boolean): Promise<void> {
  await sql`create table ledger_next (
    id integer primary key autoincrement,
    ${sql.raw(keyNullable ? 'user_id text not null,' : '')}
    key_id text ${sql.raw(keyNullable ? '' : 'not null')},
    task_id text, kind text not null, amount_micros bigint not null, note text not null,
    created_at bigint not null, engine text, unit_price_micros bigint)`.execute(db);
  if (keyNullable) {
    await sql`insert into ledger_next (user_id, ${sql.raw(LEDGER_COLUMNS)}) select 'usr_' || key_id, ${sql.raw(LEDGER_COLUMNS)} from ledger`.execute(db);
  } else {
    // Back to one balance per key: the user's whole ledger goes to its first key, with its balance.
    await sql`insert into ledger_next (${sql.raw(LEDGER_COLUMNS)})
      select id, ${FIRST_KEY_OF_ROW}, task_id, kind, amount_micros, note, created_at, engine, unit_price_micros from ledger`.execute(db);
  }
  await sql`drop table ledger`.execute(db);
  await sql`alter table ledger_next rename to ledger`.execute(db);
  await sql`create index ledger_key on ledger (key_id, id)`.execute(db);
  await sql`create index ledger_task on ledger (task_id)`.execute(db);
}

export function usersMigration(dialect: SqlDialect): Migration {
  return {
    async up(db: AnyDb) {
      await db.schema
        .createTable('user_groups')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('multiplier_ppm', 'bigint', (c) => c.notNull())
        .addColumn('overrides', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      const now = Date.now();
      await sql`insert into user_groups (name, description, multiplier_ppm, overrides, created_at, updated_at) values ('default', 'List prices', 1000000, '{}', ${now}, ${now})`.execute(db);

      await db.schema
        .createTable('users')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('email', 'text')
        .addColumn('group_name', 'text', (c) => c.notNull().references('user_groups.name'))
        .addColumn('balance_micros', 'bigint')
        .addColumn('rate_limit_per_minute', 'integer')
        .addColumn('max_in_flight', 'integer')
        .addColumn('models', 'text')
        .addColumn('budget_micros', 'bigint')
        .addColumn('budget_period', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('disabled_at', 'bigint')
        .execute();
      await db.schema.createIndex('users_group').on('users').columns(['group_name']).execute();
      await db.schema.createIndex('users_created').on('users').columns(['created_at', 'id']).execute();
      await sql`insert into users (id, name, email, group_name, balance_micros, created_at, updated_at)
        select 'usr_' || id, name, null, 'default', balance_micros, created_at, created_at from api_keys`.execute(db);

      await db.schema.alterTable('api_keys').addColumn('user_id', 'text').execute();
      await db.schema.alterTable('api_keys').addColumn('budget_micros', 'bigint').execute();
      await db.schema.alterTable('api_keys').addColumn('budget_period', 'text').execute();
      await sql`update api_keys set user_id = 'usr_' || id`.execute(db);
      await db.schema.alterTable('api_keys').dropColumn('balance_micros').execute();
      await db.schema.createIndex('api_keys_user').on('api_keys').columns(['user_id', 'created_at']).execute();

      if (dialect === 'postgres') {
        await sql`alter table api_keys alter column user_id set not null`.execute(db);
        await sql`alter table ledger add column user_id text`.execute(db);
        await sql`update ledger set user_id = 'usr_' || key_id`.execute(db);
        await sql`alter table ledger alter column user_id set not null`.execute(db);
        await sql`alter table ledger alter column key_id drop not null`.execute(db);
      } else {
        await rebuildSqliteLedger(db, true);
      }
      await db.schema.createIndex('ledger_user').on('ledger').columns(['user_id', 'id']).execute();

      await db.schema.alterTable('tasks').addColumn('user_id', 'text').execute();
      await db.schema.alterTable('tasks').addColumn('price_multiplier_ppm', 'bigint', (c) => c.notNull().defaultTo(1_000_000)).execute();
      await sql`update tasks set user_id = 'usr_' || key_id`.execute(db);
      // A budget sums the user's (or key's) tasks since the period's start.
      await db.schema.createIndex('tasks_user_created').on('tasks').columns(['user_id', 'created_at']).execute();
      // A user's tasks in flight, counted at each submit.
      await db.schema.createIndex('tasks_user_status').on('tasks').columns(['user_id', 'status']).execute();

      await db.schema.alterTable('usage_records').addColumn('user_id', 'text').execute();
      await sql`update usage_records set user_id = 'usr_' || key_id`.execute(db);
      await db.schema.createIndex('usage_user_created').on('usage_records').columns(['user_id', 'created_at']).execute();

      await db.schema
        .createTable('redemption_batches')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('amount_micros', 'bigint', (c) => c.notNull())
        .addColumn('count', 'integer', (c) => c.notNull())
        .addColumn('expires_at', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('revoked_at', 'bigint')
        .execute();
      await db.schema
        .createTable('redemption_codes')
        .addColumn('code_hash', 'text', (c) => c.primaryKey())
        .addColumn('batch_id', 'text', (c) => c.notNull().references('redemption_batches.id'))
        .addColumn('code_prefix', 'text', (c) => c.notNull())
        .addColumn('redeemed_at', 'bigint')
        .addColumn('user_id', 'text')
        .addColumn('key_id', 'text')
        .execute();
      await db.schema.createIndex('redemption_codes_batch').on('redemption_codes').columns(['batch_id', 'redeemed_at']).execute();
    },
    async down(db: AnyDb) {
      for (const table of ['redemption_codes', 'redemption_batches']) await db.schema.dropTable(table).ifExists().execute();
      await db.schema.dropIndex('usage_user_created').ifExists().execute();
      await db.schema.alterTable('usage_records').dropColumn('user_id').execute();
      await db.schema.dropIndex('tasks_user_created').ifExists().execute();
      await db.schema.dropIndex('tasks_user_status').ifExists().execute();
      await db.schema.alterTable('tasks').dropColumn('price_multiplier_ppm').execute();
      await db.schema.alterTable('tasks').dropColumn('user_id').execute();
      // A user's balance and ledger go back to its first key; its other keys keep a balance of 0
      // (an unlimited user's stay unlimited). Go down with no task in flight: a task held by another
      // key would be released to that key, not to the one that now holds the balance.
      await db.schema.alterTable('api_keys').addColumn('balance_micros', 'bigint').execute();
      await sql`update api_keys set balance_micros = (select case
          when u.balance_micros is null then null
          when api_keys.id = (select k.id from api_keys k where k.user_id = api_keys.user_id order by k.created_at, k.id limit 1) then u.balance_micros
          else 0 end
        from users u where u.id = api_keys.user_id)`.execute(db);
      await db.schema.dropIndex('ledger_user').ifExists().execute();
      if (dialect === 'postgres') {
        await sql`update ledger set key_id = ${FIRST_KEY_OF_ROW}`.execute(db);
        await sql`alter table ledger alter column key_id set not null`.execute(db);
        await sql`alter table ledger drop column user_id`.execute(db);
      } else {
        await rebuildSqliteLedger(db, false);
      }
      await db.schema.dropIndex('api_keys_user').ifExists().execute();
      for (const column of ['budget_period', 'budget_micros', 'user_id']) await db.schema.alterTable('api_keys').dropColumn(column).execute();
      await db.schema.dropTable('users').ifExists().execute();
      await db.schema.dropTable('user_groups').ifExists().execute();
    },
  };
}
