/** Task rows and records: JSON columns in, typed records out (SQLite and Postgres alike). */
import type { Selectable } from 'kysely';
import type { TaskError } from '../domain/errors.js';
import type { TaskBilling, TaskInput, TaskKind, TaskOutput, TaskRecord, TaskSpec, TaskStatus, TaskUsage } from '../domain/task.js';
import type { TasksTable } from './schema.js';
import type { NewTask } from './ports.js';
import { PPM } from '../domain/users.js';

export type Row = Selectable<TasksTable>;

function parseJson<T>(text: string | null, fallback: T): T {
  return text === null ? fallback : (JSON.parse(text) as T);
}

export function rowToTask(row: Row): TaskRecord {
  return {
    id: row.id,
    keyId: row.key_id,
    // Migration 0008 gave every key a user of its own, `usr_<key id>`, and marked its tasks so.
    userId: row.user_id ?? `usr_${row.key_id}`,
    priceMultiplierPpm: Number(row.price_multiplier_ppm),
    model: row.model,
    kind: row.kind as TaskKind,
    status: row.status as TaskStatus,
    spec: parseJson<TaskSpec>(row.spec, {} as TaskSpec),
    inputs: parseJson<TaskInput[]>(row.inputs, []),
    engine: row.engine,
    operation: parseJson<unknown>(row.operation, null),
    outputs: parseJson<TaskOutput[]>(row.outputs, []),
    usage: parseJson<TaskUsage | null>(row.usage, null),
    actualPrompt: row.actual_prompt,
    error: parseJson<TaskError | null>(row.error, null),
    warnings: parseJson<string[]>(row.warnings, []),
    attempts: Number(row.attempts),
    cancelRequested: Number(row.cancel_requested) === 1,
    origin: row.origin,
    requestId: row.request_id,
    createdAt: Number(row.created_at),
    startedAt: row.started_at === null ? null : Number(row.started_at),
    finishedAt: row.finished_at === null ? null : Number(row.finished_at),
    updatedAt: Number(row.updated_at),
    leaseUntil: row.lease_until === null ? null : Number(row.lease_until),
    workerId: row.worker_id,
    billing: {
      state: row.billing_state as TaskBilling['state'],
      unitPriceMicros: Number(row.price_micros),
      holdMicros: Number(row.hold_micros),
      chargedMicros: row.charged_micros === null ? null : Number(row.charged_micros),
    },
  };
}

/** The row of a new task (queued), with its billing columns. */
export function newTaskRow(task: NewTask): Row {
  const hold = task.billing?.holdMicros ?? 0;
  return {
    id: task.id,
    key_id: task.keyId,
    user_id: task.userId,
    model: task.model,
    kind: task.kind,
    status: 'queued',
    spec: JSON.stringify(task.spec),
    inputs: JSON.stringify(task.inputs),
    engine: null,
    operation: null,
    outputs: '[]',
    usage: null,
    actual_prompt: null,
    error: null,
    warnings: JSON.stringify(task.warnings),
    attempts: 0,
    cancel_requested: 0,
    origin: task.origin,
    request_id: task.requestId,
    created_at: task.createdAt,
    started_at: null,
    finished_at: null,
    updated_at: task.createdAt,
    lease_until: null,
    worker_id: null,
    price_micros: task.billing?.unitPriceMicros ?? 0,
    hold_micros: hold,
    charged_micros: null,
    billing_state: task.billing ? 'held' : 'none',
    price_multiplier_ppm: task.billing?.multiplierPpm ?? PPM,
    blob_scope: 'task',
  };
}
