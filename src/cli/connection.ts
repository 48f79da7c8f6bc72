/**
 * Which server and key the API commands use: `--url`/`--key`, else `QIG_URL`/`QIG_API_KEY`,
 * else a server on this machine (`http://127.0.0.1:8080`, or `PORT`) with the development key it
 * saved in `<QIG_DATA_DIR or ./data>/dev-key.txt`. The key file is read only for a loopback URL:
 * a development key never goes to another host.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createClient, type QigClient, type RetryNotice } from '../client/index.js';
import { AppError } from '../domain/errors.js';

export interface ConnectionFlags {
  url?: string;
  key?: string;
}

export interface Connection {
  url: string;
  apiKey: string;
  /** Where the key came from, for messages. */
  keySource: string;
}

const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

function parseUrl(text: string, from: string): URL {
  try {
    const url = new URL(text);
    if (url.protocol === 'http:' || url.protocol === 'https:') return url;
  } catch {
    // reported below
  }
  throw new AppError('invalid_parameter', `${from}: must be an http(s) URL such as http://127.0.0.1:8080 (got "${text}").`);
}

/** The connection of this run, once resolved: a refused key's message says where the key came from. */
export let usedConnection: Connection | null = null;

export function resolveConnection(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): Connection {
  usedConnection = resolveFrom(flags, env);
  return usedConnection;
}

function resolveFrom(flags: ConnectionFlags, env: NodeJS.ProcessEnv): Connection {
  // An empty variable counts as unset (`QIG_URL= qig …`), as an empty QIG_API_KEY does.
  const envUrl = env.QIG_URL || undefined;
  const urlText = flags.url ?? envUrl ?? `http://127.0.0.1:${env.PORT || '8080'}`;
  const url = parseUrl(urlText, flags.url !== undefined ? '--url' : envUrl !== undefined ? 'QIG_URL' : 'PORT');
  const base = url.href.replace(/\/+$/, '');
  if (flags.key) return { url: base, apiKey: flags.key, keySource: '--key' };
  if (env.QIG_API_KEY) return { url: base, apiKey: env.QIG_API_KEY, keySource: 'QIG_API_KEY' };
  const keyFile = join(env.QIG_DATA_DIR || 'data', 'dev-key.txt');
  if (LOOPBACK_HOSTS.has(url.hostname)) {
    try {
      const key = readFileSync(keyFile, 'utf8').trim();
      if (key !== '') return { url: base, apiKey: key, keySource: keyFile };
    } catch {
      // no key file: reported below
    }
  }
  const local = LOOPBACK_HOSTS.has(url.hostname) ? `, or start the server first: it saves its development key in ${keyFile} ($QIG_DATA_DIR/dev-key.txt)` : '';
  throw new AppError('unauthorized', `No API key for ${base}: set QIG_API_KEY or pass --key${local}.`);
}

/** The client of a connection; `onRetry` hears each retry (to say why the command waits). */
export function clientFor(connection: Connection, onRetry?: (retry: RetryNotice) => void): QigClient {
  return createClient({ baseUrl: connection.url, apiKey: connection.apiKey, ...(onRetry ? { onRetry } : {}) });
}
