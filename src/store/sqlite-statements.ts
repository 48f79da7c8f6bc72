/**
 * better-sqlite3 behind Kysely prepares every query anew; preparing costs more than running a
 * small query. This keeps prepared statements by SQL text (bounded, least recently used out).
 */
import type { Database as SqliteFile, Statement } from 'better-sqlite3';
import type { SqliteDatabase, SqliteStatement } from 'kysely';
import { LruCache } from '../lib/lru.js';

export function withStatementCache(file: SqliteFile, limit = 500): SqliteDatabase {
  const cache = new LruCache<string, Statement>(limit);
  return {
    close: () => void file.close(),
    prepare(sql: string): SqliteStatement {
      let statement = cache.get(sql);
      if (!statement) {
        statement = file.prepare(sql);
        cache.set(sql, statement);
      }
      return statement;
    },
  };
}
