/**
 * The store's ports: what the services may ask of the database, one interface per thing stored,
 * with the records they pass. The SQL implementations (SQLite and Postgres through Kysely) sit
 * beside this file; services and http import these types, never an implementation.
 */
import type { AuditDraft, AuditEntry, Catalog, CatalogContent } from '../domain/channels.js';
import type { TaskError } from '../domain/errors.js';
import type { TaskInput, TaskKind, TaskLogLine, TaskOutcome, TaskOutput, TaskRecord, TaskSpec, TaskStatus } from '../domain/task.js';
import type { Budget } from '../domain/users.js';

// Tasks

export interface NewTask {
  id: string;
  /**
   * The unit price and the hold taken at submit: the route's dearest engine's price × the user's
   * multiplier × n (zero when free); the multiplier is kept for the settlement.
   */
  billing?: { unitPriceMicros: number; holdMicros: number; multiplierPpm?: number | undefined } | undefined;
  keyId: string;
  userId: string;
  model: string;
  kind: TaskKind;
  spec: TaskSpec;
  inputs: TaskInput[];
  warnings: string[];
  origin: string;
  requestId: string;
  createdAt: number;
  /** A queue dialect's options (webhook, start deadline), written in the task's own transaction. */
  queueRequest?: Omit<QueueRequestRecord, 'taskId' | 'timedOut' | 'createdAt'> | undefined;
}

export interface TaskListFilter {
  keyId?: string | undefined;
  userId?: string | undefined;
  status?: TaskStatus | undefined;
  model?: string | undefined;
  createdFrom?: number | undefined;
  createdTo?: number | undefined;
  limit: number;
  offset: number;
}

/** Progress a worker saves while a task runs. */
export interface TaskProgress {
  engine?: string | null;
  operation?: unknown;
  outputs?: TaskOutput[];
  warnings?: string[];
  leaseUntil?: number;
  /** Lets go of the task until leaseUntil (parked for a later poll of an upstream operation). */
  release?: boolean;
}

export interface TaskStore {
  /**
   * Creates a task with its hold on the key's balance in one transaction, checking the key's
   * tasks in flight and filling in its idempotency claim (limits: none when left out).
   */
  create(task: NewTask, limits?: SubmitLimits): Promise<TaskRecord>;
  get(id: string): Promise<TaskRecord | null>;
  list(filter: TaskListFilter): Promise<{ tasks: TaskRecord[]; total: number }>;
  /**
   * queued (or running with an expired lease, or parked with a cancel request) → running, held by
   * this worker until leaseUntil.
   */
  claim(id: string, workerId: string, now: number, leaseUntil: number): Promise<TaskRecord | null>;
  /** Saves progress while this worker holds the task; false if it lost it. */
  saveProgress(id: string, workerId: string, progress: TaskProgress, now: number): Promise<boolean>;
  /**
   * Ends a task this worker holds and settles its hold in the same transaction; the ended task,
   * or null if the worker no longer holds it.
   */
  finish(id: string, workerId: string, outcome: TaskOutcome, now: number): Promise<TaskRecord | null>;
  /** queued → canceled; false if it was not queued. */
  cancelQueued(id: string, now: number): Promise<boolean>;
  /** Flags a running task for cancellation; the worker stops it. */
  requestCancel(id: string, now: number): Promise<boolean>;
  /**
   * Running tasks whose lease expired before `before`: held by a worker that died (worker set),
   * or parked for a poll whose queue entry was lost (worker null).
   */
  findExpired(before: number, limit: number): Promise<TaskRecord[]>;
  /** Those of these tasks that have ended (succeeded, failed or canceled). */
  findEnded(ids: readonly string[]): Promise<TaskRecord[]>;
  /** Tasks parked for a later poll (running, held by no worker), by id after a cursor. */
  findParked(limit: number, afterId?: string): Promise<TaskRecord[]>;
  /** Queued tasks, oldest first, after a (createdAt, id) cursor (to re-enqueue after a restart). */
  findQueued(limit: number, after?: { createdAt: number; id: string }): Promise<TaskRecord[]>;
  /** A dead worker's task back to queued (keeping its operation handle), if still expired. */
  requeueExpired(id: string, before: number, now: number): Promise<boolean>;
  /** A dead worker's task failed after too many attempts, if still expired. */
  failExpired(id: string, before: number, error: TaskError, now: number): Promise<TaskRecord | null>;
  /** How many queued tasks were created before this one (0 = next). */
  queuePosition(task: TaskRecord): Promise<number>;
  countQueued(): Promise<number>;
  /**
   * Running tasks (on a worker or parked for a poll) whose engine is this channel; with a
   * credential, only those whose pending upstream operation that credential started.
   */
  countRunningOn(engine: string, credential?: string): Promise<number>;
  appendLog(id: string, line: TaskLogLine): Promise<void>;
  logs(id: string, limit?: number): Promise<TaskLogLine[]>;
}

// The ledger

