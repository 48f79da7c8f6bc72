/**
 * API keys: authentication of every request, and key management for the admin API and CLI.
 * Secrets are shown once at creation and stored only as SHA-256 hashes.
 */
import { timingSafeEqual } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../domain/errors.js';
import { DEFAULT_GROUP, narrowLimits, NO_LIMITS, type Budget, type GroupRecord, type Limits } from '../domain/users.js';
import type { Clock } from '../lib/clock.js';
import { hashApiKey, newApiKeySecret, newKeyId, newUserId } from '../lib/ids.js';
import type { ApiKeyRecord, KeyPatch, KeyStore, KeyWithUser, UserRecord } from '../store/ports.js';

/** Who is calling: the key a request authenticated with, and its user. */
export interface Principal {
  keyId: string;
  userId: string;
  name: string;
  /** The user's price group: its multipliers price the key's tasks. */
  group: GroupRecord;
  /** The models the key may use: those both the key and its user allow (null: every model). */
  models: readonly string[] | null;
  /** The key's own limits and its user's; each applies (a key only narrows). */
  keyLimits: Limits;
  userLimits: Limits;
  /** When the key stops working, or null. */
  keyExpiresAt: number | null;
}

export interface NewKeyOptions {
  name: string;
  models?: string[] | null | undefined;
  rateLimitPerMinute?: number | null | undefined;
  maxInFlight?: number | null | undefined;
  expiresAt?: number | null | undefined;
  budget?: Budget | null | undefined;
  /** The user the key draws on; absent, a user of its own is created with it (in the default group). */
  userId?: string | undefined;
}

export type AuthScheme = 'Bearer' | 'Key';

const CACHE_TTL_MS = 5_000;

/** A key's own limits, as a Limits. */
export function keyLimits(key: ApiKeyRecord): Limits {
  return { rateLimitPerMinute: key.rateLimitPerMinute, maxInFlight: key.maxInFlight, models: key.models, budget: key.budget };
}

function toPrincipal({ key, user, group }: KeyWithUser): Principal {
  const own = keyLimits(key);
  return { keyId: key.id, userId: user.id, name: key.name, group, models: narrowLimits(user.limits, own).models, keyLimits: own, userLimits: user.limits, keyExpiresAt: key.expiresAt };
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
  /**
   * Recently seen keys, so hot read paths do not hit the store on every request; with the principal
   * built from them once (a status poll then allocates nothing to authenticate).
   */
  private readonly cache = new Map<string, { record: KeyWithUser; principal: Principal; until: number }>();

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
    // A cached record was stored under its own hash (compared when it was found), so only its state is checked.
    if (cached && cached.until >= now) return this.check(cached.record, now, cached.principal);
    return this.store.findByHash(hash).then((found) => {
      if (!found || !timingSafeEqual(Buffer.from(found.key.keyHash), Buffer.from(hash))) {
        this.cache.delete(hash);
        throw new AppError('unauthorized', 'Invalid API-key provided.');
      }
      const principal = toPrincipal(found);
      this.cache.set(hash, { record: found, principal, until: now + CACHE_TTL_MS });
      return this.check(found, now, principal);
    });
  }

  /** The key's principal, unless the key is revoked or expired or its user disabled. */
  private check({ key, user }: KeyWithUser, now: number, principal: Principal): Principal {
    if (key.revokedAt !== null) throw new AppError('unauthorized', 'This API key has been revoked.');
    if (key.expiresAt !== null && key.expiresAt <= now) throw new AppError('unauthorized', 'This API key has expired.');
    if (user.disabledAt !== null) throw new AppError('unauthorized', 'The account of this API key is disabled.');
    return principal;
  }

  /**
   * Creates a key, with a user of its own unless `userId` names one (which then holds at most
   * `maxActive` unrevoked keys); the secret is returned only here.
   */
  async create(options: NewKeyOptions, maxActive?: number): Promise<{ record: ApiKeyRecord; secret: string }> {
    const now = this.clock.now();
    if (options.expiresAt != null && options.expiresAt <= now) throw new AppError('invalid_parameter', 'expiresAt: must be in the future.', { field: 'expiresAt' });
    const secret = newApiKeySecret();
    const own: UserRecord | undefined =
      options.userId === undefined
        ? { id: newUserId(), name: options.name, email: null, group: DEFAULT_GROUP, balanceMicros: null, limits: NO_LIMITS, createdAt: now, updatedAt: now, disabledAt: null }
        : undefined;
    const record: ApiKeyRecord = {
      id: newKeyId(),
      name: options.name,
      keyHash: hashApiKey(secret),
      keyPrefix: secret.slice(0, 11),
      createdAt: now,
      revokedAt: null,
      expiresAt: options.expiresAt ?? null,
      rateLimitPerMinute: options.rateLimitPerMinute ?? null,
      maxInFlight: options.maxInFlight ?? null,
      models: options.models ?? null,
      userId: options.userId ?? (own as UserRecord).id,
      budget: options.budget ?? null,
    };
    await this.store.create(record, own, own ? undefined : maxActive);
    return { record, secret };
  }

  /** Every key, or a user's. */
  list(userId?: string): Promise<ApiKeyRecord[]> {
    return this.store.list(userId);
  }

  async update(id: string, patch: KeyPatch): Promise<ApiKeyRecord | null> {
    const updated = await this.store.update(id, patch);
    this.forget((record) => record.key.id === id);
    return updated;
  }

  /** Drops cached keys of a user whose limits, group or state changed, so this node sees it at once. */
  forgetUser(userId: string): void {
    this.forget((record) => record.user.id === userId);
  }

  /** Drops every cached key (a group's multipliers changed). */
  forgetAll(): void {
    this.cache.clear();
  }

  private forget(match: (record: KeyWithUser) => boolean): void {
    for (const [hash, entry] of this.cache) if (match(entry.record)) this.cache.delete(hash);
  }

  get(id: string): Promise<ApiKeyRecord | null> {
    return this.store.get(id);
  }

  async revoke(id: string): Promise<boolean> {
    const revoked = await this.store.revoke(id, this.clock.now());
    this.forget((record) => record.key.id === id);
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
