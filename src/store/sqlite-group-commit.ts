/**
 * Kysely's SQLite dialect with group commit, for the long-running server: the writes of many
 * transactions share one COMMIT.
 *
 * A commit costs more than the statements it ends (every page a transaction dirtied goes to the
 * WAL, once per commit), and on a busy server neighbouring requests dirty the same pages (the
 * tasks table's newest leaf, its indexes, the ledger). So a transaction here runs as a SAVEPOINT
 * inside a shared "group" transaction, and a write outside a transaction joins the group too.
 * When its user gives the connection back, the connection goes to the next user at once and the
 * caller waits for the group's COMMIT, which takes its turn once the event loop has had one
 * (`setImmediate`). A caller is answered only after its rows are committed, as before. If the
 * COMMIT fails, or SQLite rolls the group back itself (the disk full), every member fails and none
 * of their rows stay.
 *
 * Kysely's controlled transactions (`startTransaction`, savepoints) are not offered: their commit
 * would be answered before the group's COMMIT (lint forbids them in src/).
 *
 * Rules this relies on (docs/decisions/0014-group-commit.md): a transaction awaits nothing but the
 * database (a member that waits holds up the group's COMMIT, and everyone after it); one process
 * opens its data directory once (a second connection in the same process would wait, blocking
 * the event loop, for a write lock the group holds until its next turn). Migrations run before,
 * on the plain dialect (`sqlite-dialect.ts`), since pragmas and DDL want no open transaction.
 */
import type { Database as SqliteFile } from 'better-sqlite3';
import {
  SelectQueryNode,
  type CompiledQuery,
  type DatabaseConnection,
  type Driver,
  type QueryResult,
  type SqliteDatabase,
  type SqliteStatement,
} from 'kysely';
import { Semaphore } from '../lib/semaphore.js';
import { SqliteFileDialect } from './sqlite-dialect.js';

const BEGIN = 'begin immediate';
const COMMIT = 'commit';
const ROLLBACK = 'rollback';
const SAVEPOINT = 'savepoint qig_tx';
const RELEASE = 'release qig_tx';
const ROLLBACK_TO = 'rollback to qig_tx';
const ROLLED_BACK = 'the transaction was rolled back by SQLite';
const OUTSIDE_TRANSACTIONS = /^\s*(pragma|vacuum)\b/i;

/** better-sqlite3's statement says whether it writes; a write with RETURNING is also a reader. */
type Statement = SqliteStatement & { readonly?: boolean };

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

/** One shared transaction: who waits for its COMMIT, and why it cannot commit, if it cannot. */
interface Group {
  waiters: Waiter[];
  failed: { error: Error } | null;
}

/** One use of the connection, from acquire to release (a transaction lives inside one). */
class Lease implements DatabaseConnection {
  inTransaction = false;
  /** It wrote into the group (a transaction's savepoint released, or a write outside one). */
  joined: Group | null = null;
  /** What ended its transaction under it, when SQLite rolled the group back itself. */
  aborted: Error | null = null;

  constructor(readonly driver: GroupCommitSqliteDriver) {}

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    return Promise.resolve(this.driver.run<R>(this, query));
  }

  async *streamQuery<R>(query: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    if (!SelectQueryNode.is(query.query)) throw new Error('Sqlite driver only supports streaming of select queries');
    for (const row of this.driver.prepare(query.sql).iterate(query.parameters) as Iterable<R>) yield { rows: [row] };
  }
}

/** Another member's failure as this member hears it: a disk's error stays one; a constraint is not this member's. */
function shared(error: unknown): Error {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  const own = typeof code === 'string' && !code.startsWith('SQLITE_CONSTRAINT') ? { code } : {};
  return Object.assign(new Error(`${ROLLED_BACK} with its commit group: ${message}`), own);
}

export class GroupCommitSqliteDriver implements Driver {
  readonly #file: SqliteFile;
  readonly #database: SqliteDatabase;
  /** The one connection, one user at a time; the group's COMMIT takes its turn like any user. */
  readonly #mutex = new Semaphore(1);
  #group: Group | null = null;
  #flush: Promise<void> | null = null;

  constructor(file: SqliteFile, database: SqliteDatabase) {
    this.#file = file;
    this.#database = database;
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    await this.#mutex.acquire();
    return new Lease(this);
  }

  prepare(sql: string): Statement {
    return this.#database.prepare(sql);
  }

