/**
 * Schema migrations, in code so the built server needs no extra files. Kysely's migrator takes
 * a Postgres advisory lock, so several nodes starting together do not race.
 */
import { sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import type { SqlDialect } from './dialect-name.js';
import { usersMigration } from './migration-users.js';


// Migrations see the database as it was when they were written, not as Database is now.
type AnyDb = Kysely<unknown>;

function migrations(dialect: SqlDialect): Record<string, Migration> {
  const serial = (db: AnyDb, table: string) =>
    dialect === 'postgres'
      ? db.schema.createTable(table).addColumn('id', 'bigserial', (c) => c.primaryKey())
      : db.schema.createTable(table).addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());

  return {
    '0001_tasks_keys': {
      async up(db: AnyDb) {
        await db.schema
          .createTable('tasks')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('key_id', 'text', (c) => c.notNull())
          .addColumn('model', 'text', (c) => c.notNull())
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('spec', 'text', (c) => c.notNull())
          .addColumn('inputs', 'text', (c) => c.notNull())
          .addColumn('engine', 'text')
          .addColumn('operation', 'text')
          .addColumn('outputs', 'text', (c) => c.notNull())
          .addColumn('usage', 'text')
          .addColumn('actual_prompt', 'text')
          .addColumn('error', 'text')
          .addColumn('warnings', 'text', (c) => c.notNull())
          .addColumn('attempts', 'integer', (c) => c.notNull())
          .addColumn('cancel_requested', 'integer', (c) => c.notNull())
          .addColumn('origin', 'text', (c) => c.notNull())
          .addColumn('request_id', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('started_at', 'bigint')
          .addColumn('finished_at', 'bigint')
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .addColumn('lease_until', 'bigint')
          .addColumn('worker_id', 'text')
          .execute();
        await db.schema.createIndex('tasks_key_created').on('tasks').columns(['key_id', 'created_at']).execute();
        await db.schema.createIndex('tasks_status_created').on('tasks').columns(['status', 'created_at']).execute();
        await db.schema.createIndex('tasks_status_lease').on('tasks').columns(['status', 'lease_until']).execute();

        await serial(db, 'task_logs')
          .addColumn('task_id', 'text', (c) => c.notNull())
          .addColumn('at', 'bigint', (c) => c.notNull())
          .addColumn('level', 'text', (c) => c.notNull())
          .addColumn('message', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('task_logs_task').on('task_logs').columns(['task_id', 'id']).execute();

        await db.schema
          .createTable('api_keys')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('key_hash', 'text', (c) => c.notNull().unique())
          .addColumn('key_prefix', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('revoked_at', 'bigint')
          .addColumn('expires_at', 'bigint')
          .addColumn('rate_limit_per_minute', 'integer')
          .addColumn('max_in_flight', 'integer')
          .addColumn('models', 'text')
          .execute();

        await db.schema
          .createTable('settings')
          .addColumn('name', 'text', (c) => c.primaryKey())
          .addColumn('value', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .execute();
      },
      async down(db: AnyDb) {
        for (const table of ['settings', 'api_keys', 'task_logs', 'tasks']) {
          await db.schema.dropTable(table).ifExists().execute();
        }
      },
    },
    '0002_accounts': {
      async up(db: AnyDb) {
        await db.schema.alterTable('api_keys').addColumn('balance_micros', 'bigint').execute();
        await db.schema.alterTable('tasks').addColumn('price_micros', 'bigint', (c) => c.notNull().defaultTo(0)).execute();
        await db.schema.alterTable('tasks').addColumn('hold_micros', 'bigint', (c) => c.notNull().defaultTo(0)).execute();
        await db.schema.alterTable('tasks').addColumn('charged_micros', 'bigint').execute();
        await db.schema.alterTable('tasks').addColumn('billing_state', 'text', (c) => c.notNull().defaultTo('none')).execute();
        await db.schema.createIndex('tasks_key_status').on('tasks').columns(['key_id', 'status']).execute();
        await db.schema.createIndex('tasks_billing').on('tasks').columns(['billing_state', 'status']).execute();

        await serial(db, 'ledger')
          .addColumn('key_id', 'text', (c) => c.notNull())
          .addColumn('task_id', 'text')
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('amount_micros', 'bigint', (c) => c.notNull())
          .addColumn('note', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('ledger_key').on('ledger').columns(['key_id', 'id']).execute();
        await db.schema.createIndex('ledger_task').on('ledger').columns(['task_id']).execute();

        await db.schema
          .createTable('usage_records')
          .addColumn('task_id', 'text', (c) => c.primaryKey())
          .addColumn('key_id', 'text', (c) => c.notNull())
          .addColumn('model', 'text', (c) => c.notNull())
          .addColumn('images', 'integer', (c) => c.notNull())
          .addColumn('unit_price_micros', 'bigint', (c) => c.notNull())
          .addColumn('amount_micros', 'bigint', (c) => c.notNull())
          .addColumn('currency', 'text', (c) => c.notNull())
          .addColumn('description', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('usage_key_created').on('usage_records').columns(['key_id', 'created_at']).execute();
        await db.schema.createIndex('usage_created').on('usage_records').columns(['created_at']).execute();

        await db.schema
          .createTable('idempotency_keys')
          .addColumn('key_id', 'text', (c) => c.notNull())
          .addColumn('idem_key', 'text', (c) => c.notNull())
          .addColumn('fingerprint', 'text', (c) => c.notNull())
          .addColumn('task_id', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('idempotency_keys_pk', ['key_id', 'idem_key'])
          .execute();
        await db.schema.createIndex('idempotency_created').on('idempotency_keys').columns(['created_at']).execute();
      },
      async down(db: AnyDb) {
        for (const table of ['idempotency_keys', 'usage_records', 'ledger']) await db.schema.dropTable(table).ifExists().execute();
      },
    },
    // The queue dialects' per-request options (fal, SeaArt), the webhook a task was submitted
    // with (kept from submit, so it survives a restart), and the persisted deliveries.
    '0003_webhooks': {
      async up(db: AnyDb) {
        await db.schema
          .createTable('queue_requests')
          .addColumn('task_id', 'text', (c) => c.primaryKey())
          .addColumn('dialect', 'text', (c) => c.notNull())
          .addColumn('endpoint', 'text', (c) => c.notNull())
          .addColumn('sync_mode', 'integer', (c) => c.notNull())
          .addColumn('start_deadline', 'bigint')
          .addColumn('timed_out', 'integer', (c) => c.notNull())
          .addColumn('webhook_url', 'text')
          .addColumn('webhook_state', 'text')
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('queue_requests_webhook').on('queue_requests').columns(['webhook_state']).execute();
        await db.schema.createIndex('queue_requests_deadline').on('queue_requests').columns(['start_deadline']).execute();

        await serial(db, 'webhook_deliveries')
          .addColumn('task_id', 'text', (c) => c.notNull().unique())
          .addColumn('url', 'text', (c) => c.notNull())
          .addColumn('body', 'text', (c) => c.notNull())
          .addColumn('state', 'text', (c) => c.notNull())
          .addColumn('attempts', 'integer', (c) => c.notNull())
          .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
          .addColumn('claimed_by', 'text')
          .addColumn('claimed_until', 'bigint')
          .addColumn('last_status', 'integer')
          .addColumn('last_error', 'text')
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .addColumn('finished_at', 'bigint')
          .execute();
        await db.schema.createIndex('webhook_deliveries_due').on('webhook_deliveries').columns(['state', 'next_attempt_at']).execute();
      },
      async down(db: AnyDb) {
        for (const table of ['webhook_deliveries', 'queue_requests']) await db.schema.dropTable(table).ifExists().execute();
      },
    },
    // Blobs owned by their task, deleted once past the output retention (files.retentionDays).
    '0004_blob_retention': {
      async up(db: AnyDb) {
        await db.schema.alterTable('tasks').addColumn('blob_scope', 'text').execute();
        await db.schema.createIndex('tasks_blob_scope_finished').on('tasks').columns(['blob_scope', 'finished_at']).execute();
      },
      async down(db: AnyDb) {
        await db.schema.dropIndex('tasks_blob_scope_finished').ifExists().execute();
        await db.schema.alterTable('tasks').dropColumn('blob_scope').execute();
      },
    },
    // Prices by engine: a task's settlement records the engine whose price it applied. Rows from
    // before keep their amounts, with no engine (null).
    '0005_engine_prices': {
      async up(db: AnyDb) {
        await db.schema.alterTable('usage_records').addColumn('engine', 'text').execute();
        // Usage by engine (the usage routes' `engine=` filter).
        await db.schema.createIndex('usage_engine_created').on('usage_records').columns(['engine', 'created_at']).execute();
        await db.schema.alterTable('ledger').addColumn('engine', 'text').execute();
        await db.schema.alterTable('ledger').addColumn('unit_price_micros', 'bigint').execute();
      },
      async down(db: AnyDb) {
        await db.schema.alterTable('ledger').dropColumn('unit_price_micros').execute();
        await db.schema.alterTable('ledger').dropColumn('engine').execute();
        await db.schema.dropIndex('usage_engine_created').ifExists().execute();
        await db.schema.alterTable('usage_records').dropColumn('engine').execute();
      },
    },
    // 0005 left the rows of the version before with no engine, though their task records the one
    // it ran on (that version charged the hold's unit price whatever the engine). Fill in what the
    // current version writes: the usage row's engine, and the engine and unit price on the release
    // of a task settled with images (holds, credits and the releases of tasks that made nothing
    // carry none). Amounts are untouched; a row whose task is gone stays null. A separate migration,
    // since databases have already run 0005.
    '0006_backfill_engines': {
      async up(db: AnyDb) {
        await sql`
          update usage_records set engine = (select t.engine from tasks t where t.id = usage_records.task_id)
          where engine is null
            and exists (select 1 from tasks t where t.id = usage_records.task_id and t.engine is not null)`.execute(db);
        await sql`
          update ledger set
            engine = (select u.engine from usage_records u where u.task_id = ledger.task_id),
            unit_price_micros = (select u.unit_price_micros from usage_records u where u.task_id = ledger.task_id)
          where kind = 'release' and engine is null and unit_price_micros is null
            and exists (select 1 from usage_records u where u.task_id = ledger.task_id and u.engine is not null)`.execute(db);
      },
      // Nothing to undo: the values filled in are what the rows would have had; 0005's down drops the columns.
      async down() {},
    },
    // Channels (decision 0011): the catalog managed at runtime — channels with their credentials,
    // routes, prices and the config file's seeds, one version row that every save bumps (the
    // optimistic check), and the audit log. Usage rows record the credential that made the images
    // and their upstream cost; rows from before get none and 0.
    '0007_channels': {
      async up(db: AnyDb) {
        await db.schema
          .createTable('channels')
          .addColumn('name', 'text', (c) => c.primaryKey())
          .addColumn('position', 'integer', (c) => c.notNull())
          .addColumn('engine', 'text', (c) => c.notNull())
          .addColumn('enabled', 'integer', (c) => c.notNull())
          .addColumn('cost', 'text', (c) => c.notNull())
          .addColumn('test', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .execute();

        await db.schema
          .createTable('channel_credentials')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('channel', 'text', (c) => c.notNull().references('channels.name').onDelete('cascade'))
          .addColumn('position', 'integer', (c) => c.notNull())
          .addColumn('label', 'text', (c) => c.notNull())
          .addColumn('last4', 'text', (c) => c.notNull())
          .addColumn('secret', 'text', (c) => c.notNull())
          .addColumn('region', 'text')
          .addColumn('qps', 'double precision')
          .addColumn('max_concurrent', 'integer')
          .addColumn('weight', 'double precision', (c) => c.notNull())
          .addColumn('cost', 'text')
          .addColumn('enabled', 'integer', (c) => c.notNull())
          .addColumn('disabled', 'text')
          .addColumn('last_disable', 'text')
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('channel_credentials_channel').on('channel_credentials').columns(['channel', 'position']).execute();

        await db.schema
          .createTable('channel_routes')
          .addColumn('route', 'text', (c) => c.notNull())
          .addColumn('position', 'integer', (c) => c.notNull())
          .addColumn('channel', 'text', (c) => c.notNull())
          .addColumn('priority', 'double precision', (c) => c.notNull())
          .addColumn('weight', 'double precision', (c) => c.notNull())
          .addPrimaryKeyConstraint('channel_routes_pk', ['route', 'position'])
          .execute();

        await db.schema
          .createTable('catalog_state')
          .addColumn('id', 'integer', (c) => c.primaryKey())
          .addColumn('version', 'bigint', (c) => c.notNull())
          .addColumn('prices', 'text', (c) => c.notNull())
          .addColumn('seeds', 'text', (c) => c.notNull())
          .execute();
        // The one row, there from the start, so even the first two saves race on one UPDATE.
        await sql`insert into catalog_state (id, version, prices, seeds) values (1, 0, ${JSON.stringify({ perImage: {}, perEngine: {} })}, '{}')`.execute(db);

        await serial(db, 'catalog_audit')
          .addColumn('at', 'bigint', (c) => c.notNull())
          .addColumn('actor', 'text', (c) => c.notNull())
          .addColumn('action', 'text', (c) => c.notNull())
          .addColumn('subject', 'text', (c) => c.notNull())
          .addColumn('before', 'text', (c) => c.notNull())
          .addColumn('after', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('catalog_audit_subject_at').on('catalog_audit').columns(['subject', 'at']).execute();
        await db.schema.createIndex('catalog_audit_at').on('catalog_audit').columns(['at']).execute();

        await db.schema.alterTable('usage_records').addColumn('credential', 'text').execute();
        await db.schema.alterTable('usage_records').addColumn('cost_micros', 'bigint', (c) => c.notNull().defaultTo(0)).execute();
      },
      async down(db: AnyDb) {
        await db.schema.alterTable('usage_records').dropColumn('cost_micros').execute();
        await db.schema.alterTable('usage_records').dropColumn('credential').execute();
        for (const table of ['catalog_audit', 'catalog_state', 'channel_routes', 'channel_credentials', 'channels']) await db.schema.dropTable(table).ifExists().execute();
      },
    },
    '0008_users': usersMigration(dialect),
  };
}

export function migrationProvider(dialect: SqlDialect): MigrationProvider {
  return { getMigrations: async () => migrations(dialect) };
}
