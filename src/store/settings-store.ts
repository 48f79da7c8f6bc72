/** Small values shared by every node, such as the URL-signing secret. */
import type { Kysely } from 'kysely';
import type { SettingsStore } from './ports.js';
import type { Database } from './schema.js';

export class SqlSettingsStore implements SettingsStore {
  constructor(private readonly db: Kysely<Database>) {}

  async getOrCreate(name: string, value: () => string): Promise<string> {
    const existing = await this.db.selectFrom('settings').select('value').where('name', '=', name).executeTakeFirst();
    if (existing) return existing.value;
    await this.db
      .insertInto('settings')
      .values({ name, value: value(), created_at: Date.now() })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    const stored = await this.db.selectFrom('settings').select('value').where('name', '=', name).executeTakeFirstOrThrow();
    return stored.value;
  }
}
