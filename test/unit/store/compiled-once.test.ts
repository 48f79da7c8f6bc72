/**
 * compiledOnce: a query compiled once and bound per call gives exactly the SQL and parameters
 * Kysely compiles for the same values, on SQLite and on Postgres, for every shape of the values.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  sql,
  type Compilable,
} from 'kysely';
import { compiledOnce } from '../../../src/store/compiled-once.js';
import type { Database } from '../../../src/store/schema.js';

const databases = {
  sqlite: new Kysely<Database>({
    dialect: { createAdapter: () => new SqliteAdapter(), createDriver: () => new DummyDriver(), createIntrospector: (db) => new SqliteIntrospector(db), createQueryCompiler: () => new SqliteQueryCompiler() },
  }),
  postgres: new Kysely<Database>({
    dialect: { createAdapter: () => new PostgresAdapter(), createDriver: () => new DummyDriver(), createIntrospector: (db) => new PostgresIntrospector(db), createQueryCompiler: () => new PostgresQueryCompiler() },
  }),
};

interface Values {
  id: string;
  amount: number;
  note: string | null;
  engine?: string | undefined;
}

const build = (db: Kysely<Database>, v: Values): Compilable<unknown> =>
  db
    .updateTable('users')
    .set((eb) => ({ balance_micros: eb('balance_micros', '-', v.amount), email: v.note, ...(v.engine !== undefined ? { name: v.engine } : {}) }))
    .where('id', '=', v.id)
    .where((eb) => eb.or([eb('balance_micros', 'is', null), eb('balance_micros', '>=', v.amount)]))
    .where('group_name', '=', 'fixed');

const cases: Values[] = [
  { id: 'usr_a', amount: 500, note: 'x' },
  { id: 'usr_b', amount: 7, note: null },
  { id: 'usr_c', amount: 0, note: 'y', engine: 'up' },
  { id: 'usr_d', amount: 3, note: 'z', engine: undefined },
];

describe('compiledOnce', () => {
  for (const [name, db] of Object.entries(databases)) {
    it(`gives Kysely's own SQL and parameters for every call and shape (${name})`, () => {
      const once = compiledOnce(build);
      for (const values of [...cases, ...cases]) {
        const expected = build(db, values).compile();
        const got = once(db, values);
        assert.equal(got.sql, expected.sql);
        assert.deepEqual(got.parameters, expected.parameters);
      }
    });

    it(`compiles each shape once and reuses its SQL text (${name})`, () => {
      let builds = 0;
      const once = compiledOnce((d: Kysely<Database>, v: Values) => {
        builds += 1;
        return build(d, v);
      });
      const first = once(db, cases[0] as Values);
      const second = once(db, cases[1] as Values);
      once(db, cases[2] as Values);
      once(db, cases[3] as Values);
      assert.equal(builds, 2, 'two shapes: with and without engine');
      assert.equal(first.sql, second.sql);
    });
  }

  it('keeps each dialect its own SQL when one query serves both', () => {
    const once = compiledOnce(build);
    const values = cases[0] as Values;
    assert.equal(once(databases.sqlite, values).sql, build(databases.sqlite, values).compile().sql);
    assert.equal(once(databases.postgres, values).sql, build(databases.postgres, values).compile().sql);
    assert.notEqual(once(databases.sqlite, values).sql, once(databases.postgres, values).sql);
  });

  it('refuses a builder that alters a value instead of placing it', () => {
    const once = compiledOnce((db: Kysely<Database>, v: { note: string }) => db.updateTable('users').set({ name: `note: ${v.note}` }).where('id', '=', 'usr_a'));
    assert.throws(() => once(databases.sqlite, { note: 'x' }), /altered before it reached the SQL/);
  });

  it('refuses a builder that computes with a value, cuts it, ignores it or writes it into the SQL text', () => {
    const computed = compiledOnce((db: Kysely<Database>, v: { amount: number }) => db.updateTable('users').set({ balance_micros: Math.round(v.amount) }).where('id', '=', 'usr_a'));
    assert.throws(() => computed(databases.sqlite, { amount: 5 }), /computed with/);
    const cut = compiledOnce((db: Kysely<Database>, v: { note: string }) => db.updateTable('users').set({ name: v.note.slice(0, 8) }).where('id', '=', 'usr_a'));
    assert.throws(() => cut(databases.sqlite, { note: 'a long note' }), /used other than placed/);
    const ignored = compiledOnce((db: Kysely<Database>, v: { id: string; unused: number }) => db.selectFrom('users').selectAll().where('id', '=', v.id));
    assert.throws(() => ignored(databases.postgres, { id: 'usr_a', unused: 1 }), /"unused" was used other than placed/);
    const literal = compiledOnce((db: Kysely<Database>, v: { id: string }) => db.selectFrom('users').selectAll().where('id', '=', sql.lit(v.id)));
    assert.throws(() => literal(databases.sqlite, { id: 'usr_a' }), /in the SQL text as a literal/);
  });

  it('refuses a list where one value was placed, as in an `in` comparison', () => {
    const listed = compiledOnce((db: Kysely<Database>, v: { statuses: string[] }) => db.selectFrom('tasks').selectAll().where('status', 'in', v.statuses));
    assert.throws(() => listed(databases.sqlite, { statuses: ['queued', 'running'] }), /is a list/);
  });

  it('binds values that look like its own stand-ins as plain values', () => {
    const once = compiledOnce(build);
    const values: Values = { id: '\u0000qig-value:id', amount: 1, note: '\u0000qig-value:amount' };
    const got = once(databases.sqlite, values);
    assert.deepEqual(got.parameters, build(databases.sqlite, values).compile().parameters);
  });
});
