/**
 * Revenue, upstream cost and margin of settled usage, grouped by day, model, channel, credential
 * key and user: one GROUP BY over the usage rows, the same SQL in SQLite and Postgres.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { MarginDimension, MarginFilter, MarginRow } from './ports.js';
import type { Database } from './schema.js';

const DAY_MS = 86_400_000;

/** The row field each dimension fills, and the expression it groups by. */
const DIMENSIONS: Record<MarginDimension, { field: keyof MarginRow; expression: RawBuilder<unknown> }> = {
  // Whole UTC days since the epoch, by integer division (created_at is epoch ms), formatted once read.
  // A literal, not a parameter: Postgres matches the selected expression to the grouped one by its text.
  day: { field: 'day', expression: sql`cast(created_at / ${sql.lit(DAY_MS)} as integer)` },
  model: { field: 'model', expression: sql`model` },
  channel: { field: 'channel', expression: sql`engine` },
  credential: { field: 'credential', expression: sql`credential` },
  key: { field: 'keyId', expression: sql`key_id` },
  user: { field: 'userId', expression: sql`user_id` },
};

const revenue = sql<number>`coalesce(sum(amount_micros), 0)`;

/** A dimension's value as the row gives it: text, or the day's number (a string from some drivers). */
function dimensionValue(dimension: MarginDimension, value: string | number | null): string | null {
  if (value === null) return null;
  if (dimension === 'day') return new Date(Number(value) * DAY_MS).toISOString().slice(0, 10);
  return String(value);
}

export async function queryMargins(db: Kysely<Database>, filter: MarginFilter): Promise<MarginRow[]> {
  const dimensions = [...new Set(filter.groupBy)];
  let query = db.selectFrom('usage_records');
  if (filter.from !== undefined) query = query.where('created_at', '>=', filter.from);
  // [from, to): a day's `to` is the next day's first instant, which belongs to the next day.
  if (filter.to !== undefined) query = query.where('created_at', '<', filter.to);
  if (filter.model !== undefined) query = query.where('model', '=', filter.model);
  if (filter.channel !== undefined) query = query.where('engine', '=', filter.channel);
  if (filter.keyId !== undefined) query = query.where('key_id', '=', filter.keyId);
  if (filter.userId !== undefined) query = query.where('user_id', '=', filter.userId);
  let grouped = query
    .select([
      ...dimensions.map((d) => DIMENSIONS[d].expression.as(d)),
      sql<number>`count(*)`.as('tasks'),
      sql<number>`coalesce(sum(images), 0)`.as('images'),
      revenue.as('revenue'),
      sql<number>`coalesce(sum(cost_micros), 0)`.as('cost'),
    ])
    .limit(filter.limit);
  if (dimensions.length > 0) grouped = grouped.groupBy(dimensions.map((d) => DIMENSIONS[d].expression));
  if (dimensions.includes('day')) grouped = grouped.orderBy(DIMENSIONS.day.expression);
  grouped = grouped.orderBy(revenue, 'desc');
  // Then by the other dimensions, so equal revenues come in a stable order.
  for (const d of dimensions) if (d !== 'day') grouped = grouped.orderBy(DIMENSIONS[d].expression);
  const rows = (await grouped.execute()) as Array<Record<string, string | number | null>>;
  return rows.map((row) => {
    const margin: MarginRow = { tasks: Number(row.tasks), images: Number(row.images), revenueMicros: Number(row.revenue), costMicros: Number(row.cost) };
    for (const d of dimensions) Object.assign(margin, { [DIMENSIONS[d].field]: dimensionValue(d, row[d] ?? null) });
    return margin;
  });
}
