/**
 * Opens the SQL store: SQLite in QIG_DATA_DIR by default, Postgres when DATABASE_URL is set.
 * One Kysely codebase serves both.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { markDatabaseFailure } from '../domain/infrastructure-errors.js';
import type { SqlDialect } from './dialect-name.js';
import { migrationProvider } from './migrations.js';
import { startCheckpointer, type Checkpointer } from './sqlite-checkpointer.js';
import { SqliteDialectKeepingErrors } from './sqlite-dialect.js';
import { SqliteGroupCommitDialect } from './sqlite-group-commit.js';
import { withStatementCache } from './sqlite-statements.js';
import type { Database } from './schema.js';

export interface SqlStore {
  db: Kysely<Database>;
  dialect: SqlDialect;
  close(): Promise<void>;
}

export interface OpenStoreOptions {
  databaseUrl: string | null;
  dataDir: string;
  /** Postgres pool size. */
  poolSize?: number;
  /**
   * Postgres: how long the server lets one of our sessions sit idle inside a transaction before
   * it ends it (default 30 s). A node that stops mid-transaction without its connection closing
   * (a frozen VM, a partition) would otherwise hold the rows it locked (a key's balance: every
   * submit of that key) until TCP gives up, which takes minutes. 0 leaves the server's setting.
   */
  idleInTransactionMs?: number;
  /**
   * Postgres: an idle pooled connection failed (the server restarted, a failover, a terminated
   * backend). The pool drops it and opens another when asked; this only hears about it.
   */
  onConnectionError?: (error: Error) => void;
  /**
   * SQLite: checkpoint the WAL on a worker thread instead of inside commits (a long-running
   * server wants this; a short CLI command does not). `onFailure` hears if that thread fails.
   */
  backgroundCheckpoints?: { intervalMs: number; onFailure: (error: unknown) => void };
}

const INT8_OID = 20;

/**
 * Splits a `schema` query parameter off a Postgres URL (pg itself does not know it), and the URL's
 * own startup `options`, which pg would let replace the search path the schema sets.
 */
function postgresTarget(url: string): { connectionString: string; schema: string | null; options: string | null } {
  const parsed = new URL(url);
  const schema = parsed.searchParams.get('schema');
  const options = parsed.searchParams.get('options');
  parsed.searchParams.delete('schema');
  parsed.searchParams.delete('options');
  if (schema !== null && !/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)) {
    throw new Error(`DATABASE_URL: schema "${schema}" is not a plain identifier`);
  }
  return { connectionString: parsed.toString(), schema, options };
}

/** pg's own parser of a type (typed loosely by pg). */
const builtInParser = pg.types.getTypeParser as (oid: number, format?: 'text' | 'binary') => (value: string) => unknown;

function openPostgres(url: string, options: OpenStoreOptions): SqlStore {
  const { connectionString, schema, options: urlOptions } = postgresTarget(url);
  const startupOptions = [urlOptions, schema ? `-c search_path=${schema}` : null].filter((part) => part !== null).join(' ');
  const onConnectionError = options.onConnectionError ?? (() => {});
  const idleInTransactionMs = Math.round(options.idleInTransactionMs ?? 30_000);
  const pool = new pg.Pool({
    connectionString,
    max: options.poolSize ?? 10,
    // A primary that stops answering (a half-dead host, a dropped route) must not hold requests
    // forever: 5 s to connect, 60 s for a query's answer, and TCP keep-alive to notice a dead peer.
    connectionTimeoutMillis: 5_000,
    query_timeout: 60_000,
    keepAlive: true,
    ...(startupOptions ? { options: startupOptions } : {}),
    // Timestamps are bigint; they fit in a double for the next 285,000 years.
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID ? (value: string) => Number(value) : builtInParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  // A connection the server ends (pg_terminate_backend, a restart, a failover) emits 'error' on
  // its client, checked out or idle, and the pool re-emits an idle one's: unheard, either ends
  // the process. Each client's listener reports it; the pool drops the client on release and
  // opens another when asked.
  // The listener also marks the error as the database's: pg emits it before it rejects the
  // client's pending queries with the same error (on the next tick), so a query that fails with a
  // bare ECONNRESET is known as a database failure (a 503), not a bug.
  pool.on('connect', (client) => {
    client.on('error', (error) => {
      markDatabaseFailure(error);
      onConnectionError(error);
    });
    // A SET as the connection's first statement (queued before any other), not a startup
    // option: PgBouncer refuses startup options it does not track, and a DATABASE_URL's own
    // `options` would replace ours. A failure is the connection's, heard like any other.
    if (idleInTransactionMs > 0) client.query(`set idle_in_transaction_session_timeout = ${idleInTransactionMs}`).catch(() => {});
  });
  pool.on('error', () => {});
  // Whatever fails while opening a connection is the database's too (a reset during start-up or
  // TLS reaches the caller without an 'error' event).
  const connect = () =>
    pool.connect().catch((error: unknown) => {
      if (typeof error === 'object' && error !== null) markDatabaseFailure(error);
      throw error;
    });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: { connect, end: () => pool.end() } }) });
  return { db, dialect: 'postgres', close: () => db.destroy() };
}

