/**
 * The catalog's rules, checked before every save exactly as the config file's are at start: the
 * engine options by the same schema, prices and costs by the same price table, routes naming
 * channels that exist. A broken rule is a 400 naming the field.
 */
import { z } from 'zod';
import { CHANNEL_NAME, CHANNEL_NAME_RULE, type CatalogContent, type ChannelRecord } from '../../domain/channels.js';
import { AppError } from '../../domain/errors.js';
import { priceTable } from '../../domain/price-table.js';
import { PRICE_KEYS } from '../../domain/prices.js';
import { engineConfigFor, KEYED_TYPES } from './records.js';

export const MAX_CHANNELS = 200;
/** Per channel. */
export const MAX_CREDENTIALS = 100;
/** In the whole catalog: every change rewrites it in one transaction, which stays quick at this size. */
export const MAX_CATALOG_CREDENTIALS = 500;

export const credentialSettings = {
  label: z.string().max(100),
  region: z.enum(['beijing', 'singapore']).nullable(),
  qps: z.number().min(0.1).max(10_000).nullable(),
  maxConcurrent: z.number().int().min(1).max(1000).nullable(),
  weight: z.number().int().min(1).max(1000),
  cost: priceTable.nullable(),
};

export const routeEntrySchema = z
  .object({ channel: z.string().min(1).max(64), priority: z.number().int().min(-1000).max(1000), weight: z.number().int().min(1).max(1000) })
  .strict();

const credentialChecks = z.object(credentialSettings);

function fail(path: string, message: string): never {
  throw new AppError('invalid_parameter', `${path}: ${message}`, { field: path });
}

function check<T>(schema: z.ZodType<T>, value: unknown, path: string): void {
  const parsed = schema.safeParse(value);
  if (parsed.success) return;
  const issue = parsed.error.issues[0];
  fail([path, ...(issue?.path ?? []).map(String)].join('.'), issue?.message ?? 'invalid');
}

function checkChannel(channel: ChannelRecord): void {
  const path = `channels.${channel.name}`;
  if (!CHANNEL_NAME.test(channel.name)) fail('name', CHANNEL_NAME_RULE);
  for (const field of ['apiKey', 'credentials', 'cost', 'test']) {
    if (field in channel.engine) fail(`${path}.engine.${field}`, field === 'apiKey' ? 'keys go in credentials, not in the engine options' : 'belongs to the channel, not to its engine options');
  }
  const type = String(channel.engine.type);
  // Validates the options by the config's schema (a placeholder key for the keyed types).
  engineConfigFor(channel, null, KEYED_TYPES.has(type) ? 'placeholder-key' : null);
  check(priceTable, channel.cost, `${path}.cost`);
  if (!KEYED_TYPES.has(type) && channel.credentials.length > 0) fail(`${path}.credentials`, `a ${type} engine takes no upstream key`);
  if (channel.credentials.length > MAX_CREDENTIALS) fail(`${path}.credentials`, `at most ${MAX_CREDENTIALS} per channel`);
  const ids = new Set<string>();
  for (const credential of channel.credentials) {
    const at = `${path}.credentials.${credential.id}`;
    if (ids.has(credential.id)) fail(at, 'credential ids must be unique');
    ids.add(credential.id);
    check(credentialChecks, credential, at);
    if (credential.region !== null && type !== 'dashscope') fail(`${at}.region`, 'only DashScope credentials have a region');
  }
}

/** Throws the first broken rule of the catalog (invalid_parameter, naming the field). */
export function checkCatalog(content: CatalogContent): void {
  if (content.channels.length > MAX_CHANNELS) fail('channels', `at most ${MAX_CHANNELS} channels`);
  const credentials = content.channels.reduce((total, channel) => total + channel.credentials.length, 0);
  if (credentials > MAX_CATALOG_CREDENTIALS) fail('credentials', `at most ${MAX_CATALOG_CREDENTIALS} credentials over all channels (${credentials})`);
  const names = new Set<string>();
  for (const channel of content.channels) {
    if (names.has(channel.name)) fail(`channels.${channel.name}`, 'a channel of that name exists');
    names.add(channel.name);
    checkChannel(channel);
  }
  for (const [model, entries] of Object.entries(content.routes)) {
    const path = `routes.${model}`;
    if (!PRICE_KEYS.includes(model)) fail(path, `unknown model "${model}": keys are model ids, families or "*"`);
    if (entries.length === 0 || entries.length > 100) fail(path, 'must list 1–100 channels');
    const seen = new Set<string>();
    for (const [index, entry] of entries.entries()) {
      check(routeEntrySchema, entry, `${path}.${index}`);
      if (!names.has(entry.channel)) fail(`${path}.${index}.channel`, `channel "${entry.channel}" does not exist`);
      if (seen.has(entry.channel)) fail(`${path}.${index}.channel`, `channel "${entry.channel}" is listed twice`);
      seen.add(entry.channel);
    }
  }
  check(priceTable, content.prices.perImage, 'prices.perImage');
  for (const [channel, table] of Object.entries(content.prices.perEngine)) {
    if (!names.has(channel)) fail(`prices.perEngine.${channel}`, `channel "${channel}" does not exist`);
    check(priceTable, table, `prices.perEngine.${channel}`);
  }
}
