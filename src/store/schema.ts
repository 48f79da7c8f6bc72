import type { ColumnType, Generated } from 'kysely';

/** Timestamps are epoch milliseconds (bigint in Postgres, integer in SQLite). */
type Millis = number;

export interface TasksTable {
  id: string;
  key_id: string;
  /** The key's user when the task was submitted (null only for a task whose key was gone before 0008). */
  user_id: string | null;
  model: string;
  kind: string;
  status: string;
  /** JSON of TaskSpec. */
  spec: string;
  /** JSON arrays/objects, stored as text so SQLite and Postgres share the code. */
  inputs: string;
  engine: string | null;
  operation: string | null;
  outputs: string;
  usage: string | null;
  actual_prompt: string | null;
  error: string | null;
  warnings: string;
  attempts: number;
  cancel_requested: number;
  origin: string;
  request_id: string;
  created_at: Millis;
  started_at: Millis | null;
  finished_at: Millis | null;
  updated_at: Millis;
  lease_until: Millis | null;
  worker_id: string | null;
  /**
   * The unit price in micros: the hold's at submit (the dearest engine of the route), then, once
   * settled with images, the one applied (the producing engine's; an average over several).
   */
  price_micros: Generated<number>;
  hold_micros: Generated<number>;
  charged_micros: number | null;
  /** none (free or not billed) → held (at submit) → settled (exactly once, when the task ends). */
  billing_state: Generated<string>;
  /** The user's group multiplier for this model at submit, in ppm; every price of the task is the engine's times this. */
  price_multiplier_ppm: Generated<number>;
  /**
   * 'task': the task owns its blobs, deleted once past the output retention; 'purged': deleted;
   * null: a task from before blobs were owned, whose (possibly shared) blobs are kept.
   */
  blob_scope: string | null;
}

export interface TaskLogsTable {
  id: Generated<number>;
  task_id: string;
  at: Millis;
  level: string;
  message: string;
}

export interface ApiKeysTable {
  id: string;
  name: string;
  key_hash: string;
  key_prefix: string;
  created_at: Millis;
  revoked_at: Millis | null;
  expires_at: Millis | null;
  rate_limit_per_minute: number | null;
  max_in_flight: number | null;
  /** JSON array of allowed model ids, or null for all. */
  models: string | null;
  /** The user whose balance the key draws on. */
  user_id: string;
  /** The key's own spend budget per budget_period (null: none beyond its user's). */
  budget_micros: number | null;
  budget_period: string | null;
}

export interface UsersTable {
  id: string;
  name: string;
  /** A contact or reference the reseller keeps; never used to sign in. */
  email: string | null;
  group_name: string;
  /** Null for an unlimited user. */
  balance_micros: number | null;
  rate_limit_per_minute: number | null;
  max_in_flight: number | null;
  /** JSON array of allowed model ids, or null for all. */
  models: string | null;
  budget_micros: number | null;
  /** 'day' or 'month' (UTC), with budget_micros. */
  budget_period: string | null;
  created_at: Millis;
  updated_at: Millis;
  disabled_at: Millis | null;
}

export interface UserGroupsTable {
  name: string;
  description: string;
  multiplier_ppm: number;
  /** JSON: model id or family → multiplier in ppm. */
  overrides: string;
  created_at: Millis;
  updated_at: Millis;
}

export interface RedemptionBatchesTable {
  id: string;
  name: string;
  amount_micros: number;
  count: number;
  expires_at: Millis | null;
  created_at: Millis;
  revoked_at: Millis | null;
}

/** One code of a batch, by the SHA-256 of its text (the text is shown once, at creation). */
export interface RedemptionCodesTable {
  code_hash: string;
  batch_id: string;
  /** The code's first characters, to tell codes apart in lists. */
  code_prefix: string;
  redeemed_at: Millis | null;
  user_id: string | null;
  key_id: string | null;
}

export interface LedgerTable {
  id: Generated<number>;
  /** The user whose balance the row changes. */
  user_id: string;
  /** The key that caused it (its task's, or the one that redeemed a code); null for an operator's credit. */
  key_id: string | null;
  task_id: string | null;
  /** credit (+), redeem (+, a code), hold (−, at submit), release (+, the unused part of a hold when the task ends). */
  kind: string;
  /** The change to the user's balance. */
  amount_micros: number;
  note: string;
  created_at: Millis;
  /** A release's: the engine whose price was applied ("a+b" after a failover); null otherwise and on rows from before. */
  engine: string | null;
  /** A release's: the unit price applied, in micros; null otherwise and on rows from before. */
  unit_price_micros: number | null;
}