async function openSqlite(dataDir: string, checkpoints: OpenStoreOptions['backgroundCheckpoints']): Promise<SqlStore> {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, 'qig.sqlite');
  const file = new SQLite(path);
  file.pragma('journal_mode = WAL');
  file.pragma('synchronous = NORMAL');
  // 64 MiB of page cache (SQLite's default is 2 MiB): a busy tasks table and its indexes stay in memory.
  file.pragma('cache_size = -65536');
  file.pragma('busy_timeout = 5000');
  file.pragma('foreign_keys = ON');
  // SQLite's lower() folds ASCII only; Postgres' folds every letter. Searches (users by name)
  // lower both sides, so the two must agree: `lower` here folds as JavaScript does.
  file.function('lower', { deterministic: true }, (text: unknown) => (typeof text === 'string' ? text.toLowerCase() : text));
  const statements = withStatementCache(file);
  // Migrations first, on the plain dialect: DDL and pragmas want no open transaction around them.
  // Closing it must leave the file open for the store that serves.
  const plain = new Kysely<Database>({ dialect: new SqliteDialectKeepingErrors(file, { prepare: (text: string) => statements.prepare(text), close: () => {} }) });
  try {
    await migrate(plain, 'sqlite', undefined);
  } catch (error) {
    file.close();
    throw error;
  } finally {
    await plain.destroy();
  }
  // A server groups its commits (sqlite-group-commit.ts); a short CLI command has no company to group with.
  const db = new Kysely<Database>({ dialect: checkpoints ? new SqliteGroupCommitDialect(file, statements) : new SqliteDialectKeepingErrors(file, statements) });
  let checkpointer: Checkpointer | null = null;
  if (checkpoints) {
    try {
      checkpointer = await startCheckpointer(file, path, checkpoints);
    } catch (error) {
      // Commits keep checkpointing as SQLite does by default: slower, never wrong.
      checkpoints.onFailure(error);
    }
  }
  return {
    db,
    dialect: 'sqlite',
    async close() {
      // The thread's connection closes first, so the last one to close folds the WAL back in.
      await checkpointer?.stop();
      await db.destroy();
    },
  };
}

async function migrate(db: Kysely<Database>, dialect: SqlDialect, migrationTableSchema: string | undefined): Promise<void> {
  const migrator = new Migrator({ db, provider: migrationProvider(dialect), ...(migrationTableSchema === undefined ? {} : { migrationTableSchema }) });
  const { error } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(`migrations failed: ${JSON.stringify(error)}`);
}

export async function openStore(options: OpenStoreOptions): Promise<SqlStore> {
  if (!options.databaseUrl) return openSqlite(options.dataDir, options.backgroundCheckpoints);
  const store = openPostgres(options.databaseUrl, options);
  try {
    const { schema } = postgresTarget(options.databaseUrl);
    // Concurrent `create schema if not exists` can still collide on pg_namespace: serialise it.
    if (schema) {
      await store.db.transaction().execute(async (trx) => {
        await sql`select pg_advisory_xact_lock(hashtext(${schema}))`.execute(trx);
        await sql`create schema if not exists ${sql.id(schema)}`.execute(trx);
      });
    }
    // Named, or the migrator takes another schema's migration tables for ours.
    const migrationTableSchema = (await sql<{ name: string }>`select current_schema() as name`.execute(store.db)).rows[0]?.name;
    await migrate(store.db, 'postgres', migrationTableSchema);
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}
