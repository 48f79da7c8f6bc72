/**
 * GET /admin/v1/margins: its query (range, filters, grouping), and revenue, upstream cost and
 * margin of the grouped usage as JSON rows with totals, or as a CSV file.
 */
import { z } from 'zod';
import { AppError } from '../domain/errors.js';
import { formatAmount } from '../domain/money.js';
import type { MarginDimension, MarginFilter, MarginRow } from '../store/ports.js';
import { csvText } from './csv.js';

const DAY_MS = 86_400_000;
const DIMENSIONS: readonly MarginDimension[] = ['day', 'model', 'channel', 'credential', 'key', 'user'];
const DEFAULT_GROUP_BY: readonly MarginDimension[] = ['day', 'model'];
const GROUP_BY = new RegExp(`^(${DIMENSIONS.join('|')})(,(${DIMENSIONS.join('|')}))*$`);
const DATE = /^\d{4}-\d{2}-\d{2}$/;

const time = z.union([z.iso.date(), z.iso.datetime({ offset: true }), z.string().regex(/^\d{10,13}$/)], {
  error: 'must be a date (YYYY-MM-DD, UTC), an ISO 8601 date-time or epoch seconds/milliseconds',
});
const name = z.string().min(1).max(200);

export const marginsQuerySchema = z
  .object({
    from: time.optional().describe('Start, inclusive (a date: its first instant, UTC). Default: the start of the UTC day 6 days before today.'),
    to: time.optional().describe('End, exclusive (a date: through that day, UTC). Default: now.'),
    model: name.optional(),
    channel: name.optional().describe('The channel (engine) that made the images.'),
    keyId: name.optional(),
    userId: name.optional(),
    groupBy: z
      .string()
      .regex(GROUP_BY, `must be a comma-separated list of ${DIMENSIONS.join(', ')}`)
      .optional()
      .describe(`Columns to group by, in order, comma-separated: ${DIMENSIONS.join(', ')}. Default: day,model.`),
    limit: z.coerce.number({ error: 'must be a number' }).int().min(1).max(10_000).optional().describe('At most this many rows (default 1000).'),
    format: z.enum(['json', 'csv']).optional().describe('csv: a file download (also with Accept: text/csv).'),
  })
  .strict();

export type MarginsQuery = z.infer<typeof marginsQuerySchema>;

function instant(value: string, dateEnd: boolean): number {
  if (DATE.test(value)) return Date.parse(`${value}T00:00:00Z`) + (dateEnd ? DAY_MS : 0);
  if (/^\d+$/.test(value)) return value.length <= 10 ? Number(value) * 1000 : Number(value);
  return Date.parse(value);
}

export interface MarginsRequest {
  /** What the store is asked: one row more than answered, to tell a cut answer. */
  filter: MarginFilter & { from: number; to: number };
  groupBy: readonly MarginDimension[];
  /** Rows answered at most. */
  limit: number;
}

export function marginsRequest(query: MarginsQuery, now: number): MarginsRequest {
  const to = query.to === undefined ? now : instant(query.to, true);
  const from = query.from === undefined ? Math.floor(now / DAY_MS) * DAY_MS - 6 * DAY_MS : instant(query.from, false);
  if (from >= to) throw new AppError('invalid_parameter', 'from: must be before to.', { field: 'from' });
  const groupBy = query.groupBy === undefined ? DEFAULT_GROUP_BY : [...new Set(query.groupBy.split(','))].filter((d): d is MarginDimension => DIMENSIONS.includes(d as MarginDimension));
  const limit = query.limit ?? 1000;
  return { filter: { from, to, model: query.model, channel: query.channel, keyId: query.keyId, userId: query.userId, groupBy, limit: limit + 1 }, groupBy, limit };
}

export interface MarginFigures {
  tasks: number;
  images: number;
  revenue: string;
  cost: string;
  margin: string;
  /** margin / revenue × 100, two decimals; null when nothing was charged. */
  marginPercent: number | null;
}

