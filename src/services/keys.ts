/**
 * API keys: authentication of every request, and key management for the admin API and CLI.
 * Secrets are shown once at creation and stored only as SHA-256 hashes.
 */
import { timingSafeEqual } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../domain/errors.js';
import type { Clock } from '../lib/clock.js';
import { hashApiKey, newApiKeySecret, newKeyId } from '../lib/ids.js';
import type { ApiKeyRecord, KeyStore } from '../store/ports.js';

/** Who is calling: the key a request authenticated with. */
export interface Principal {
  keyId: string;
  name: string;
  models: readonly string[] | null;
  rateLimitPerMinute: number | null;
  maxInFlight: number | null;
}

export interface NewKeyOptions {
  name: string;
  models?: string[] | null | undefined;
  rateLimitPerMinute?: number | null | undefined;
  maxInFlight?: number | null | undefined;
  expiresAt?: number | null | undefined;
}

export type AuthScheme = 'Bearer' | 'Key';

const CACHE_TTL_MS = 5_000;

function toPrincipal(record: ApiKeyRecord): Principal {
  return {
    keyId: record.id,
    name: record.name,
    models: record.models,
    rateLimitPerMinute: record.rateLimitPerMinute,
    maxInFlight: record.maxInFlight,
  };
}

/** The secret from an Authorization header in one of the accepted schemes, or null. */
export function credentialFrom(header: string | undefined, schemes: readonly AuthScheme[]): string | null {
  if (!header) return null;
  const space = header.indexOf(' ');
  if (space < 0) return null;
  const scheme = header.slice(0, space).toLowerCase();
  if (!schemes.some((s) => s.toLowerCase() === scheme)) return null;
  const secret = header.slice(space + 1).trim();
  return secret === '' ? null : secret;
}

export class KeyService {
  /** Recently seen keys, so hot read paths do not hit the store on every request. */
  private readonly cache = new Map<string, { record: ApiKeyRecord; until: number }>();

  constructor(
    private readonly store: KeyStore,
    private readonly clock: Clock,
  ) {}

  /**
   * The key of an Authorization header. Answers synchronously from a recent cache hit (status
   * polls are hot), otherwise after asking the store; throws `unauthorized`.
   */
  authenticate(header: string | undefined, schemes: readonly AuthScheme[] = ['Bearer']): Principal | Promise<Principal> {
    const secret = credentialFrom(header, schemes);
    if (secret === null) {
      throw new AppError('unauthorized', `No API key provided. Send it as "Authorization: ${schemes[0]} <key>".`);
    }
    const hash = hashApiKey(secret);
    const now = this.clock.now();
    const cached = this.cache.get(hash);
    if (cached && cached.until >= now) return this.check(cached.record, hash, now);
    return this.store.findByHash(hash).then((found) => {
      if (found) this.cache.set(hash, { record: found, until: now + CACHE_TTL_MS });
      else this.cache.delete(hash);
      return this.check(found, hash, now);
    });
  }

  private check(key: ApiKeyRecord | null, hash: string, now: number): Principal {
    if (!key || !timingSafeEqual(Buffer.from(key.keyHash), Buffer.from(hash))) {
      throw new AppError('unauthorized', 'Invalid API-key provided.');
    }
    if (key.revokedAt !== null) throw new AppError('unauthorized', 'This API key has been revoked.');
    if (key.expiresAt !== null && key.expiresAt <= now) throw new AppError('unauthorized', 'This API key has expired.');
    return toPrincipal(key);
  }

  async create(options: NewKeyOptions): Promise<{ record: ApiKeyRecord; secret: string }> {
    const secret = newApiKeySecret();
    const record: ApiKeyRecord = {
      id: newKeyId(),
      name: options.name,
      keyHash: hashApiKey(secret),
      keyPrefix: secret.slice(0, 11),
      createdAt: this.clock.now(),
      revokedAt: null,
      expiresAt: options.expiresAt ?? null,
      rateLimitPerMinute: options.rateLimitPerMinute ?? null,
      maxInFlight: options.maxInFlight ?? null,
      models: options.models ?? null,
      balanceMicros: null,
    };
    await this.store.create(record);
    return { record, secret };
  }

  list(): Promise<ApiKeyRecord[]> {
    return this.store.list();
  }

  get(id: string): Promise<ApiKeyRecord | null> {
    return this.store.get(id);
  }

  async revoke(id: string): Promise<boolean> {
    const revoked = await this.store.revoke(id, this.clock.now());
    for (const [hash, entry] of this.cache) if (entry.record.id === id) this.cache.delete(hash);
    return revoked;
  }

  /**
   * With an empty key store, creates one development key, writes it to `dataDir/dev-key.txt`
   * and returns it (the caller prints it once). Returns null when keys already exist.
   */
  async ensureDevelopmentKey(dataDir: string): Promise<string | null> {
    if ((await this.store.count()) > 0) return null;
    const { secret } = await this.create({ name: 'development' });
    await mkdir(dataDir, { recursive: true });
    await writeFile(join(dataDir, 'dev-key.txt'), `${secret}\n`, { mode: 0o600 });
    return secret;
  }
}
