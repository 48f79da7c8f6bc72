/**
 * Between the config file's engine options and the catalog's records: an engine's options split
 * into the channel's (stored) and its keys (credentials), an engine's options rebuilt for one
 * credential, and records with their secrets redacted for the audit log.
 */
import type { ChannelRecord, CredentialRecord } from '../../domain/channels.js';
import { AppError } from '../../domain/errors.js';
import { engineConfigSchema, type EngineConfig } from '../../engines/options.js';
import { last4 } from '../../lib/secret-box.js';

/** Fields of `engines.<name>` that belong to the channel record, not to the engine's own options. */
const CHANNEL_FIELDS = ['apiKey', 'credentials', 'cost', 'test'] as const;

export interface ConfigKey {
  /** 0 for `apiKey`, i + 1 for `credentials[i]`. */
  index: number;
  path: string;
  last4: string;
  label?: string | undefined;
  region?: 'beijing' | 'singapore' | undefined;
  qps?: number | undefined;
  maxConcurrent?: number | undefined;
  weight?: number | undefined;
  cost?: Record<string, string> | undefined;
  enabled?: boolean | undefined;
}

export const credentialId = (channel: string, index: number) => `${channel}~${index}`;

/** The engine's own options (what a channel stores), its keys, its upstream cost and test mode. */
export function splitEngineConfig(name: string, config: EngineConfig): { engine: Record<string, unknown>; keys: ConfigKey[]; cost: Record<string, string> | undefined; test: 'query' | 'task' | undefined } {
  const engine: Record<string, unknown> = { ...config };
  for (const field of CHANNEL_FIELDS) delete engine[field];
  const keys: ConfigKey[] = [];
  if ('apiKey' in config && config.apiKey !== undefined) keys.push({ index: 0, path: `engines.${name}.apiKey`, last4: last4(config.apiKey) });
  for (const [i, credential] of (config.credentials ?? []).entries()) {
    const { apiKey, ...settings } = credential;
    keys.push({ ...settings, index: i + 1, path: `engines.${name}.credentials.${i}.apiKey`, last4: last4(apiKey) });
  }
  return { engine, keys, cost: config.cost, test: config.test };
}

/** The value at a config path like `engines.cloud.credentials.1.apiKey`, if it is a string. */
export function configSecret(engines: Readonly<Record<string, EngineConfig>>, path: string): string | null {
  let value: unknown = { engines };
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object') return null;
    value = (value as Record<string, unknown>)[part];
  }
  return typeof value === 'string' ? value : null;
}

/**
 * The options one engine instance is built with: the channel's, with the credential's key and
 * region. A placeholder key validates a channel before any credential is added.
 */
export function engineConfigFor(channel: Pick<ChannelRecord, 'name' | 'engine'>, credential: Pick<CredentialRecord, 'region'> | null, apiKey: string | null): EngineConfig {
  const options: Record<string, unknown> = { ...channel.engine };
  if (apiKey !== null) options.apiKey = apiKey;
  if (credential?.region) options.region = credential.region;
  const parsed = engineConfigSchema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue ? ['engine', ...issue.path.map(String)].join('.') : 'engine';
    throw new AppError('invalid_parameter', `channel ${channel.name}: ${path}: ${issue?.message ?? 'invalid engine options'}`);
  }
  return parsed.data;
}

/** Engine types that call an upstream with a key (a channel of one needs a credential to serve). */
export const KEYED_TYPES: ReadonlySet<string> = new Set(['dashscope', 'fal', 'openai-compatible']);

/** A credential as the audit log shows it: its key as the last 4 characters, never the ciphertext. */
export function redactCredential(credential: CredentialRecord): Omit<CredentialRecord, 'secret'> & { secret: { source: string; last4: string } } {
  return { ...credential, secret: { source: credential.secret.source, last4: credential.last4 } };
}

export function redactChannel(channel: ChannelRecord): unknown {
  return { ...channel, credentials: channel.credentials.map(redactCredential) };
}