/** A budget to check at submit, with the window it is checked in. */
export interface BudgetCheck {
  owner: 'user' | 'key';
  budget: Budget;
  /** The period's first instant (tasks created since count) and the next's. */
  start: number;
  resetAt: number;
}

export interface SubmitLimits {
  /** Tasks of this key queued or running at most, or null. */
  maxInFlight: number | null;
  /** Tasks of the key's user (all its keys) queued or running at most, or null. */
  userMaxInFlight?: number | null | undefined;
  /** Spend budgets the new task must fit in, checked under the user's lock. */
  budgets?: readonly BudgetCheck[] | undefined;
  /** The Idempotency-Key this submit claimed (see idempotency-store.ts); the task fills the claim in. */
  idempotencyKey?: string | undefined;
}

export interface UsageRecord {
  taskId: string;
  keyId: string;
  userId: string | null;
  model: string;
  images: number;
  unitPriceMicros: number;
  amountMicros: number;
  currency: string;
  description: string;
  createdAt: number;
  /** The engine that produced the images ("a+b" when several did; then unitPriceMicros is their average); null on rows from before engines were priced. */
  engine: string | null;
  /** The channel's credential that produced them ("x+y" when several did); null for keyless engines and rows from before. */
  credential: string | null;
  /** The upstream cost of those images, in micros (0 on rows from before costs were recorded). */
  costMicros: number;
}

export interface UsageFilter {
  keyId?: string | undefined;
  userId?: string | undefined;
  model?: string | undefined;
  engine?: string | undefined;
  from?: number | undefined;
  to?: number | undefined;
  limit: number;
  offset: number;
}

export interface LedgerRow {
  id: number;
  userId: string;
  /** The key that caused the row; null for an operator's credit to the user. */
  keyId: string | null;
  taskId: string | null;
  kind: string;
  amountMicros: number;
  note: string;
  createdAt: number;
  /** A release's: the engine whose price was applied; null for other rows and rows from before. */
  engine: string | null;
  /** A release's: the unit price applied, in micros; null for other rows and rows from before. */
  unitPriceMicros: number | null;
}

/** Whose balance: a key's (its user's), or a user's named directly. */
export type AccountRef = string | { userId: string };

/**
 * The ledger: settlements, credits, balances and usage, each movement a row tied to its task. A
 * task's hold is taken, and usually settled, by the task store (see TaskStore.create and finish).
 * Balances are users'; a key id stands for its user's.
 */
export interface Ledger {
  /**
   * Settles an ended task exactly once: charges the images it produced (none when it failed or
   * was canceled) and releases the rest of its hold. False when there was nothing to settle.
   */
  settle(taskId: string, now: number, ended?: TaskRecord): Promise<boolean>;
  /** Tasks that ended but were not settled (a crash between the two). */
  findUnsettled(limit: number): Promise<string[]>;
  /** Adds to a user's balance (only an opening credit turns an unlimited user metered); the new balance. */
  credit(account: AccountRef, micros: number, note: string, now: number, options: { opening: boolean }): Promise<number>;
  /** The user's balance in micros; null when unlimited (or unknown: authentication refuses those). */
  balanceOf(account: AccountRef): Promise<number | null>;
  /** The user's balance (null: unlimited) and what its unfinished tasks hold. */
  balance(account: AccountRef): Promise<{ balanceMicros: number | null; heldMicros: number }>;
  /** What the user (or only the key) spent or holds in tasks created since `since` (a budget's use). */
  spentSince(owner: 'user' | 'key', id: string, since: number): Promise<number>;
  usage(filter: UsageFilter): Promise<{ records: UsageRecord[]; total: number; images: number; amountMicros: number }>;
  ledgerRows(account: AccountRef): Promise<LedgerRow[]>;
  /** One page of a user's ledger, newest first, and how many rows it has in all. */
  ledgerPage(userId: string, limit: number, offset: number): Promise<{ rows: LedgerRow[]; total: number }>;
  /** Revenue, upstream cost and margin of settled usage, grouped (see MarginFilter). */
  margins(filter: MarginFilter): Promise<MarginRow[]>;
}

export type MarginDimension = 'day' | 'model' | 'channel' | 'credential' | 'key' | 'user';

export interface MarginFilter {
  /** Inclusive (epoch ms). */
  from?: number | undefined;
  /** Exclusive (epoch ms). */
  to?: number | undefined;
  model?: string | undefined;
  channel?: string | undefined;
  keyId?: string | undefined;
  userId?: string | undefined;
  /** The columns rows are grouped by, in this order (at least one). `day` is the UTC day. */
  groupBy: readonly MarginDimension[];
  /** At most this many rows (the largest revenue first when not grouped by day; by day otherwise). */
  limit: number;
}

/** One group of usage rows; the dimensions not grouped by are absent. */
export interface MarginRow {
  /** `YYYY-MM-DD` (UTC). */
  day?: string;
  model?: string;
  /** The engine (channel) that made the images; "a+b" rows after a failover stay as recorded. */
  channel?: string | null;
  credential?: string | null;
  keyId?: string;
  userId?: string | null;
  tasks: number;
  images: number;
  revenueMicros: number;
  /** What the upstream billed for those images, by the channel's cost table at the time; rows from before costs were recorded count 0. */
  costMicros: number;
}

