/**
 * Which error each member of a group hears, and what stays in the file.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { sql } from 'kysely';
import { codeOf, dir, open, settled } from './helpers.js';

after(() => dir.remove());

describe('group commit: errors', () => {
  it('SQLITE_FULL from a write outside a transaction: it and the earlier members hear SQLITE_FULL, no rows stay, then room again works (held?)', async () => {
    const store = await open('full-outside');
    store.file.pragma(`max_page_count = ${Number(store.file.pragma('page_count', { simple: true })) + 3}`);
    const small = settled(store.db.transaction().execute(async (trx) => { await trx.insertInto('t').values({ id: 1, v: 'small' }).execute(); }));
    const plain = settled(store.db.insertInto('t').values({ id: 2, v: 'plain' }).execute());
    const bigs = Array.from({ length: 10 }, (_, i) => settled(store.db.insertInto('t').values({ id: 100 + i, v: 'x'.repeat(20_000) }).execute()));
    const after = settled(store.db.insertInto('t').values({ id: 3, v: 'after the failure' }).execute());
    const [smallResult, plainResult, ...rest] = await Promise.all([small, plain, ...bigs, after]);
    const afterResult = rest.pop()!;
    assert.equal(codeOf(smallResult), 'SQLITE_FULL');
    assert.equal(codeOf(plainResult), 'SQLITE_FULL');
    assert.ok(rest.some((result) => codeOf(result) === 'SQLITE_FULL'));
    const ids = store.committedIds();
    assert.ok(!ids.includes(1) && !ids.includes(2), `rows of failed members stayed: ${ids}`);
    // Every member answered ok has its row in the file.
    const okIds = [...Array.from({ length: 10 }, (_, i) => 100 + i), 3].filter((_, i) => [...rest, afterResult][i]!.ok);
    for (const id of okIds) assert.ok(ids.includes(id), `row ${id} answered ok, not in the file`);
    store.file.pragma('max_page_count = 1000000');
    await store.db.insertInto('t').values({ id: 4, v: 'room again' }).execute();
    assert.ok(store.committedIds().includes(4));
    await store.close();
  });

  it('an INSERT OR ROLLBACK conflict in one transaction does not hand other requests a constraint error of their own', async () => {
    const store = await open('or-rollback');
    await store.db.insertInto('t').values({ id: 1, v: 'x' }).execute();
    const other = settled(store.db.insertInto('t').values({ id: 2, v: 'other' }).execute());
    const conflicting = settled(store.db.transaction().execute(async (trx) => {
      await sql`insert or rollback into t (id, v) values (1, 'dup')`.execute(trx);
    }));
    const [otherResult, conflictResult] = await Promise.all([other, conflicting]);
    assert.equal(codeOf(conflictResult), 'SQLITE_CONSTRAINT_PRIMARYKEY');
    // The other request's own insert was fine; if it must fail, not as a primary-key conflict (an idempotency "already claimed").
    assert.ok(otherResult.ok || !String(codeOf(otherResult)).startsWith('SQLITE_CONSTRAINT'), `the other request heard ${codeOf(otherResult)}`);
    await store.close();
  });

});