export interface UsageRecordsTable {
  task_id: string;
  key_id: string;
  user_id: string | null;
  model: string;
  images: number;
  unit_price_micros: number;
  amount_micros: number;
  currency: string;
  description: string;
  created_at: Millis;
  /** The engine that produced the images ("a+b" when several did); null on rows from before engines were priced. */
  engine: string | null;
  /** The channel's credential that produced them ("x+y" when several did); null for keyless engines and rows from before. */
  credential: string | null;
  /** The upstream cost of the images, in micros; 0 on rows from before costs were recorded. */
  cost_micros: Generated<number>;
}

export interface IdempotencyKeysTable {
  key_id: string;
  idem_key: string;
  fingerprint: string;
  task_id: string;
  created_at: Millis;
}

export interface SettingsTable {
  name: string;
  value: string;
  created_at: ColumnType<Millis, Millis, never>;
}

/** The fal and SeaArt options of a task, and the webhook it was submitted with. */
export interface QueueRequestsTable {
  task_id: string;
  dialect: string;
  /** The endpoint as the client named it (`fal-ai/qwen-image-edit-plus`, `qwen_image_edit_plus`). */
  endpoint: string;
  sync_mode: number;
  /** fal's x-fal-request-timeout: the task is canceled if still queued at this time. */
  start_deadline: Millis | null;
  /** 1 when the task was canceled because its start deadline passed. */
  timed_out: number;
  webhook_url: string | null;
  /** waiting (until the task ends) → scheduled (a delivery row exists); null without a webhook. */
  webhook_state: string | null;
  created_at: Millis;
}

export interface WebhookDeliveriesTable {
  id: Generated<number>;
  task_id: string;
  url: string;
  /** The JSON body, rendered once when the task ended, so every attempt sends the same bytes. */
  body: string;
  /** pending → sending (claimed by one node) → delivered | failed; back to pending to retry. */
  state: string;
  attempts: number;
  next_attempt_at: Millis;
  claimed_by: string | null;
  claimed_until: Millis | null;
  last_status: number | null;
  last_error: string | null;
  created_at: Millis;
  updated_at: Millis;
  finished_at: Millis | null;
}

/** A channel of the catalog (decision 0011); JSON as text, as elsewhere. */
export interface ChannelsTable {
  name: string;
  /** The channel's place in the catalog's list (its order in the console). */
  position: number;
  /** JSON of the engine's options (no secrets). */
  engine: string;
  enabled: number;
  /** JSON: model id, family or "*" → upstream cost of one image. */
  cost: string;
  test: string;
  created_at: Millis;
  updated_at: Millis;
}

export interface ChannelCredentialsTable {
  id: string;
  channel: string;
  /** Its place among the channel's credentials. */
  position: number;
  label: string;
  last4: string;
  /** JSON of the SecretRef: a config path, or the ciphertext of a key entered at runtime. */
  secret: string;
  region: string | null;
  qps: number | null;
  max_concurrent: number | null;
  weight: number;
  /** JSON cost override, or null for the channel's. */
  cost: string | null;
  enabled: number;
  /** JSON of the automatic disable, or null. */
  disabled: string | null;
  /** JSON { strikes, endedAt }: the last automatic disable a re-test ended, or null. */
  last_disable: string | null;
  created_at: Millis;
  updated_at: Millis;
}

export interface ChannelRoutesTable {
  /** The model id, family or "*" routed. */
  route: string;
  /** The entry's place among all route entries (keeps both the routes' and their entries' order). */
  position: number;
  channel: string;
  priority: number;
  weight: number;
}

/** One row (id 1): the catalog's version, prices and seeds. */
export interface CatalogStateTable {
  id: number;
  version: number;
  /** JSON of PriceSettings. */
  prices: string;
  /** JSON: config item → hash of its text as last applied. */
  seeds: string;
}

export interface CatalogAuditTable {
  id: Generated<number>;
  at: Millis;
  actor: string;
  action: string;
  subject: string;
  /** JSON of the thing before and after the change (null when there was none). */
  before: string;
  after: string;
}

export interface Database {
  tasks: TasksTable;
  task_logs: TaskLogsTable;
  api_keys: ApiKeysTable;
  users: UsersTable;
  user_groups: UserGroupsTable;
  redemption_batches: RedemptionBatchesTable;
  redemption_codes: RedemptionCodesTable;
  settings: SettingsTable;
  ledger: LedgerTable;
  usage_records: UsageRecordsTable;
  idempotency_keys: IdempotencyKeysTable;
  queue_requests: QueueRequestsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  channels: ChannelsTable;
  channel_credentials: ChannelCredentialsTable;
  channel_routes: ChannelRoutesTable;
  catalog_state: CatalogStateTable;
  catalog_audit: CatalogAuditTable;
}
