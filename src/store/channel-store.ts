/**
 * The catalog (decision 0011): channels with their credentials, routes, prices and the config
 * file's seeds, with a version and an audit log. A save rewrites the whole catalog (tens of rows,
 * at most hundreds: catalog-rules.ts) in one transaction, decided by one conditional UPDATE of the
 * version row: of two saves from the same version, the second waits for the first's row lock
 * (Postgres), then finds the version moved and changes nothing.
 */
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { AuditDraft, AuditEntry, Catalog, CatalogContent, ChannelRecord, CredentialDisable, CredentialRecord, LastDisable, PriceSettings, RouteEntry, SecretRef } from '../domain/channels.js';
import type { ChannelStore } from './ports.js';
import type { CatalogAuditTable, ChannelCredentialsTable, ChannelsTable, Database } from './schema.js';

const STATE_ID = 1;

type Costs = Readonly<Record<string, string>>;

const json = (text: string): unknown => JSON.parse(text);

function rowToCredential(row: Selectable<ChannelCredentialsTable>): CredentialRecord {
  return {
    id: row.id,
    label: row.label,
    last4: row.last4,
    secret: json(row.secret) as SecretRef,
    region: row.region as CredentialRecord['region'],
    qps: row.qps === null ? null : Number(row.qps),
    maxConcurrent: row.max_concurrent === null ? null : Number(row.max_concurrent),
    weight: Number(row.weight),
    cost: row.cost === null ? null : (json(row.cost) as Costs),
    enabled: Number(row.enabled) === 1,
    disabled: row.disabled === null ? null : (json(row.disabled) as CredentialDisable),
    lastDisable: row.last_disable === null ? null : (json(row.last_disable) as LastDisable),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

function rowToChannel(row: Selectable<ChannelsTable>, credentials: CredentialRecord[]): ChannelRecord {
  return {
    name: row.name,
    engine: json(row.engine) as Record<string, unknown>,
    enabled: Number(row.enabled) === 1,
    cost: json(row.cost) as Costs,
    test: row.test as ChannelRecord['test'],
    credentials,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

function rowToAudit(row: Selectable<CatalogAuditTable>): AuditEntry {
  return { id: Number(row.id), at: Number(row.at), actor: row.actor, action: row.action, subject: row.subject, before: json(row.before), after: json(row.after) };
}

/** Writes the catalog's rows (the tables are empty): channels and credentials in their order, routes in theirs. */
async function insertContent(trx: Transaction<Database>, content: CatalogContent): Promise<void> {
  const channels = content.channels.map((channel, position) => ({
    name: channel.name,
    position,
    engine: JSON.stringify(channel.engine),
    enabled: channel.enabled ? 1 : 0,
    cost: JSON.stringify(channel.cost),
    test: channel.test,
    created_at: channel.createdAt,
    updated_at: channel.updatedAt,
  }));
  const credentials = content.channels.flatMap((channel) =>
    channel.credentials.map((credential, position) => ({
      id: credential.id,
      channel: channel.name,
      position,
      label: credential.label,
      last4: credential.last4,
      secret: JSON.stringify(credential.secret),
      region: credential.region,
      qps: credential.qps,
      max_concurrent: credential.maxConcurrent,
      weight: credential.weight,
      cost: credential.cost === null ? null : JSON.stringify(credential.cost),
      enabled: credential.enabled ? 1 : 0,
      disabled: credential.disabled === null ? null : JSON.stringify(credential.disabled),
      last_disable: credential.lastDisable ? JSON.stringify(credential.lastDisable) : null,
      created_at: credential.createdAt,
      updated_at: credential.updatedAt,
    })),
  );
  // One running position over every entry keeps the routes' order and each route's entries'.
  const routes = Object.entries(content.routes)
    .flatMap(([route, entries]) => entries.map((entry) => ({ route, channel: entry.channel, priority: entry.priority, weight: entry.weight })))
    .map((entry, position) => ({ ...entry, position }));
  for (const rows of chunks(channels)) await trx.insertInto('channels').values(rows).execute();
  for (const rows of chunks(credentials)) await trx.insertInto('channel_credentials').values(rows).execute();
  for (const rows of chunks(routes)) await trx.insertInto('channel_routes').values(rows).execute();
}

/** Rows per INSERT: one statement's parameters stay far below SQLite's limit (32,766) whatever the catalog's size. */
const INSERT_CHUNK = 100;

function chunks<T>(rows: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let at = 0; at < rows.length; at += INSERT_CHUNK) out.push(rows.slice(at, at + INSERT_CHUNK));
  return out;
}

export class SqlChannelStore implements ChannelStore {
  constructor(private readonly db: Kysely<Database>) {}

  async load(): Promise<Catalog> {
    // One snapshot, so a save committing meanwhile is seen whole or not at all.
    return this.db
      .transaction()
      .setIsolationLevel('repeatable read')
      .execute(async (trx) => {
        const state = await trx.selectFrom('catalog_state').selectAll().where('id', '=', STATE_ID).executeTakeFirstOrThrow();
        const channelRows = await trx.selectFrom('channels').selectAll().orderBy('position').orderBy('name').execute();
        const credentialRows = await trx.selectFrom('channel_credentials').selectAll().orderBy('channel').orderBy('position').orderBy('id').execute();
        const routeRows = await trx.selectFrom('channel_routes').selectAll().orderBy('position').execute();
        const routes: Record<string, RouteEntry[]> = {};
        for (const row of routeRows) {
          (routes[row.route] ??= []).push({ channel: row.channel, priority: Number(row.priority), weight: Number(row.weight) });
        }
        return {
          version: Number(state.version),
          channels: channelRows.map((row) => rowToChannel(row, credentialRows.filter((c) => c.channel === row.name).map(rowToCredential))),
          routes,
          prices: json(state.prices) as PriceSettings,
          seeds: json(state.seeds) as Record<string, string>,
        };
      });
  }

  async version(): Promise<number> {
    const state = await this.db.selectFrom('catalog_state').select('version').where('id', '=', STATE_ID).executeTakeFirstOrThrow();
    return Number(state.version);
  }

  async save(content: CatalogContent, expected: number, audit: readonly AuditDraft[], now: number): Promise<number | null> {
    const next = expected + 1;
    return this.db.transaction().execute(async (trx) => {
      // First, so a lost race touches nothing else.
      const claimed = await trx
        .updateTable('catalog_state')
        .set({ version: next, prices: JSON.stringify(content.prices), seeds: JSON.stringify(content.seeds) })
        .where('id', '=', STATE_ID)
        .where('version', '=', expected)
        .executeTakeFirst();
      if (Number(claimed.numUpdatedRows) !== 1) return null;
      await trx.deleteFrom('channel_routes').execute();
      await trx.deleteFrom('channel_credentials').execute();
      await trx.deleteFrom('channels').execute();
      await insertContent(trx, content);
      if (audit.length > 0) {
        await trx
          .insertInto('catalog_audit')
          .values(audit.map((entry) => ({ at: now, actor: entry.actor, action: entry.action, subject: entry.subject, before: JSON.stringify(entry.before ?? null), after: JSON.stringify(entry.after ?? null) })))
          .execute();
      }
      return next;
    });
  }

  async audit(limit: number, offset: number, subject?: string): Promise<{ entries: AuditEntry[]; total: number }> {
    let query = this.db.selectFrom('catalog_audit');
    if (subject !== undefined) query = query.where('subject', '=', subject);
    const [rows, count] = await Promise.all([
      query.selectAll().orderBy('at', 'desc').orderBy('id', 'desc').limit(limit).offset(offset).execute(),
      query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    ]);
    return { entries: rows.map(rowToAudit), total: Number(count.n) };
  }
}
