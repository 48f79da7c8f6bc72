/**
 * Between the config file's engine options and the catalog's records: an engine's options split
 * into the channel's (stored) and its keys (credentials), an engine's options rebuilt for one
 * credential, and records with their secrets redacted for the audit log.
 */
import { createHash } from 'node:crypto';
import type { ChannelRecord, CredentialRecord } from '../../domain/channels.js';
import { AppError } from '../../domain/errors.js';
import { engineConfigSchema, type EngineConfig } from '../../engines/options.js';
import { last4 } from '../../lib/secret-box.js';

/** Fields of `engines.<name>` that belong to the channel record, not to the engine's own options. */
const CHANNEL_FIELDS = ['apiKey', 'credentials', 'cost', 'test'] as const;

export interface ConfigKey {
  /** Derived from the key itself, so reordering or removing keys in the file moves no other key's id. */
  id: string;
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

/** A config key's credential id: pending tasks poll by it and margins group by it, so it follows the key, not its place. */
const credentialId = (channel: string, apiKey: string) => `${channel}~${createHash('sha256').update(apiKey).digest('hex').slice(0, 8)}`;

/** The engine's own options (what a channel stores), its keys, its upstream cost and test mode. */
export function splitEngineConfig(name: string, config: EngineConfig): { engine: Record<string, unknown>; keys: ConfigKey[]; cost: Record<string, string> | undefined; test: 'query' | 'task' | undefined } {
  const engine: Record<string, unknown> = { ...config };
  for (const field of CHANNEL_FIELDS) delete engine[field];
  const keys: ConfigKey[] = [];
  // The same key listed twice gets a second id, so ids stay unique.
  const idOf = (apiKey: string) => {
    const id = credentialId(name, apiKey);
    const twins = keys.filter((k) => k.id === id || k.id.startsWith(`${id}.`)).length;
    return twins === 0 ? id : `${id}.${twins + 1}`;
  };
  if ('apiKey' in config && config.apiKey !== undefined) keys.push({ id: idOf(config.apiKey), path: `engines.${name}.apiKey`, last4: last4(config.apiKey) });
  for (const [i, credential] of (config.credentials ?? []).entries()) {
    const { apiKey, ...settings } = credential;
    keys.push({ ...settings, id: idOf(apiKey), path: `engines.${name}.credentials.${i}.apiKey`, last4: last4(apiKey) });
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

/** A credential's settings as the config file and the admin API both give them. */
export interface CredentialSettings {
  label?: string | undefined;
  region?: 'beijing' | 'singapore' | null | undefined;
  qps?: number | null | undefined;
  maxConcurrent?: number | null | undefined;
  weight?: number | undefined;
  cost?: Readonly<Record<string, string>> | null | undefined;
  enabled?: boolean | undefined;
}

/**
 * A credential record from its settings, with the defaults filled in; `before` (the same
 * credential as stored) keeps its disable state and creation time.
 */
export function credentialRecord(
  identity: Pick<CredentialRecord, 'id' | 'label' | 'last4' | 'secret'>,
  settings: CredentialSettings,
  now: number,
  before?: Pick<CredentialRecord, 'disabled' | 'lastDisable' | 'createdAt'>,
): CredentialRecord {
  return {
    ...identity,
    region: settings.region ?? null,
    qps: settings.qps ?? null,
    maxConcurrent: settings.maxConcurrent ?? null,
    weight: settings.weight ?? 1,
    cost: settings.cost ?? null,
    enabled: settings.enabled ?? true,
    disabled: before?.disabled ?? null,
    lastDisable: before?.lastDisable ?? null,
    createdAt: before?.createdAt ?? now,
    updatedAt: now,
  };
}
