import type { ColumnType, Generated } from 'kysely';

/** Timestamps are epoch milliseconds (bigint in Postgres, integer in SQLite). */
type Millis = number;

export interface TasksTable {
  id: string;
  key_id: string;
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
}

export interface SettingsTable {
  name: string;
  value: string;
  created_at: ColumnType<Millis, Millis, never>;
}

export interface Database {
  tasks: TasksTable;
  task_logs: TaskLogsTable;
  api_keys: ApiKeysTable;
  settings: SettingsTable;
}
