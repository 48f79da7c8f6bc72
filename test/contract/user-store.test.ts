/**
 * The user and group stores on SQLite and (with DATABASE_URL) Postgres: a search finds a user by
 * any case of its name or email, non-ASCII letters included; and a group deleted while a user is
 * created in it (or moved to it) is refused in the catalog's words, never with a raw database error.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../../src/domain/errors.js';
import { NO_LIMITS } from '../../src/domain/users.js';
import type { UserRecord } from '../../src/store/ports.js';
import { SqlGroupStore, SqlUserStore } from '../../src/store/user-store.js';
import { storeTargets } from '../helpers/stores.js';

const user = (id: string, name: string, group = 'default', email: string | null = null): UserRecord => ({ id, name, email, group, balanceMicros: null, limits: NO_LIMITS, createdAt: 1, updatedAt: 1, disabledAt: null });

for (const target of storeTargets()) {
  describe(`user store: ${target.name}`, () => {
    it('finds a user by part of its id, name or email in any case, non-ASCII capitals included; wildcards are literal', async () => {
      const { store, cleanup } = await target.open();
      try {
        const users = new SqlUserStore(store.db);
        await users.create(user('usr_emile', 'Émile Zoë', 'default', 'ÉMILE@EXAMPLE.COM'));
        await users.create(user('usr_other', '100% Cotton_Ltd'));
        for (const search of ['Émile', 'émile', 'ÉMILE@', 'zoË', 'usr_em']) {
          assert.deepEqual((await users.list({ search, limit: 10, offset: 0 })).users.map((u) => u.id), ['usr_emile'], `search ${search}`);
        }
        assert.deepEqual((await users.list({ search: '0% c', limit: 10, offset: 0 })).users.map((u) => u.id), ['usr_other']);
        assert.deepEqual((await users.list({ search: '%', limit: 10, offset: 0 })).users.map((u) => u.id), ['usr_other'], 'a % is a percent sign');
        assert.deepEqual((await users.list({ search: '0_ c', limit: 10, offset: 0 })).total, 0, 'an _ is an underscore, not any one character');
      } finally {
        await cleanup();
      }
    });

    it('refuses a group deleted while a user is created in it or moved to it, in the catalog\'s words', async () => {
      const { store, cleanup } = await target.open();
      try {
        const [users, groups] = [new SqlUserStore(store.db), new SqlGroupStore(store.db)];
        await users.create(user('usr_mover', 'mover'));
        const outcomes = new Set<string>();
        for (let i = 0; i < 30; i += 1) {
          const name = `race${i}`;
          await groups.put({ name, description: '', multiplierPpm: 900_000, overrides: {} }, 1);
          const results = await Promise.allSettled([groups.delete(name), i % 2 === 0 ? users.create(user(`usr_${i}`, `u${i}`, name)) : users.update('usr_mover', { group: name }, 2)]);
          for (const result of results) {
            if (result.status === 'fulfilled') continue;
            assert.ok(result.reason instanceof AppError, `a raw error: ${String(result.reason)}`);
            assert.ok(['not_found', 'conflict'].includes(result.reason.kind), result.reason.message);
            outcomes.add(result.reason.kind);
          }
          // Whoever won, no user is left in a group that is gone.
          const orphans = await store.db.selectFrom('users').select('id').where('group_name', 'not in', store.db.selectFrom('user_groups').select('name')).execute();
          assert.deepEqual(orphans, []);
          await users.update('usr_mover', { group: 'default' }, 3);
        }
        assert.ok(outcomes.size > 0, 'the race was run');
      } finally {
        await cleanup();
      }
    });
  });
}
