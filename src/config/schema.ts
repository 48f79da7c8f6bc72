import { z } from 'zod';
import { CHANNEL_NAME, CHANNEL_NAME_RULE } from '../domain/channels.js';
import { priceTable } from '../domain/price-table.js';
import { engineConfigSchema } from '../engines/options.js';

export const REDIS_PREFIX = /^[\w.:{}-]{1,64}$/;
export const REDIS_PREFIX_RULE = 'must be 1–64 letters, digits and _.:{}- (e.g. "qig")';
export const S3_BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
export const S3_BUCKET_RULE = 'must be a bucket name: 3–63 lower-case letters, digits, dots and hyphens';

/** host:port with a port from 1 to 65535. */
export const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):([1-9]\d{0,3}|[1-5]\d{4}|6[0-4]\d{3}|65[0-4]\d{2}|655[0-2]\d|6553[0-5])$/;
const hostPort = z.string().regex(HOST_PORT, 'must be "host:port", e.g. "127.0.0.1:9000"');

const routeEntry = z.union([
  z.string().min(1),
  z
    .object({
      engine: z.string().min(1),
      priority: z.number().int().min(-1000).max(1000).optional(),
      weight: z.number().int().min(1).max(1000).optional(),
    })
    .strict(),
]);

/** An http(s) URL (the S3 endpoint). */
const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

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
    adminToken: z.string().trim().min(8).optional(),
    /** /metrics then needs it as a bearer token; QIG_METRICS_TOKEN wins. */
    metricsToken: z.string().trim().min(8).optional(),
    databaseUrl: z.string().optional(),
    redisUrl: z.string().optional(),
    /** Starts every Redis key and channel (default "qig"): deployments sharing a Redis use different ones. */
    redisPrefix: z.string().regex(REDIS_PREFIX, REDIS_PREFIX_RULE).optional(),
    /** S3-compatible blob storage; QIG_S3_* and AWS_* variables win. */
    s3: z
      .object({
        bucket: z.string().regex(S3_BUCKET, S3_BUCKET_RULE).optional(),
        /** Default: AWS S3 in `region`. */
        endpoint: httpUrl.optional(),
        region: z.string().min(1).optional(),
        /** Prepended to every object key, e.g. "qig/". */
        prefix: z.string().regex(/^[A-Za-z0-9!_.*'()/-]{0,200}$/, 'must use letters, digits and !_.*\'()/- only').optional(),
        /** Bucket in the URL path rather than the host name; default true with an endpoint (MinIO and the like). */
        forcePathStyle: z.boolean().optional(),
      })
      .strict()
      .optional(),
    role: z.enum(['all', 'api', 'worker']).optional(),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
    /** auto: readable lines when stdout is a terminal, JSON otherwise. */
    logFormat: z.enum(['auto', 'json', 'pretty']).optional(),
    engines: z
      .record(z.string(), engineConfigSchema)
      .superRefine((engines, ctx) => {
        // Checked here rather than as the record's key schema, so the error says what the rule is.
        for (const name of Object.keys(engines)) if (!CHANNEL_NAME.test(name)) ctx.addIssue({ code: 'custom', path: [name], message: CHANNEL_NAME_RULE });
      })
      .optional(),
    /**
     * Model id, family or "*" → channels (engines) in failover order; an entry may be an object to
     * set its priority (higher first; default: earlier entries higher) and weight (traffic spread
     * among channels of one priority; default 1).
     */
    routes: z.record(z.string(), z.array(routeEntry).min(1).max(100)).optional(),
    prices: z
      .object({
        currency: z.string().min(1).max(8).optional(),
        /** By model id, family or "*". */
        perImage: priceTable.optional(),
        /** Engine name → model id, family or "*" → price; wins over perImage for that engine's images. */
        perEngine: z.record(z.string(), priceTable).optional(),
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
        /** Seconds without a byte of a request body (while the server waits) before it is refused with 408. */
        bodyIdleSeconds: z.number().min(0.1).max(3600).optional(),
        /** Seconds from a request's start within which its whole body must arrive. */
        bodyTotalSeconds: z.number().min(0.1).max(86_400).optional(),
        /** Open connections at once (status streams included); past it new ones are closed at once. */
        maxConnections: z.number().int().min(16).max(1_000_000).optional(),
        /** Input images decoded at once during intake. */
        intakeConcurrency: z.number().int().min(1).max(64).optional(),
        /** Pixel limit of any input image, checked from the header before decoding. */
        maxInputPixels: z.number().int().min(1_000_000).max(268_402_689).optional(),
        /** Attempts at a task before it fails (a crashed worker counts as one). */
        maxAttempts: z.number().int().min(1).max(20).optional(),
        /** How long a worker's hold on a running task lasts unrenewed: how soon a dead worker's tasks are taken up again. */
        leaseSeconds: z.number().min(1).max(600).optional(),
        /** A task still unfinished this long after it started (upstream polls included) fails with a timeout. */
        taskTimeoutSeconds: z.number().min(10).max(86_400).optional(),
        /** Calls an engine gets for one part of a task (retryable failures) before the route fails over. */
        attemptsPerEngine: z.number().int().min(1).max(10).optional(),
        /** The first retry's delay; it doubles (with jitter) up to retryMaxDelaySeconds. An upstream's Retry-After wins, up to that cap. */
        retryFirstDelaySeconds: z.number().min(0.01).max(60).optional(),
        retryMaxDelaySeconds: z.number().min(0.01).max(600).optional(),
        /** Postgres connections each node keeps in its pool. */
        databasePoolSize: z.number().int().min(2).max(1000).optional(),
      })
      .strict()
      .optional(),
    files: z
      .object({
        /** How long an output URL stays valid after the read of the task that handed it out. */
        urlTtlSeconds: z.number().int().min(60).optional(),
        /** Days a task's images are kept after it ends; 0 keeps them for ever. */
        retentionDays: z.number().min(0).max(36_500).optional(),
        signingSecret: z.string().min(16).optional(),
        /** signed (default): our /files URLs; presigned: presigned S3 GET URLs (needs S3). */
        serve: z.enum(['signed', 'presigned']).optional(),
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
