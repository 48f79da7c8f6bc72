/**
 * The only reader of process.env: environment plus an optional JSON or YAML file (QIG_CONFIG),
 * parsed once into a frozen AppConfig. Env wins over the file. Errors name the variable or key.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { RouteEntry } from '../domain/channels.js';
import { findModel } from '../domain/models.js';
import { PRICE_KEYS } from '../domain/prices.js';
import type { EngineConfig } from '../engines/options.js';
import { fileConfigSchema, HOST_PORT, REDIS_PREFIX, REDIS_PREFIX_RULE, S3_BUCKET, S3_BUCKET_RULE, type FileConfig } from './schema.js';

export type Role = 'all' | 'api' | 'worker';

export interface AppConfig {
  host: string;
  port: number;
  /** Base of every URL we hand out, without a trailing slash. */
  publicUrl: string;
  /** False when publicUrl was derived from HOST and PORT (then a port 0 start rebases it). */
  publicUrlExplicit: boolean;
  dataDir: string;
  adminToken: string | null;
  /** When set, /metrics answers only `Authorization: Bearer <token>` (QIG_METRICS_TOKEN). */
  metricsToken: string | null;
  databaseUrl: string | null;
  redisUrl: string | null;
  /** Starts every Redis key and channel of this deployment (QIG_REDIS_PREFIX). */
  redisPrefix: string;
  /** S3-compatible blob storage (QIG_S3_BUCKET); null keeps blobs under QIG_DATA_DIR. */
  s3: S3Config | null;
  role: Role;
  logLevel: string;
  /** auto: readable lines when stdout is a terminal, JSON lines otherwise. */
  logFormat: 'auto' | 'json' | 'pretty';
  /** OpenTelemetry: spans are exported to `endpoint` (OTEL_EXPORTER_OTLP_ENDPOINT) when set. */
  tracing: { endpoint: string | null; serviceName: string };
  engines: Readonly<Record<string, EngineConfig>>;
  /** Model id, family or "*" → channels (engines) with their priority (higher first) and weight. */
  routes: Readonly<Record<string, readonly RouteEntry[]>>;
  /** Encrypts upstream keys entered at runtime (QIG_SECRET_KEY, and QIG_SECRET_KEY_PREVIOUS while rotating); null: see decision 0011. */
  secretKey: { current: string; previous: string[] } | null;
  /**
   * perImage: by model id, family or "*"; perEngine: the same for one engine's images, winning
   * over perImage (a `local` engine is free unless named here). See domain/prices.ts.
   */
  prices: { currency: string; perImage: Readonly<Record<string, string>>; perEngine: Readonly<Record<string, Readonly<Record<string, string>>>> };
  fetch: { allowHosts: readonly string[]; timeoutMs: number; maxRedirects: number };
  limits: {
    syncWaitSeconds: number;
    workerConcurrency: number;
    maxQueuedTasks: number;
    maxInflightBodyBytes: number;
    /** A request body with no byte for this long (while the server waits for one) is refused with 408. */
    bodyIdleSeconds: number;
    /** A request body not received within this long of the request's start is refused with 408. */
    bodyTotalSeconds: number;
    /** Open connections at once; past it Node closes new ones at once. */
    maxConnections: number;
    intakeConcurrency: number;
    maxInputPixels: number;
    maxAttempts: number;
    leaseSeconds: number;
    /** Postgres connections each node keeps in its pool. */
    databasePoolSize: number;
    taskTimeoutSeconds: number;
    attemptsPerEngine: number;
    retryFirstDelaySeconds: number;
    retryMaxDelaySeconds: number;
  };
  /** serve: output URLs are our signed /files URLs, or presigned S3 URLs (S3 only). */
  files: { urlTtlSeconds: number; retentionDays: number; signingSecret: string | null; serve: 'signed' | 'presigned' };
  openai: { defaultModel: string };
  /** 10 tries over about 2 hours by default (15 s, doubling). */
  webhooks: { maxAttempts: number; firstRetrySeconds: number; secret: string | null };
  /** Where the config file was read from, if any. */
  configFile: string | null;
  /** Settings that were given but are not honoured by this version, to be logged at start. */
  notices: readonly string[];
}

export interface S3Config {
  bucket: string;
  /** null: AWS S3 in `region`. */
  endpoint: string | null;
  region: string;
  prefix: string;
  forcePathStyle: boolean;
  /** null: the AWS SDK's default credential chain. */
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } | null;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

function formatIssues(source: string, error: z.ZodError): string {
  return error.issues
    .map((issue) => `${source}${issue.path.length > 0 ? ` ${issue.path.join('.')}` : ''}: ${issue.message}`)
    .join('\n');
}

