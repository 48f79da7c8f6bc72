/**
 * Fields every engine's options share (the config file's `engines.<name>`): how the router treats
 * it, and the upstream fields several engines take. Each engine's own schema is in its folder.
 */
import { z } from 'zod';
import { findModel } from '../domain/models.js';
import { priceTable } from '../domain/price-table.js';

/** One upstream account of a channel (decision 0011). */
export const credentialOptions = z
  .object({
    apiKey: z.string().min(1).max(1000),
    label: z.string().max(100).optional(),
    /** DashScope's region of this account, when the channel sets no baseUrl. */
    region: z.enum(['beijing', 'singapore']).optional(),
    /** Calls started per second through this account from one node. */
    qps: z.number().min(0.1).max(10_000).optional(),
    /** Calls in flight at once through this account from one node (default: the channel's maxConcurrent). */
    maxConcurrent: z.number().int().min(1).max(1000).optional(),
    /** Share of the channel's traffic (1–1000, default 1). */
    weight: z.number().int().min(1).max(1000).optional(),
    /** Upstream cost of one image, overriding the channel's. */
    cost: priceTable.optional(),
    enabled: z.boolean().optional(),
  })
  .strict();

/** How the router treats any engine: its concurrency, its circuit breaker and its outputs. */
export const routing = {
  /** Calls in flight at once from this process; more wait their turn (upstream limits become queueing). */
  maxConcurrent: z.number().int().min(1).max(1000).optional(),
  /** Opens after `failures` consecutive engine failures; a probe is let through after `openSeconds`. */
  circuit: z
    .object({ failures: z.number().int().min(1).max(1000).optional(), openSeconds: z.number().min(0.1).max(3600).optional() })
    .strict()
    .optional(),
  /** rehost (default): outputs are downloaded and kept by us; passthrough: the upstream's URLs are handed out as they are. */
  outputs: z.enum(['rehost', 'passthrough']).optional(),
  /** Upstream accounts pooled behind this engine (the channel); `apiKey` alone is one. */
  credentials: z.array(credentialOptions).min(1).max(100).optional(),
  /** What the upstream bills per image, by model id, family or "*" (for margins). */
  cost: priceTable.optional(),
  /** How a disabled credential is re-tested: a cheap query (default) or a real one-image task. */
  test: z.enum(['query', 'task']).optional(),
};

export const upstreamUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });
export const knownModel = z.string().refine((id) => findModel(id) !== undefined, { error: (issue) => `unknown model "${String(issue.input)}"` });
/** Models (ids or families) an engine serves; default: every model it can. */
export const modelList = z.array(knownModel).min(1);
/** How the upstream receives input images: inline data URIs, or our signed URLs (it must reach QIG_PUBLIC_URL). */
export const inputMode = z.enum(['data-uri', 'url']);
export const timeoutSeconds = z.number().min(1).max(3600);
