/** Store targets for contract suites: SQLite always, Postgres when DATABASE_URL is set. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openStore, type SqlStore } from '../../src/store/db.js';

export interface StoreTarget {
  name: string;
  open(): Promise<{ store: SqlStore; cleanup(): Promise<void> }>;
}

export function tempDir(prefix = 'qig-test-'): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** A Postgres URL with a fresh schema of its own, and a way to drop it. */
export function postgresSchemaUrl(base: string): { url: string; drop(): Promise<void> } {
  const schema = `qig_t_${randomBytes(6).toString('hex')}`;
  const url = new URL(base);
  url.searchParams.set('schema', schema);
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: base });
      await client.connect();
      await client.query(`drop schema if exists ${schema} cascade`);
      await client.end();
    },
  };
}

export function storeTargets(): StoreTarget[] {
  const targets: StoreTarget[] = [
    {
      name: 'sqlite',
      async open() {
        const dir = tempDir();
        const store = await openStore({ databaseUrl: null, dataDir: dir.path });
        return { store, cleanup: async () => { await store.close(); dir.remove(); } };
      },
    },
  ];
  const base = process.env.DATABASE_URL;
  if (base) {
    targets.push({
      name: 'postgres',
      async open() {
        const schema = postgresSchemaUrl(base);
        const store = await openStore({ databaseUrl: schema.url, dataDir: tmpdir() });
        return { store, cleanup: async () => { await store.close(); await schema.drop(); } };
      },
    });
  }
  return targets;
}
