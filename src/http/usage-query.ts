/** The query of the usage endpoints: by key (admin only), model, engine and time, paged. */
import { z } from 'zod';
import type { UsageFilter } from '../store/ports.js';

const time = z.union([z.iso.datetime(), z.string().regex(/^\d{10,13}$/)], { error: 'must be an ISO 8601 date-time or epoch seconds/milliseconds' });

export const usageQuerySchema = z
  .object({
    keyId: z.string().min(1).optional(),
    /** Every key of this user (admin only). */
    userId: z.string().min(1).max(200).optional(),
    model: z.string().min(1).optional(),
    /** The engine that produced the images. */
    engine: z.string().min(1).max(200).optional(),
    from: time.optional(),
    to: time.optional(),
    limit: z.coerce.number({ error: 'must be a number' }).int().min(1).max(1000).optional(),
    offset: z.coerce.number({ error: 'must be a number' }).int().min(0).optional(),
  })
  .strict();

function toMillis(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (/^\d+$/.test(value)) return value.length <= 10 ? Number(value) * 1000 : Number(value);
  return Date.parse(value);
}

export function usageFilter(query: z.infer<typeof usageQuerySchema>, keyId: string | undefined, userId?: string): UsageFilter {
  return { keyId, userId, model: query.model, engine: query.engine, from: toMillis(query.from), to: toMillis(query.to), limit: query.limit ?? 100, offset: query.offset ?? 0 };
}
