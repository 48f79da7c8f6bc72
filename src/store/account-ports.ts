/**
 * The store's ports for customers (part of ports.ts, which re-exports them): API keys, the users
 * that own their balances and limits, price groups, and redemption codes.
 */
import type { Budget, GroupRecord, Limits } from '../domain/users.js';

// API keys

export interface ApiKeyRecord {
  id: string;
  name: string;
  keyHash: string;
  /** The first characters of the key, to tell keys apart in lists. */
  keyPrefix: string;
  createdAt: number;
  revokedAt: number | null;
  expiresAt: number | null;
  rateLimitPerMinute: number | null;
  maxInFlight: number | null;
  /** Allowed model ids; null allows every model. */
  models: string[] | null;
  /** The user whose balance the key draws on, and whose limits it may only narrow. */
  userId: string;
  /** The key's own spend budget, within its user's (null: none of its own). */
  budget: Budget | null;
}

/** What a key's limits may be changed to (absent: unchanged; null: none of its own). */
export interface KeyPatch {
  name?: string | undefined;
  rateLimitPerMinute?: number | null | undefined;
  maxInFlight?: number | null | undefined;
  models?: string[] | null | undefined;
  budget?: Budget | null | undefined;
}

/** A key with its user and the user's group, as authentication reads them in one query. */
export interface KeyWithUser {
  key: ApiKeyRecord;
  user: UserRecord;
  group: GroupRecord;
}

export interface KeyStore {
  /**
   * Creates a key, and with it (in one transaction) its user when `user` is given. With
   * `maxActive`, refuses (conflict) a key whose user already has that many unrevoked keys, counted
   * under the user's row lock so concurrent creates cannot pass it.
   */
  create(key: ApiKeyRecord, user?: UserRecord, maxActive?: number): Promise<void>;
  findByHash(hash: string): Promise<KeyWithUser | null>;
  get(id: string): Promise<ApiKeyRecord | null>;
  /** Every key, or a user's, oldest first. */
  list(userId?: string): Promise<ApiKeyRecord[]>;
  update(id: string, patch: KeyPatch): Promise<ApiKeyRecord | null>;
  revoke(id: string, at: number): Promise<boolean>;
  count(): Promise<number>;
}

// Users and groups

export interface UserRecord {
  id: string;
  name: string;
  email: string | null;
  group: string;
  /** The balance when read (null: unlimited); changes go through the ledger, never this field. */
  balanceMicros: number | null;
  limits: Limits;
  createdAt: number;
  updatedAt: number;
  disabledAt: number | null;
}

export interface UserPatch {
  name?: string | undefined;
  email?: string | null | undefined;
  group?: string | undefined;
  rateLimitPerMinute?: number | null | undefined;
  maxInFlight?: number | null | undefined;
  models?: string[] | null | undefined;
  budget?: Budget | null | undefined;
  /** True disables the user (every key refused); false enables it again. */
  disabled?: boolean | undefined;
}

export interface UserListFilter {
  group?: string | undefined;
  /** Matches the id, name or email, case-insensitively. */
  search?: string | undefined;
  limit: number;
  offset: number;
}

export interface UserStore {
  /** Creates a user (balance null or 0: an opening balance is a ledger credit). */
  create(user: UserRecord): Promise<void>;
  get(id: string): Promise<UserRecord | null>;
  /** The users of these ids that exist (the caller bounds the list: one IN list). */
  getMany(ids: readonly string[]): Promise<UserRecord[]>;
  list(filter: UserListFilter): Promise<{ users: UserRecord[]; total: number }>;
  /** Null when there is no such user; refuses an unknown group with not_found. */
  update(id: string, patch: UserPatch, now: number): Promise<UserRecord | null>;
}

export interface GroupStore {
  list(): Promise<Array<GroupRecord & { users: number }>>;
  get(name: string): Promise<GroupRecord | null>;
  /** Creates or replaces a group (its created_at kept); the stored record. */
  put(group: Omit<GroupRecord, 'createdAt' | 'updatedAt'>, now: number): Promise<GroupRecord>;
  /** Deletes a group no user belongs to; false when absent, conflict when in use. */
  delete(name: string): Promise<boolean>;
}

// Redemption codes

export interface RedemptionBatch {
  id: string;
  name: string;
  amountMicros: number;
  count: number;
  expiresAt: number | null;
  createdAt: number;
  revokedAt: number | null;
}

export interface RedemptionBatchSummary extends RedemptionBatch {
  redeemed: number;
}

export interface RedemptionCodeRecord {
  prefix: string;
  redeemedAt: number | null;
  userId: string | null;
  keyId: string | null;
}

/** Why a code was not redeemed; the service words each for the client. */
export type RedeemRefusal = 'unknown' | 'used' | 'expired' | 'revoked' | 'unlimited' | 'too_large';

export type RedeemResult = { kind: 'redeemed'; amountMicros: number; balanceMicros: number; batchId: string } | { kind: RedeemRefusal };

export interface RedemptionStore {
  /** Creates a batch and its codes (by hash) in one transaction. */
  createBatch(batch: RedemptionBatch, codes: ReadonlyArray<{ hash: string; prefix: string }>): Promise<void>;
  listBatches(limit: number, offset: number): Promise<{ batches: RedemptionBatchSummary[]; total: number }>;
  getBatch(id: string): Promise<RedemptionBatchSummary | null>;
  codes(batchId: string): Promise<RedemptionCodeRecord[]>;
  /** Stops a batch's unredeemed codes from working; false when absent or already revoked. */
  revokeBatch(id: string, now: number): Promise<boolean>;
  /**
   * Redeems a code for a user, exactly once across every node: the code is marked by one
   * conditional UPDATE and the user credited, with a ledger row, in the same transaction.
   */
  redeem(hash: string, userId: string, keyId: string, now: number): Promise<RedeemResult>;
}
