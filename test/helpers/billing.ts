/**
 * What the ledger's contract suites share: databases that can be closed and opened again (to
 * migrate one written by an older version) with the task store and ledger over them, billed tasks, their outputs, keys with a balance, and
 * a migration to a given step.
 */
import { insertAccount, userOf } from './accounts.js';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { after, before } from 'node:test';
import { Migrator, sql, type Kysely } from 'kysely';
import type { TaskOutput } from '../../src/domain/task.js';
import { openStore, type SqlStore } from '../../src/store/db.js';
import { migrationProvider } from '../../src/store/migrations.js';
import { SqlLedger } from '../../src/store/ledger-store.js';
import type { NewTask } from '../../src/store/ports.js';
import type { Database } from '../../src/store/schema.js';
import { SqlTaskStore } from '../../src/store/task-store.js';
import { postgresSchemaUrl, tempDir } from './stores.js';

/** A database that can be closed and opened again (to migrate one written by an older version). */
export interface Reopenable {
  name: string;
  open(): Promise<SqlStore>;
  cleanup(): Promise<void>;
}

/** SQLite always; Postgres (a fresh schema) when DATABASE_URL is set. */
export function reopenableTargets(prefix: string): Array<() => Reopenable> {
  const list: Array<() => Reopenable> = [
    () => {
      const dir = tempDir(prefix);
      return { name: 'sqlite', open: () => openStore({ databaseUrl: null, dataDir: dir.path }), cleanup: async () => dir.remove() };
    },
  ];
  const base = process.env.DATABASE_URL;
  if (base) {
    list.push(() => {
      const schema = postgresSchemaUrl(base);
      return { name: 'postgres', open: () => openStore({ databaseUrl: schema.url, dataDir: tmpdir() }), cleanup: () => schema.drop() };
    });
  }
  return list;
}

export interface BillingSuite {
  store: SqlStore;
  tasks: SqlTaskStore;
  ledger: SqlLedger;
  /** Closes the database and opens it again: the current version migrates it to the latest. */
  reopen(): Promise<void>;
}

/** The suite's database (opened before its tests, closed and removed after), with a task store and a ledger in CNY. */
export function billingSuite(target: () => Reopenable): BillingSuite {
  let place: Reopenable | undefined;
  const attach = (store: SqlStore) => Object.assign(suite, { store, tasks: new SqlTaskStore(store.db, { currency: 'CNY', dialect: store.dialect }), ledger: new SqlLedger(store.db, 'CNY') });
  const suite = {
    async reopen() {
      await suite.store.close();
      attach(await (place as Reopenable).open());
    },
  } as BillingSuite;
  before(async () => {
    place = target();
    attach(await place.open());
  });
  after(async () => {
    await suite.store.close();
    await place?.cleanup();
  });
  return suite;
}

export function billedTask(keyId: string, n: number, unitPriceMicros: number, overrides: Partial<NewTask> = {}): NewTask {
  return {
    id: randomUUID(),
    billing: { unitPriceMicros, holdMicros: unitPriceMicros * n },
    keyId,
    userId: userOf(keyId),
    model: 'qwen-image-edit-plus',
    kind: 'edit',
    spec: { prompt: 'p', negativePrompt: null, n, size: { width: 64, height: 64 }, sizeSource: 'default', seed: 1, promptExtend: false, watermark: false, outputFormat: 'png' },
    inputs: [],
    warnings: [],
    origin: 'dashscope',
    requestId: 'req',
    createdAt: 1_000,
    ...overrides,
  };
}

export function output(i: number, engine?: string): TaskOutput {
  return { blobId: `${String(i).padStart(64, '0')}.png`, contentType: 'image/png', width: 64, height: 64, bytes: 10, seed: i, ...(engine ? { engine } : {}) };
}

/** A new key: metered with this opening balance (credited in the ledger), or unlimited (null). */
export async function addKey(db: Kysely<Database>, balanceMicros: number | null): Promise<string> {
  const id = `key_${randomUUID()}`;
  await insertAccount(db, { id, balanceMicros, ledger: true });
  return id;
}

/** Migrates an open store to `name` (down or up), as a version that stops there would have. */
export async function migrateStoreTo(store: SqlStore, name: string): Promise<void> {
  const { db } = store;
  const migrationTableSchema = store.dialect === 'postgres' ? (await sql<{ name: string }>`select current_schema() as name`.execute(db)).rows[0]?.name : undefined;
  const migrator = new Migrator({ db, provider: migrationProvider(store.dialect), ...(migrationTableSchema === undefined ? {} : { migrationTableSchema }) });
  const result = await migrator.migrateTo(name);
  assert.equal(result.error, undefined);
}
