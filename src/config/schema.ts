import { z } from 'zod';

/** A decimal amount as a string, e.g. "0.18". */
const decimalAmount = z.string().regex(/^\d+(\.\d{1,6})?$/, 'must be a decimal amount like "0.18"');

const hostPort = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'must be "host:port", e.g. "127.0.0.1:9000"');

const localEngine = z.object({ type: z.literal('local') }).strict();

export const engineConfigSchema = z.discriminatedUnion('type', [localEngine]);

export type EngineConfig = z.infer<typeof engineConfigSchema>;

/** The config file (JSON or YAML). Every key is optional; env variables override. */
export const fileConfigSchema = z
  .object({
    server: z
      .object({
        host: z.string().min(1).optional(),
        port: z.number().int().min(0).max(65535).optional(),
        publicUrl: z.url().optional(),
      })
      .strict()
      .optional(),
    dataDir: z.string().min(1).optional(),
    adminToken: z.string().min(8).optional(),
    databaseUrl: z.string().optional(),
    redisUrl: z.string().optional(),
    role: z.enum(['all', 'api', 'worker']).optional(),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
    engines: z.record(z.string().regex(/^[A-Za-z0-9_-]+$/, 'engine names use letters, digits, - and _'), engineConfigSchema).optional(),
    routes: z.record(z.string(), z.array(z.string()).min(1)).optional(),
    prices: z
      .object({
        currency: z.string().min(1).max(8).optional(),
        perImage: z.record(z.string(), decimalAmount).optional(),
      })
      .strict()
      .optional(),
    fetch: z
      .object({
        allowHosts: z.array(hostPort).optional(),
        timeoutMs: z.number().int().min(100).max(300_000).optional(),
        maxRedirects: z.number().int().min(0).max(10).optional(),
      })
      .strict()
      .optional(),
    limits: z
      .object({
        /** How long a sync request waits for its task before answering 408. */
        syncWaitSeconds: z.number().min(1).max(3600).optional(),
        /** Tasks a worker runs at once. */
        workerConcurrency: z.number().int().min(1).max(256).optional(),
        /** Queued tasks beyond which submits are refused with 503. */
        maxQueuedTasks: z.number().int().min(1).optional(),
        /** Request bodies being received at once, in bytes, beyond which new ones get 503. */
        maxInflightBodyBytes: z.number().int().min(1_000_000).optional(),
        /** Input images decoded at once during intake. */
        intakeConcurrency: z.number().int().min(1).max(64).optional(),
        /** Pixel limit of any input image, checked from the header before decoding. */
        maxInputPixels: z.number().int().min(1_000_000).max(268_402_689).optional(),
        /** Attempts at a task before it fails (a crashed worker counts as one). */
        maxAttempts: z.number().int().min(1).max(20).optional(),
      })
      .strict()
      .optional(),
    files: z
      .object({
        urlTtlSeconds: z.number().int().min(60).optional(),
        signingSecret: z.string().min(16).optional(),
      })
      .strict()
      .optional(),
    openai: z
      .object({
        /** The model of OpenAI-shaped requests that name none. */
        defaultModel: z.string().min(1).optional(),
      })
      .strict()
      .optional(),
    webhooks: z
      .object({
        /** Deliveries tried per webhook before giving up. */
        maxAttempts: z.number().int().min(1).max(50).optional(),
        /** Delay before the first retry; it doubles with each further one. */
        firstRetrySeconds: z.number().min(0.01).max(3600).optional(),
        /** The HMAC secret of webhook signatures (default: generated once and kept in the store). */
        secret: z.string().min(16).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type FileConfig = z.infer<typeof fileConfigSchema>;