function readConfigFile(path: string): FileConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`QIG_CONFIG: cannot read ${path}: ${(error as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = /\.ya?ml$/i.test(path) ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`config file ${path}: not valid ${/\.ya?ml$/i.test(path) ? 'YAML' : 'JSON'}: ${(error as Error).message}`);
  }
  const parsed = fileConfigSchema.safeParse(raw ?? {});
  if (!parsed.success) throw new ConfigError(formatIssues(`config file ${path}:`, parsed.error));
  return parsed.data;
}

const envInt = (name: string, min: number, max: number) =>
  z.coerce
    .number({ error: `${name}: must be a whole number from ${min} to ${max}` })
    .int(`${name}: must be a whole number from ${min} to ${max}`)
    .min(min, `${name}: must be a whole number from ${min} to ${max}`)
    .max(max, `${name}: must be a whole number from ${min} to ${max}`);

/** Variables whose value is a secret (or holds one, as a URL's password): an error never echoes it. */
const SECRET_VARIABLES: ReadonlySet<string> = new Set(['QIG_SECRET_KEY', 'QIG_SECRET_KEY_PREVIOUS', 'QIG_ADMIN_TOKEN', 'QIG_METRICS_TOKEN', 'DATABASE_URL', 'REDIS_URL', 'DASHSCOPE_API_KEY', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'OTEL_EXPORTER_OTLP_ENDPOINT']);

function envValue<T>(env: Env, name: string, schema: z.ZodType<T>): T | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const message = parsed.error.issues[0]?.message ?? 'invalid value';
    const rule = message.startsWith(name) ? message : `${name}: ${message}`;
    throw new ConfigError(SECRET_VARIABLES.has(name) ? rule : `${rule} (got "${raw}")`);
  }
  return parsed.data;
}

type RouteText = NonNullable<FileConfig['routes']>[string];

/** A route as channels with priorities: earlier entries rank higher unless they set their own priority; weight 1 unless set. */
export function routeEntries(route: RouteText): RouteEntry[] {
  return route.map((entry, index) => {
    const fallback = route.length - index;
    return typeof entry === 'string' ? { channel: entry, priority: fallback, weight: 1 } : { channel: entry.engine, priority: entry.priority ?? fallback, weight: entry.weight ?? 1 };
  });
}

function checkRoutes(engines: Record<string, EngineConfig>, routes: Record<string, readonly RouteEntry[]>, source: string): void {
  for (const [model, entries] of Object.entries(routes)) {
    if (!PRICE_KEYS.includes(model)) throw new ConfigError(`${source} routes.${model}: unknown model "${model}": keys are model ids, families or "*"`);
    const seen = new Set<string>();
    for (const { channel } of entries) {
      if (!Object.hasOwn(engines, channel)) {
        throw new ConfigError(`${source} routes.${model}: engine "${channel}" is not defined under engines (defined: ${Object.keys(engines).join(', ')})`);
      }
      if (seen.has(channel)) throw new ConfigError(`${source} routes.${model}: engine "${channel}" is listed twice`);
      seen.add(channel);
    }
  }
}

/** Engine types that call an upstream with a key. */
const KEYED_TYPES: ReadonlySet<string> = new Set(['dashscope', 'fal', 'openai-compatible']);

function checkKeys(engines: Record<string, EngineConfig>, source: string): void {
  for (const [name, engine] of Object.entries(engines)) {
    const keyed = 'apiKey' in engine || 'credentials' in engine;
    if (KEYED_TYPES.has(engine.type) && !('apiKey' in engine && engine.apiKey !== undefined) && (engine.credentials ?? []).length === 0) {
      throw new ConfigError(`${source} engines.${name}: a ${engine.type} engine needs "apiKey" or "credentials" (one per upstream account)`);
    }
    if (!KEYED_TYPES.has(engine.type) && keyed && (engine.credentials ?? []).length > 0) {
      throw new ConfigError(`${source} engines.${name}.credentials: a ${engine.type} engine takes no upstream key`);
    }
  }
}

function checkPriceEngines(engines: Record<string, EngineConfig>, perEngine: Record<string, unknown>, source: string): void {
  for (const name of Object.keys(perEngine)) {
    if (!Object.hasOwn(engines, name)) {
      throw new ConfigError(`${source} prices.perEngine.${name}: engine "${name}" is not defined under engines (defined: ${Object.keys(engines).join(', ')})`);
    }
  }
}

const redisPrefixSchema = (name: string) => z.string().regex(REDIS_PREFIX, `${name}: ${REDIS_PREFIX_RULE}`);

/**
 * QIG_S3_BUCKET (or the file's s3.bucket) turns S3 blob storage on. Keys come from
 * AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or else from the AWS SDK's default chain.
 */
function s3FromEnv(env: Env, file: FileConfig['s3']): S3Config | null {
  const bucket = envValue(env, 'QIG_S3_BUCKET', z.string().regex(S3_BUCKET, `QIG_S3_BUCKET: ${S3_BUCKET_RULE}`)) ?? file?.bucket;
  if (bucket === undefined) return null;
  const endpoint = envValue(env, 'QIG_S3_ENDPOINT', z.url({ protocol: /^https?$/, error: 'QIG_S3_ENDPOINT: must be an http(s) URL' })) ?? file?.endpoint ?? null;
  const accessKeyId = envValue(env, 'AWS_ACCESS_KEY_ID', z.string().trim().min(1));
  const secretAccessKey = envValue(env, 'AWS_SECRET_ACCESS_KEY', z.string().trim().min(1));
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    throw new ConfigError('AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY: set both, or neither to use the AWS SDK\'s default credential chain');
  }
  const sessionToken = envValue(env, 'AWS_SESSION_TOKEN', z.string().min(1));
  return {
    bucket,
    endpoint: endpoint === null ? null : endpoint.replace(/\/+$/, ''),
    region: envValue(env, 'QIG_S3_REGION', z.string().trim().min(1)) ?? file?.region ?? 'us-east-1',
    prefix: file?.prefix ?? '',
    forcePathStyle: file?.forcePathStyle ?? endpoint !== null,
    credentials:
      accessKeyId !== undefined && secretAccessKey !== undefined
        ? { accessKeyId, secretAccessKey, ...(sessionToken === undefined ? {} : { sessionToken }) }
        : null,
  };
}

/** The engine name DASHSCOPE_API_KEY enables. */
export const DASHSCOPE_ENGINE = 'dashscope';

/**
 * DASHSCOPE_API_KEY (and DASHSCOPE_BASE_URL, default the Beijing host) as the `dashscope`
 * engine. Env wins: a file's `dashscope` engine of the same type keeps its other settings.
 */
function dashscopeFromEnv(env: Env, engines: Record<string, EngineConfig>): EngineConfig | undefined {
  const apiKey = envValue(env, 'DASHSCOPE_API_KEY', z.string().trim().min(1));
  if (apiKey === undefined) return undefined;
  const baseUrl = envValue(env, 'DASHSCOPE_BASE_URL', z.url({ protocol: /^https?$/, error: 'DASHSCOPE_BASE_URL: must be an http(s) URL' }));
  const existing = engines[DASHSCOPE_ENGINE];
  const base = existing?.type === 'dashscope' ? existing : undefined;
  return { ...base, type: 'dashscope', apiKey, ...(baseUrl === undefined ? {} : { baseUrl }) };
}

export function loadConfig(env: Env = process.env, cwd: string = process.cwd()): AppConfig {
  const configPath = env.QIG_CONFIG ? resolve(cwd, env.QIG_CONFIG) : null;
  const file: FileConfig = configPath ? readConfigFile(configPath) : {};
  const source = configPath ? `config file ${configPath}:` : 'config:';

  const host = envValue(env, 'HOST', z.string().min(1)) ?? file.server?.host ?? '127.0.0.1';
  const port = envValue(env, 'PORT', envInt('PORT', 0, 65535)) ?? file.server?.port ?? 8080;
  const publicUrlRaw =
    envValue(env, 'QIG_PUBLIC_URL', z.url({ error: 'QIG_PUBLIC_URL: must be an absolute http(s) URL' })) ??
    file.server?.publicUrl ??
    `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const dataDirRaw = envValue(env, 'QIG_DATA_DIR', z.string()) ?? file.dataDir ?? './data';
  const role = envValue(env, 'QIG_ROLE', z.enum(['all', 'api', 'worker'], { error: 'QIG_ROLE: must be all, api or worker' })) ?? file.role ?? 'all';
  // Trimmed: a token read from a secret file often ends with a newline no client sends.
  const adminToken = envValue(env, 'QIG_ADMIN_TOKEN', z.string().trim().min(8, 'QIG_ADMIN_TOKEN: must be at least 8 characters')) ?? file.adminToken ?? null;
  const metricsToken = envValue(env, 'QIG_METRICS_TOKEN', z.string().trim().min(8, 'QIG_METRICS_TOKEN: must be at least 8 characters')) ?? file.metricsToken ?? null;
  const databaseUrl =
    envValue(env, 'DATABASE_URL', z.string().regex(/^postgres(ql)?:\/\//, 'DATABASE_URL: must start with postgres:// or postgresql://')) ??
    file.databaseUrl ??
    null;
  const redisUrl = envValue(env, 'REDIS_URL', z.string().regex(/^rediss?:\/\//, 'REDIS_URL: must start with redis:// or rediss://')) ?? file.redisUrl ?? null;
  const logFormat = envValue(env, 'QIG_LOG_FORMAT', z.enum(['auto', 'json', 'pretty'], { error: 'QIG_LOG_FORMAT: must be auto, json or pretty' })) ?? file.logFormat ?? 'auto';
  const logLevel = envValue(env, 'QIG_LOG_LEVEL', z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])) ?? file.logLevel ?? 'info';

  const engines: Record<string, EngineConfig> = { ...(file.engines ?? {}) };
  const defaultLocal = Object.entries(engines).find(([, e]) => e.type === 'local')?.[0];
  const localName = defaultLocal ?? 'local';
  if (!defaultLocal) engines[localName] = { type: 'local' };

  const dashscope = dashscopeFromEnv(env, engines);
  if (dashscope) engines[DASHSCOPE_ENGINE] = dashscope;

  const routes: Record<string, RouteEntry[]> = Object.fromEntries(Object.entries(file.routes ?? {}).map(([model, route]) => [model, routeEntries(route)]));
  // With a DashScope key, models without a route of their own run in the cloud first.
  if (!routes['*']) routes['*'] = routeEntries(dashscope ? [DASHSCOPE_ENGINE, localName] : [localName]);
  checkRoutes(engines, routes, source);
  checkKeys(engines, source);
  const secretKey = envValue(env, 'QIG_SECRET_KEY', z.string().trim().min(16, 'QIG_SECRET_KEY: must be at least 16 characters (e.g. `openssl rand -base64 32`)'));
  const previousKeys = envValue(env, 'QIG_SECRET_KEY_PREVIOUS', z.string().trim().min(16, 'QIG_SECRET_KEY_PREVIOUS: must be at least 16 characters'));
  if (previousKeys !== undefined && secretKey === undefined) throw new ConfigError('QIG_SECRET_KEY_PREVIOUS: set QIG_SECRET_KEY to the new key too (the previous one only decrypts while rotating)');
  const perEngine = file.prices?.perEngine ?? {};
  checkPriceEngines(engines, perEngine, source);

  const defaultModel = file.openai?.defaultModel;
  if (defaultModel !== undefined && !findModel(defaultModel)) {
    throw new ConfigError(`${source} openai.defaultModel: unknown model "${defaultModel}"`);
  }
  const notices: string[] = [];
  const redisPrefix = envValue(env, 'QIG_REDIS_PREFIX', redisPrefixSchema('QIG_REDIS_PREFIX')) ?? file.redisPrefix ?? 'qig';
  const s3 = s3FromEnv(env, file.s3);
  if (!s3) {
    for (const name of ['QIG_S3_ENDPOINT', 'QIG_S3_REGION']) if (env[name]) notices.push(`${name} is set but ignored: it needs QIG_S3_BUCKET.`);
  }
  const files = { urlTtlSeconds: file.files?.urlTtlSeconds ?? 24 * 3600, retentionDays: file.files?.retentionDays ?? 7, signingSecret: file.files?.signingSecret ?? null, serve: file.files?.serve ?? 'signed' };
  if (files.serve === 'presigned' && !s3) throw new ConfigError(`${source} files.serve: "presigned" needs S3 blob storage (QIG_S3_BUCKET)`);
  if (files.serve === 'presigned' && files.urlTtlSeconds > 7 * 24 * 3600) {
    throw new ConfigError(`${source} files.urlTtlSeconds: presigned S3 URLs last at most 604800 s (7 days)`);
  }
  if (env.DASHSCOPE_BASE_URL && !dashscope) notices.push('DASHSCOPE_BASE_URL is set but ignored: it needs DASHSCOPE_API_KEY.');
  if (dashscope && !Object.values(routes).some((entries) => entries.some((entry) => entry.channel === DASHSCOPE_ENGINE))) {
    notices.push(`DASHSCOPE_API_KEY is set but no route uses the "${DASHSCOPE_ENGINE}" engine it defines: the config file's routes name every engine; add "${DASHSCOPE_ENGINE}" to them (e.g. "routes": {"*": ["${DASHSCOPE_ENGINE}", "${localName}"]}).`);
  }
  if (role === 'worker' && !env.QIG_PUBLIC_URL && file.server?.publicUrl === undefined) {
    notices.push(`QIG_PUBLIC_URL is not set: this worker's URLs (input images for upstreams, webhook bodies) name ${publicUrlRaw}; set it to the API nodes' address.`);
  }
  const limits = file.limits ?? {};
  if (limits.retryFirstDelaySeconds !== undefined && limits.retryMaxDelaySeconds !== undefined && limits.retryFirstDelaySeconds > limits.retryMaxDelaySeconds) {
    throw new ConfigError(`${source} limits.retryFirstDelaySeconds: must be at most limits.retryMaxDelaySeconds (${limits.retryMaxDelaySeconds})`);
  }
  return Object.freeze({
    host,
    port,
    publicUrl: publicUrlRaw.replace(/\/+$/, ''),
    publicUrlExplicit: env.QIG_PUBLIC_URL !== undefined && env.QIG_PUBLIC_URL !== '' ? true : file.server?.publicUrl !== undefined,
    dataDir: isAbsolute(dataDirRaw) ? dataDirRaw : resolve(cwd, dataDirRaw),
    adminToken,
    metricsToken,
    databaseUrl,
    redisUrl,
    redisPrefix,
    s3,
    role,
    logLevel,
    logFormat,
    tracing: {
      endpoint: envValue(env, 'OTEL_EXPORTER_OTLP_ENDPOINT', z.url({ protocol: /^https?$/, error: 'OTEL_EXPORTER_OTLP_ENDPOINT: must be an http(s) URL' })) ?? null,
      serviceName: envValue(env, 'OTEL_SERVICE_NAME', z.string().trim().min(1)) ?? 'qwen-image-gateway',
    },
    engines: Object.freeze(engines),
    routes: Object.freeze(routes),
    secretKey: secretKey === undefined ? null : { current: secretKey, previous: previousKeys === undefined ? [] : previousKeys.split(',').map((key) => key.trim()).filter((key) => key !== '') },
    prices: { currency: file.prices?.currency ?? 'CNY', perImage: file.prices?.perImage ?? {}, perEngine },
    fetch: {
      allowHosts:
        envValue(env, 'QIG_FETCH_ALLOW_HOSTS', z.string().transform((list) => list.split(',').map((item) => item.trim()).filter((item) => item !== '')).pipe(z.array(z.string().regex(HOST_PORT, 'QIG_FETCH_ALLOW_HOSTS: must be a comma-separated list of "host:port", e.g. "127.0.0.1:9000,minio:9000"')))) ??
        file.fetch?.allowHosts ??
        [],
      timeoutMs: file.fetch?.timeoutMs ?? 15_000,
      maxRedirects: file.fetch?.maxRedirects ?? 3,
    },
    limits: {
      syncWaitSeconds: limits.syncWaitSeconds ?? 300,
      workerConcurrency: limits.workerConcurrency ?? 2,
      maxQueuedTasks: limits.maxQueuedTasks ?? 1000,
      maxInflightBodyBytes: limits.maxInflightBodyBytes ?? 192 * 1024 * 1024,
      bodyIdleSeconds: limits.bodyIdleSeconds ?? 30,
      bodyTotalSeconds: limits.bodyTotalSeconds ?? 300,
      maxConnections: limits.maxConnections ?? 10_000,
      intakeConcurrency: limits.intakeConcurrency ?? 4,
      maxInputPixels: limits.maxInputPixels ?? 40_000_000,
      maxAttempts: limits.maxAttempts ?? 3,
      leaseSeconds: limits.leaseSeconds ?? 30,
      databasePoolSize: limits.databasePoolSize ?? 10,
      taskTimeoutSeconds: limits.taskTimeoutSeconds ?? 1800,
      attemptsPerEngine: limits.attemptsPerEngine ?? 3,
      retryFirstDelaySeconds: limits.retryFirstDelaySeconds ?? 1,
      retryMaxDelaySeconds: limits.retryMaxDelaySeconds ?? Math.max(30, limits.retryFirstDelaySeconds ?? 1),
    },
    files,
    openai: { defaultModel: file.openai?.defaultModel ?? 'qwen-image-2.0-pro' },
    webhooks: {
      maxAttempts: file.webhooks?.maxAttempts ?? 10,
      firstRetrySeconds: file.webhooks?.firstRetrySeconds ?? 15,
      secret: file.webhooks?.secret ?? null,
    },
    configFile: configPath,
    notices,
  });
}