// Queue requests and webhook deliveries

export interface QueueRequestRecord {
  taskId: string;
  dialect: string;
  endpoint: string;
  syncMode: boolean;
  startDeadline: number | null;
  timedOut: boolean;
  webhookUrl: string | null;
  createdAt: number;
}

/** The queue dialects' options of a task (fal and SeaArt): start deadline, sync mode, webhook. */
export interface QueueRequestStore {
  /** The queue options of a task, or null when it has none. */
  getRequest(taskId: string): Promise<QueueRequestRecord | null>;
  /** Flags a request as timed out before it started; false if it already was. */
  markTimedOut(taskId: string, timedOut: boolean): Promise<boolean>;
  /** Queued tasks whose start deadline has passed and that are not flagged yet. */
  findOverdue(now: number, limit: number): Promise<Array<{ taskId: string; keyId: string }>>;
  /** Tasks that ended while their webhook still waits for a delivery row (nobody was listening). */
  findEndedWaiting(limit: number): Promise<string[]>;
}

export type DeliveryState = 'pending' | 'sending' | 'delivered' | 'failed';

export interface DeliveryRecord {
  id: number;
  taskId: string;
  url: string;
  body: string;
  state: DeliveryState;
  attempts: number;
  nextAttemptAt: number;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: number;
  finishedAt: number | null;
}

/** How an attempt ended: delivered, retry at `nextAttemptAt`, or given up. */
export type AttemptOutcome =
  | { state: 'delivered'; status: number }
  | { state: 'pending'; nextAttemptAt: number; status: number | null; error: string }
  | { state: 'failed'; status: number | null; error: string };

/** Webhook deliveries; every state change is one conditional UPDATE, so two nodes never send one at once. */
export interface DeliveryStore {
  /** Creates the delivery of a task's webhook (at most one per task) and marks the webhook scheduled. True if created. */
  scheduleDelivery(taskId: string, url: string, body: string, now: number): Promise<boolean>;
  /** Ids of deliveries that may be claimed now, soonest due first. */
  dueDeliveries(now: number, limit: number): Promise<number[]>;
  /** When the next pending delivery is due, if any. */
  nextDueAt(): Promise<number | null>;
  /** Takes a due delivery for one attempt (counted now, so a crash mid-send still counts). */
  claim(id: number, workerId: string, now: number, claimUntil: number): Promise<DeliveryRecord | null>;
  /** Records an attempt's outcome, if this worker still holds the delivery. */
  finishAttempt(id: number, workerId: string, outcome: AttemptOutcome, now: number): Promise<boolean>;
  deliveryOf(taskId: string): Promise<DeliveryRecord | null>;
}

// API keys, users, groups and redemption codes: see account-ports.ts

// Idempotency keys

export type IdempotencyClaim =
  | { kind: 'claimed' }
  | { kind: 'existing'; fingerprint: string; taskId: string | null; createdAt: number };

export interface IdempotencyTimes {
  now: number;
  /** Rows created before this are past the window: a new request may take the key. */
  windowStart: number;
  /** Claims still without a task created before this were abandoned (their submit died). */
  staleBefore: number;
}

export interface IdempotencyStore {
  /** Claims `key` for a request with this fingerprint, or reports who holds it. */
  claim(keyId: string, key: string, fingerprint: string, times: IdempotencyTimes): Promise<IdempotencyClaim>;
  /** Gives up a claim whose submit failed before creating its task. */
  release(keyId: string, key: string): Promise<void>;
}

// Blob retention

export interface ExpiredBlobs {
  taskId: string;
  blobIds: string[];
}

export interface BlobRetentionStore {
  /** Ended tasks that own their blobs and ended before `endedBefore`, oldest first. */
  findExpired(endedBefore: number, limit: number): Promise<ExpiredBlobs[]>;
  /** Records that the task's blobs are deleted. */
  markPurged(taskId: string): Promise<void>;
}

// Settings

export interface SettingsStore {
  /** The stored value, or `value` stored now if there was none (first writer wins across nodes). */
  getOrCreate(name: string, value: () => string): Promise<string>;
}

// Channels (the catalog managed at runtime)

export interface ChannelStore {
  /** The whole catalog (channels with their credentials, routes, prices, seeds) and its version. */
  load(): Promise<Catalog>;
  /** The catalog's version alone (0 before the first save): nodes poll it to notice a lost change event. */
  version(): Promise<number>;
  /**
   * Replaces the catalog with `content` if its version is still `expected`, bumping the version
   * and appending the audit entries in the same transaction. The new version, or null when
   * another save came first (the caller reloads and decides again).
   */
  save(content: CatalogContent, expected: number, audit: readonly AuditDraft[], now: number): Promise<number | null>;
  /** Audit entries, newest first. */
  audit(limit: number, offset: number, subject?: string): Promise<{ entries: AuditEntry[]; total: number }>;
}

export type * from './account-ports.js';
