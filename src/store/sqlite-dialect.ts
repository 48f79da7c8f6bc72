/**
 * Kysely's SQLite dialect, keeping the error that ended a transaction. On some errors (the disk
 * full, an I/O error) SQLite rolls the transaction back itself; Kysely's ROLLBACK after that fails
 * with "cannot rollback - no transaction is active", and that error, which says nothing, replaces
 * SQLITE_FULL, which says the disk is full (a 503 to retry, not a 500).
 */
import type { Database as SqliteFile } from 'better-sqlite3';
import { SqliteDialect, SqliteDriver, type DatabaseConnection, type Driver, type SqliteDatabase } from 'kysely';

class SqliteDriverKeepingErrors extends SqliteDriver {
  readonly #file: SqliteFile;

  constructor(file: SqliteFile, database: SqliteDatabase) {
    super({ database });
    this.#file = file;
  }

  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    if (this.#file.inTransaction) await super.rollbackTransaction(connection);
  }

  override async rollbackToSavepoint(...args: Parameters<SqliteDriver['rollbackToSavepoint']>): Promise<void> {
    if (this.#file.inTransaction) await super.rollbackToSavepoint(...args);
  }
}

/** Kysely's SQLite dialect (compiler, adapter, introspector) on one file, with a driver of this project's. */
export class SqliteFileDialect extends SqliteDialect {
  readonly #file: SqliteFile;
  readonly #database: SqliteDatabase;
  readonly #driver: (file: SqliteFile, database: SqliteDatabase) => Driver;

  /** `database` is how Kysely reaches `file` (a statement cache, say); `file` says whether a transaction is open. */
  constructor(file: SqliteFile, database: SqliteDatabase, driver: (file: SqliteFile, database: SqliteDatabase) => Driver) {
    super({ database });
    this.#file = file;
    this.#database = database;
    this.#driver = driver;
  }

  override createDriver(): Driver {
    return this.#driver(this.#file, this.#database);
  }
}

export class SqliteDialectKeepingErrors extends SqliteFileDialect {
  constructor(file: SqliteFile, database: SqliteDatabase) {
    super(file, database, (f, d) => new SqliteDriverKeepingErrors(f, d));
  }
}
