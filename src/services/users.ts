/**
 * Users, their groups and their keys: what the admin API, the CLI and a user's own account page
 * may change. Balances move only through the ledger (BillingService); a key only narrows its
 * user's limits.
 */
import { AppError } from '../domain/errors.js';
import { findModel, listModels } from '../domain/models.js';
import { formatAmount } from '../domain/money.js';
import { assertNarrows, assertNarrowsItself, DEFAULT_GROUP, isRestricted, formatMultiplier, type Budget, type GroupRecord, type Limits } from '../domain/users.js';
import type { Clock } from '../lib/clock.js';
import { newUserId } from '../lib/ids.js';
import { present } from '../lib/present.js';
import type { ApiKeyRecord, GroupStore, KeyPatch, UserListFilter, UserPatch, UserRecord, UserStore } from '../store/ports.js';
import type { BillingService } from './billing.js';
import { keyLimits, type KeyService, type NewKeyOptions, type Principal } from './keys.js';

/** Keys a user may hold (revoked ones do not count): the account page can create them. */
export const MAX_KEYS_PER_USER = 100;

const callerRestricted = (caller: Principal) => isRestricted({ ...caller.keyLimits, expiresAt: caller.keyExpiresAt });

const othersKeys = () => new AppError('forbidden', "This key has limits of its own, so it manages only itself; use a key of the account without limits of its own to create or change the account's other keys.");

/** Only a key without limits of its own creates keys from the account page: a restricted one would multiply its budget and rate. */
function assertManagesKeys(caller: Principal): void {
  if (callerRestricted(caller)) throw new AppError('forbidden', "This key has limits of its own, so it cannot create keys (a new key would add to what it may spend); use a key of the account without limits of its own.");
}

export interface NewUserOptions {
  name: string;
  email?: string | null | undefined;
  group?: string | undefined;
  /** A decimal opening balance; null: an unlimited user (the admin API gives 0.00 when none is sent). */
  balance?: string | null | undefined;
  limits?: Partial<Limits> | undefined;
}

const iso = (at: number | null) => (at === null ? null : new Date(at).toISOString());

export function describeBudget(budget: Budget | null) {
  return budget === null ? null : { amount: formatAmount(budget.micros), period: budget.period };
}

function describeLimits(limits: Limits) {
  return { rateLimitPerMinute: limits.rateLimitPerMinute, maxInFlight: limits.maxInFlight, models: limits.models, budget: describeBudget(limits.budget) };
}

/** A user as the admin API and the account page show it. */
export function describeUser(user: UserRecord) {
  return {
    id: user.id,
    name: user.name,
    email: user.email,
    group: user.group,
    balance: user.balanceMicros === null ? null : formatAmount(user.balanceMicros),
    ...describeLimits(user.limits),
    createdAt: iso(user.createdAt),
    disabledAt: iso(user.disabledAt),
  };
}

/** A key as a user's list shows it: never its secret. */
export function describeOwnKey(key: ApiKeyRecord) {
  return {
    id: key.id,
    name: key.name,
    prefix: key.keyPrefix,
    ...describeLimits(keyLimits(key)),
    createdAt: iso(key.createdAt),
    revokedAt: iso(key.revokedAt),
    expiresAt: iso(key.expiresAt),
  };
}

export function describeGroup(group: GroupRecord & { users?: number }) {
  return {
    name: group.name,
    description: group.description,
    multiplier: formatMultiplier(group.multiplierPpm),
    overrides: Object.fromEntries(Object.entries(group.overrides).map(([model, ppm]) => [model, formatMultiplier(ppm)])),
    ...(group.users === undefined ? {} : { users: group.users }),
    updatedAt: iso(group.updatedAt),
  };
}

function checkModels(models: readonly string[] | null | undefined, field: string): void {
  for (const model of models ?? []) {
    if (!findModel(model)) throw new AppError('invalid_parameter', `${field}: unknown model ${model}; GET /v1/models lists them.`, { field });
  }
}

export class UserService {
  constructor(
    private readonly deps: { users: UserStore; groups: GroupStore; keys: KeyService; billing: BillingService; clock: Clock },
  ) {}

  async create(options: NewUserOptions): Promise<UserRecord> {
    checkModels(options.limits?.models, 'models');
    const opening = options.balance ?? null;
    // Checked before the user exists, so a refused balance leaves nobody behind.
    if (opening !== null) this.deps.billing.parseCredit(opening, { opening: true, field: 'balance' });
    const now = this.deps.clock.now();
    const limits = options.limits ?? {};
    const user: UserRecord = {
      id: newUserId(),
      name: options.name,
      email: options.email ?? null,
      group: options.group ?? DEFAULT_GROUP,
      balanceMicros: null,
      limits: { rateLimitPerMinute: limits.rateLimitPerMinute ?? null, maxInFlight: limits.maxInFlight ?? null, models: limits.models ?? null, budget: limits.budget ?? null },
      createdAt: now,
      updatedAt: now,
      disabledAt: null,
    };
    await this.deps.users.create(user);
    if (opening !== null) await this.deps.billing.credit({ userId: user.id }, opening, 'opening balance', { opening: true });
    return this.require(user.id);
  }