  /** Runs one statement for `lease`; a write outside a transaction opens (or joins) the group. */
  run<R>(lease: Lease, query: CompiledQuery): QueryResult<R> {
    // Once SQLite has rolled the group back, the rest of a transaction must not autocommit.
    if (lease.inTransaction && !this.#file.inTransaction) throw lease.aborted ?? new Error(ROLLED_BACK);
    const statement = this.prepare(query.sql);
    // PRAGMA and VACUUM want no transaction around them: they never open a group.
    const writes = (statement.readonly === undefined ? !statement.reader : !statement.readonly) && !OUTSIDE_TRANSACTIONS.test(query.sql);
    if (writes && !lease.inTransaction) this.#join(lease, this.#open());
    try {
      if (statement.reader) return { rows: statement.all(query.parameters) as R[] };
      const { changes, lastInsertRowid } = statement.run(query.parameters);
      return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
    } catch (error) {
      if (this.#noteAbort(error) && error instanceof Error) lease.aborted = error;
      throw error;
    }
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    const lease = connection as Lease;
    this.#join(lease, this.#open());
    this.#exec(SAVEPOINT);
    lease.inTransaction = true;
  }

  /** Releases the savepoint; the caller is answered after the group's COMMIT (see releaseConnection). */
  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    const lease = connection as Lease;
    if (!this.#file.inTransaction || this.#group !== lease.joined) throw lease.aborted ?? new Error(ROLLED_BACK);
    this.#exec(RELEASE);
    lease.inTransaction = false;
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    const lease = connection as Lease;
    lease.inTransaction = false;
    // SQLite may have rolled the whole group back itself (the disk full): nothing left to undo.
    if (!this.#file.inTransaction || this.#group !== lease.joined) return;
    this.#exec(ROLLBACK_TO);
    this.#exec(RELEASE);
  }

  /** Hands the connection to the next user, then, if it wrote, waits for its group's COMMIT. */
  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    const lease = connection as Lease;
    const group = lease.joined;
    lease.joined = null;
    if (!group || group.failed) {
      this.#mutex.release();
      // The member whose statement made SQLite roll the group back has that error already.
      if (group?.failed && !lease.aborted) throw group.failed.error;
      return;
    }
    const committed = new Promise<void>((resolve, reject) => group.waiters.push({ resolve, reject }));
    this.#scheduleFlush();
    this.#mutex.release();
    await committed;
  }

  async destroy(): Promise<void> {
    try {
      await this.#flush;
    } finally {
      this.#database.close();
    }
  }

  /** The open group, opening one (and dropping a transaction SQLite left behind) if there is none. */
  #open(): Group {
    if (this.#group && this.#file.inTransaction) return this.#group;
    if (this.#group) this.#abandon(new Error(ROLLED_BACK));
    if (this.#file.inTransaction) this.#database.prepare(ROLLBACK).run([]);
    this.#exec(BEGIN);
    const group: Group = { waiters: [], failed: null };
    this.#group = group;
    this.#scheduleFlush();
    return group;
  }

  /** A lease stays in one group: if its group was rolled back meanwhile, what it wrote there is gone. */
  #join(lease: Lease, group: Group): void {
    if (lease.joined && lease.joined !== group) throw lease.joined.failed?.error ?? new Error(ROLLED_BACK);
    lease.joined = group;
  }

  #scheduleFlush(): void {
    this.#flush ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.#commitGroup());
  }

  /** Commits the open group and answers its members. Never rejects. */
  async #commitGroup(): Promise<void> {
    await this.#mutex.acquire();
    this.#flush = null;
    const group = this.#group;
    this.#group = null;
    try {
      // A group SQLite rolled back was answered when it was abandoned; this is the current one.
      if (!group) return;
      if (!this.#file.inTransaction) throw new Error(ROLLED_BACK);
      this.#exec(COMMIT);
      for (const waiter of group.waiters) waiter.resolve();
    } catch (error) {
      try {
        if (this.#file.inTransaction) this.#exec(ROLLBACK);
      } catch {
        // Left in a transaction: the next write rolls it back before it begins (#open).
      }
      for (const waiter of group?.waiters ?? []) waiter.reject(error);
    } finally {
      this.#mutex.release();
    }
  }

  /** After a failed statement: if SQLite ended the group's transaction, the group cannot commit. */
  #noteAbort(error: unknown): boolean {
    if (!this.#group || this.#file.inTransaction) return false;
    this.#abandon(error);
    return true;
  }

  /** Its members (already answered by no one) fail when their turn comes; the next write opens a new group. */
  #abandon(error: unknown): void {
    const group = this.#group;
    if (!group) return;
    this.#group = null;
    group.failed ??= { error: shared(error) };
    // Those already waiting hear now; those still holding a part of it hear when they end.
    for (const waiter of group.waiters.splice(0)) waiter.reject(group.failed.error);
  }

  #exec(sql: string): void {
    try {
      this.#database.prepare(sql).run([]);
    } catch (error) {
      this.#noteAbort(error);
      throw error;
    }
  }
}

/** Kysely's SQLite dialect with the group-commit driver. */
export class SqliteGroupCommitDialect extends SqliteFileDialect {
  constructor(file: SqliteFile, database: SqliteDatabase) {
    super(file, database, (f, d) => new GroupCommitSqliteDriver(f, d));
  }
}