export type MarginLine = Omit<MarginRow, 'tasks' | 'images' | 'revenueMicros' | 'costMicros'> &
  MarginFigures & {
    /** With `credential`: its label and key tail as the catalog has them now (null once it was removed). */
    credentialName?: string | null;
    /** With `keyId`: the API key's name. */
    keyName?: string | null;
    /** With `userId`: the user's name. */
    userName?: string | null;
  };

/** What ids stand for, so a report reads as names. */
export interface MarginNames {
  credential(channel: string | null | undefined, id: string): string | null;
  key(id: string): string | null;
  user(id: string): string | null;
}

/** A row's names for its credential and key, when grouped by them. */
function named(row: Omit<MarginRow, 'tasks' | 'images' | 'revenueMicros' | 'costMicros'>, names: MarginNames | undefined): Pick<MarginLine, 'credentialName' | 'keyName' | 'userName'> {
  if (!names) return {};
  return {
    ...(row.credential === undefined ? {} : { credentialName: row.credential === null ? null : names.credential(row.channel, row.credential) }),
    ...(row.keyId === undefined ? {} : { keyName: names.key(row.keyId) }),
    ...(row.userId === undefined ? {} : { userName: row.userId === null ? null : names.user(row.userId) }),
  };
}

function figures(tasks: number, images: number, revenue: number, cost: number): MarginFigures {
  return {
    tasks,
    images,
    revenue: formatAmount(revenue),
    cost: formatAmount(cost),
    margin: formatAmount(revenue - cost),
    marginPercent: revenue === 0 ? null : Math.round(((revenue - cost) / revenue) * 10_000) / 100,
  };
}

export interface MarginsAnswer {
  currency: string;
  from: string;
  to: string;
  groupBy: readonly MarginDimension[];
  data: MarginLine[];
  /** Over the rows answered. */
  totals: MarginFigures;
  /** More groups matched than `limit`: the rows (and totals) are not all of them. */
  truncated: boolean;
}

export function marginsAnswer(request: MarginsRequest, found: readonly MarginRow[], currency: string, names?: MarginNames): MarginsAnswer {
  const rows = found.slice(0, request.limit);
  const sum = (pick: (row: MarginRow) => number) => rows.reduce((total, row) => total + pick(row), 0);
  return {
    currency,
    from: new Date(request.filter.from).toISOString(),
    to: new Date(request.filter.to).toISOString(),
    groupBy: request.groupBy,
    data: rows.map(({ tasks, images, revenueMicros, costMicros, ...dimensions }) => ({ ...dimensions, ...named(dimensions, names), ...figures(tasks, images, revenueMicros, costMicros) })),
    totals: figures(sum((r) => r.tasks), sum((r) => r.images), sum((r) => r.revenueMicros), sum((r) => r.costMicros)),
    truncated: found.length > request.limit,
  };
}

/** Each dimension's CSV column and its value in a row. */
const COLUMNS: Readonly<Record<MarginDimension, ReadonlyArray<[string, (line: MarginLine) => string | null | undefined]>>> = {
  day: [['day', (line) => line.day]],
  model: [['model', (line) => line.model]],
  channel: [['channel', (line) => line.channel]],
  credential: [
    ['credential', (line) => line.credential],
    ['credentialName', (line) => line.credentialName],
  ],
  key: [
    ['keyId', (line) => line.keyId],
    ['keyName', (line) => line.keyName],
  ],
  user: [
    ['userId', (line) => line.userId],
    ['userName', (line) => line.userName],
  ],
};

export function marginsCsv(answer: MarginsAnswer): { filename: string; body: string } {
  const columns = answer.groupBy.flatMap((dimension) => COLUMNS[dimension]);
  const header = [...columns.map(([column]) => column), 'tasks', 'images', 'revenue', 'cost', 'margin', 'marginPercent', 'currency'];
  const rows = answer.data.map((line) => [...columns.map(([, value]) => value(line)), line.tasks, line.images, line.revenue, line.cost, line.margin, line.marginPercent, answer.currency]);
  const day = (iso: string, back = 0) => new Date(Date.parse(iso) - back).toISOString().slice(0, 10);
  return { filename: `margins-${day(answer.from)}-${day(answer.to, 1)}.csv`, body: csvText(header, rows) };
}