  async require(id: string): Promise<UserRecord> {
    const user = await this.deps.users.get(id);
    if (!user) throw new AppError('not_found', `No user with id ${id}.`);
    return user;
  }

  list(filter: UserListFilter) {
    return this.deps.users.list(filter);
  }

  getMany(ids: readonly string[]) {
    return this.deps.users.getMany(ids);
  }

  async update(id: string, patch: UserPatch): Promise<UserRecord> {
    checkModels(patch.models, 'models');
    const updated = await this.deps.users.update(id, patch, this.deps.clock.now());
    if (!updated) throw new AppError('not_found', `No user with id ${id}.`);
    this.deps.keys.forgetUser(id);
    return updated;
  }

  listGroups() {
    return this.deps.groups.list();
  }

  async putGroup(group: Omit<GroupRecord, 'createdAt' | 'updatedAt'>): Promise<GroupRecord> {
    for (const model of Object.keys(group.overrides)) {
      if (!findModel(model) && !listModels().some((m) => m.family === model)) throw new AppError('invalid_parameter', `overrides: ${model} is neither a model id nor a model family; GET /v1/models lists them.`, { field: 'overrides' });
    }
    const stored = await this.deps.groups.put(group, this.deps.clock.now());
    // Tasks already held keep their price; new submits on this node see the new one at once.
    this.deps.keys.forgetAll();
    return stored;
  }

  async deleteGroup(name: string): Promise<void> {
    if (name === DEFAULT_GROUP) throw new AppError('unsupported_operation', 'The default group cannot be deleted: new users join it.');
    if (!(await this.deps.groups.delete(name))) throw new AppError('not_found', `No group named ${name}.`);
  }

  /** The user's keys, oldest first. */
  async keysOf(userId: string): Promise<ApiKeyRecord[]> {
    await this.require(userId);
    return this.deps.keys.list(userId);
  }

  /**
   * Creates a key for a user; its limits may narrow the user's, never widen them (refused with
   * the field and the rule). From the user's own page (`caller`), only an unrestricted key may.
   * The secret is returned only here.
   */
  async createKey(userId: string, options: Omit<NewKeyOptions, 'userId'>, caller?: Principal): Promise<{ record: ApiKeyRecord; secret: string }> {
    if (caller) assertManagesKeys(caller);
    const user = await this.require(userId);
    checkModels(options.models, 'models');
    assertNarrows(user.limits, { rateLimitPerMinute: options.rateLimitPerMinute, maxInFlight: options.maxInFlight, models: options.models, budget: options.budget });
    return this.deps.keys.create({ ...options, userId }, MAX_KEYS_PER_USER);
  }

  /**
   * Changes a key's own limits, within its user's. From the user's own page (`caller`): an
   * unrestricted key changes any key of its user; a restricted one only itself, and only to narrow.
   */
  async updateKey(keyId: string, patch: KeyPatch, caller?: Principal): Promise<ApiKeyRecord> {
    const key = await this.ownedKey(keyId, caller?.userId);
    if (key.revokedAt !== null) throw new AppError('conflict', `Key ${keyId} is revoked: its limits no longer matter.`);
    checkModels(patch.models, 'models');
    const user = await this.require(key.userId);
    assertNarrows(user.limits, patch);
    if (caller && callerRestricted(caller)) {
      if (caller.keyId !== keyId) throw othersKeys();
      assertNarrowsItself({ ...caller.keyLimits, expiresAt: caller.keyExpiresAt }, { ...keyLimits(key), ...present(patch), expiresAt: key.expiresAt });
    }
    return (await this.deps.keys.update(keyId, patch)) ?? key;
  }

  /** Revokes a key; from the user's own page a restricted key may revoke only itself. */
  async revokeKey(keyId: string, caller?: Principal): Promise<ApiKeyRecord> {
    const key = await this.ownedKey(keyId, caller?.userId);
    if (caller && callerRestricted(caller) && caller.keyId !== keyId) throw othersKeys();
    await this.deps.keys.revoke(keyId);
    return (await this.deps.keys.get(keyId)) ?? key;
  }

  private async ownedKey(keyId: string, userId: string | undefined): Promise<ApiKeyRecord> {
    const key = await this.deps.keys.get(keyId);
    // Another user's key reads as absent.
    if (!key || (userId !== undefined && key.userId !== userId)) throw new AppError('not_found', `No key with id ${keyId}.`);
    return key;
  }
}
