/** Shared set-up for the SQLite group-commit tests. */
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, sql, type SqliteDatabase } from 'kysely';
import { SqliteGroupCommitDialect } from '../../../../src/store/sqlite-group-commit.js';
import { tempDir } from '../../../helpers/stores.js';

export interface Schema {
  t: { id: number; v: string };
}

export const dir = tempDir('qig-gc-attack-');

export interface Faults {
  commits: number;
  failCommits: boolean;
  failRollbacks: boolean;
}

function failing(code: string, message: string) {
  return {
    reader: false,
    all: () => [],
    iterate: () => [][Symbol.iterator](),
    run: () => {
      throw Object.assign(new Error(message), { code });
    },
  };
}

/** A database whose COMMIT (and ROLLBACK) can be made to fail, and a second connection reading the file. */
export async function open(name: string) {
  const path = join(dir.path, `${name}-${Math.random().toString(36).slice(2)}.sqlite`);
  const file = new SQLite(path);
  file.pragma('journal_mode = WAL');
  const faults: Faults = { commits: 0, failCommits: false, failRollbacks: false };
  const database: SqliteDatabase = {
    close: () => void file.close(),
    prepare(text: string) {
      if (text === 'commit') {
        faults.commits += 1;
        if (faults.failCommits) return failing('SQLITE_IOERR', 'disk I/O error');
      }
      if (text === 'rollback' && faults.failRollbacks) return failing('SQLITE_IOERR', 'disk I/O error (rollback)');
      return file.prepare(text);
    },
  };
  const db = new Kysely<Schema>({ dialect: new SqliteGroupCommitDialect(file, database) });
  await sql`create table t (id integer primary key, v text not null)`.execute(db);
  const reader = new SQLite(path, { readonly: true });
  const committed = () => reader.prepare('select id, v from t order by id').all() as Array<{ id: number; v: string }>;
  const committedIds = () => committed().map((row) => row.id);
  return {
    db,
    file,
    path,
    faults,
    committed,
    committedIds,
    close: async () => {
      reader.close();
      await db.destroy();
    },
  };
}

export type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

export async function settled<T>(work: Promise<T>): Promise<Settled<T>> {
  try {
    return { ok: true, value: await work };
  } catch (error) {
    return { ok: false, error };
  }
}

/** Resolves with 'timeout' if `work` has not settled within `ms`. */
export function within<T>(work: Promise<T>, ms: number): Promise<Settled<T> | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)));
  return Promise.race([settled(work), timeout]).finally(() => clearTimeout(timer));
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function codeOf(result: Settled<unknown> | 'timeout'): string | undefined {
  if (result === 'timeout' || result.ok) return undefined;
  return (result.error as { code?: string }).code;
}
