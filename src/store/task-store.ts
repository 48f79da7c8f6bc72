/**
 * The task table: the source of truth for every task. Every state change is one conditional
 * UPDATE, so two workers (or a worker and a cancel) can never both win. A task is created with its
 * hold and ended with its settlement, each in one transaction (the ledger's part is
 * ledger-entries.ts).
 */
import { sql, type Kysely, type Transaction, type Updateable } from 'kysely';
import { AppError } from '../domain/errors.js';
import type { TaskError } from '../domain/errors.js';
import { TERMINAL_STATUSES, type TaskLogLine, type TaskOutcome, type TaskRecord } from '../domain/task.js';
import type { SqlDialect } from './dialect-name.js';
import { PENDING } from './idempotency-store.js';
import { settleEnded, takeHold } from './ledger-entries.js';
import type { NewTask, SubmitLimits, TaskListFilter, TaskProgress, TaskStore } from './ports.js';
import { queueRequestRow } from './queue-request-store.js';
import { compiledOnce } from './compiled-once.js';
import type { Database, TasksTable } from './schema.js';
import { BufferedTaskLogs } from './task-logs.js';
import { newTaskRow, rowToTask, type Row } from './task-rows.js';

// The queries every task runs, compiled once (compiled-once.ts).
const insertTask = compiledOnce((db, row: Row) => db.insertInto('tasks').values(row));
const taskById = compiledOnce((db, v: { id: string }) => db.selectFrom('tasks').selectAll().where('id', '=', v.id));
const claimTask = compiledOnce((db, v: { id: string; workerId: string; now: number; leaseUntil: number }) =>
  db
    .updateTable('tasks')
    .set((eb) => ({
      status: 'running',
      worker_id: v.workerId,
      lease_until: v.leaseUntil,
      updated_at: v.now,
      started_at: eb.fn.coalesce('started_at', eb.val(v.now)),
      // A resumed poll is not a new attempt; only a start from the queue is.
      attempts: eb.case().when('status', '=', 'queued').then(eb('attempts', '+', 1)).else(eb.ref('attempts')).end(),
    }))
    .where('id', '=', v.id)
    .where((eb) =>
      eb.or([
        eb('status', '=', 'queued'),
        eb.and([eb('status', '=', 'running'), eb('lease_until', '<=', v.now)]),
        // A parked task with a cancel request is taken at once, to stop its upstream operation.
        eb.and([eb('status', '=', 'running'), eb('worker_id', 'is', null), eb('cancel_requested', '=', 1)]),
      ]),
    )
    .returningAll(),
);
/** The ending's columns, and which task and worker it is for. */
type Ending = Updateable<TasksTable> & { ending_id: string; ending_worker: string };
const finishTask = compiledOnce((db, { ending_id, ending_worker, ...set }: Ending) =>
  db.updateTable('tasks').set(set).where('id', '=', ending_id).where('status', '=', 'running').where('worker_id', '=', ending_worker).returningAll(),
);

export interface SqlTaskStoreOptions {
  /** The prices' currency, named in the ledger's notes. */
  currency: string;
  /** Which SQL the store speaks: a hold share-locks an unlimited user's row on Postgres. */
  dialect: SqlDialect;
  /** Task log lines are written in the background; this hears when a batch could not be. */
  onLogError?: (error: unknown) => void;
}

/** Text matched literally by LIKE … ESCAPE '!'. */
const likeLiteral = (text: string) => text.replace(/[!%_]/g, (c) => `!${c}`);

export class SqlTaskStore implements TaskStore {
  private readonly taskLogs: BufferedTaskLogs;
  private readonly currency: string;
  private readonly dialect: SqlDialect;

  constructor(
    private readonly db: Kysely<Database>,
    options: SqlTaskStoreOptions,
  ) {
    this.currency = options.currency;
    this.dialect = options.dialect;
    this.taskLogs = new BufferedTaskLogs(db, options.onLogError ?? (() => {}));
  }

  async create(task: NewTask, limits: SubmitLimits = { maxInFlight: null }): Promise<TaskRecord> {
    return this.db.transaction().execute(async (trx) => {
      const row = newTaskRow(task);
      await trx.executeQuery(insertTask(trx, row));
      // A queue request is written with its task: never a task without its webhook or deadline.
      if (task.queueRequest) await trx.insertInto('queue_requests').values(queueRequestRow({ ...task.queueRequest, taskId: task.id, createdAt: task.createdAt })).execute();
      if (limits.idempotencyKey !== undefined) await fillIdempotencyClaim(trx, task, limits.idempotencyKey);
      await takeHold(trx, task, limits, this.currency, this.dialect);
      return rowToTask(row);
    });
  }

  async get(id: string): Promise<TaskRecord | null> {
    const [row] = (await this.db.executeQuery(taskById(this.db, { id }))).rows;
    return row ? rowToTask(row) : null;
  }

  async list(filter: TaskListFilter): Promise<{ tasks: TaskRecord[]; total: number }> {
    let query = this.db.selectFrom('tasks');
    if (filter.keyId !== undefined) query = query.where('key_id', '=', filter.keyId);
    if (filter.userId !== undefined) query = query.where('user_id', '=', filter.userId);
    if (filter.status !== undefined) query = query.where('status', '=', filter.status);
    if (filter.model !== undefined) query = query.where('model', '=', filter.model);
    if (filter.createdFrom !== undefined) query = query.where('created_at', '>=', filter.createdFrom);
    if (filter.createdTo !== undefined) query = query.where('created_at', '<=', filter.createdTo);
    const [rows, count] = await Promise.all([
      query.selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filter.limit).offset(filter.offset).execute(),
      query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    ]);
    return { tasks: rows.map(rowToTask), total: Number(count.n) };
  }

  async claim(id: string, workerId: string, now: number, leaseUntil: number): Promise<TaskRecord | null> {
    const [row] = (await this.db.executeQuery(claimTask(this.db, { id, workerId, now, leaseUntil }))).rows;
    return row ? rowToTask(row) : null;
  }

  async saveProgress(id: string, workerId: string, progress: TaskProgress, now: number): Promise<boolean> {
    const result = await this.db
      .updateTable('tasks')
      .set({
        updated_at: now,
        ...(progress.engine !== undefined ? { engine: progress.engine } : {}),
        ...(progress.operation !== undefined ? { operation: JSON.stringify(progress.operation) } : {}),
        ...(progress.outputs !== undefined ? { outputs: JSON.stringify(progress.outputs) } : {}),
        ...(progress.warnings !== undefined ? { warnings: JSON.stringify(progress.warnings) } : {}),
        ...(progress.leaseUntil !== undefined ? { lease_until: progress.leaseUntil } : {}),
        ...(progress.release ? { worker_id: null } : {}),
      })
      .where('id', '=', id)
      .where('status', '=', 'running')
      .where('worker_id', '=', workerId)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async finish(id: string, workerId: string, outcome: TaskOutcome, now: number): Promise<TaskRecord | null> {
    return this.db.transaction().execute(async (trx) => {
      const finished = await finishTaskRow(trx, id, workerId, outcome, now);
      if (!finished) return null;
      const settled = await settleEnded(trx, finished, now, this.currency, outcome.charge);
      return settled === null ? finished : { ...finished, billing: { ...finished.billing, state: 'settled', ...settled } };
    });
  }

  async cancelQueued(id: string, now: number): Promise<boolean> {
    const result = await this.db
      .updateTable('tasks')
      .set({ status: 'canceled', cancel_requested: 1, finished_at: now, updated_at: now })
      .where('id', '=', id)
      .where('status', '=', 'queued')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async requestCancel(id: string, now: number): Promise<boolean> {
    const result = await this.db
      .updateTable('tasks')
      .set({ cancel_requested: 1, updated_at: now })
      .where('id', '=', id)
      .where('status', '=', 'running')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async findExpired(before: number, limit: number): Promise<TaskRecord[]> {
    const rows = await this.db
      .selectFrom('tasks')
      .selectAll()
      .where('status', '=', 'running')
      .where('lease_until', '<', before)
      .orderBy('lease_until')
      .limit(limit)
      .execute();
    return rows.map(rowToTask);
  }

  async findEnded(ids: readonly string[]): Promise<TaskRecord[]> {
    if (ids.length === 0) return [];
    const rows = await this.db.selectFrom('tasks').selectAll().where('id', 'in', ids).where('status', 'in', [...TERMINAL_STATUSES]).execute();
    return rows.map(rowToTask);
  }

  async findParked(limit: number, afterId?: string): Promise<TaskRecord[]> {
    let query = this.db.selectFrom('tasks').selectAll().where('status', '=', 'running').where('worker_id', 'is', null);
    if (afterId !== undefined) query = query.where('id', '>', afterId);
    const rows = await query.orderBy('id').limit(limit).execute();
    return rows.map(rowToTask);
  }

  async findQueued(limit: number, after?: { createdAt: number; id: string }): Promise<TaskRecord[]> {
    let query = this.db.selectFrom('tasks').selectAll().where('status', '=', 'queued');
    if (after) {
      query = query.where((eb) =>
        eb.or([eb('created_at', '>', after.createdAt), eb.and([eb('created_at', '=', after.createdAt), eb('id', '>', after.id)])]),
      );
    }
    const rows = await query
      .orderBy('created_at')
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map(rowToTask);
  }

  async requeueExpired(id: string, before: number, now: number): Promise<boolean> {
    const result = await this.db
      .updateTable('tasks')
      .set({ status: 'queued', worker_id: null, lease_until: null, updated_at: now })
      .where('id', '=', id)
      .where('status', '=', 'running')
      .where('lease_until', '<', before)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async failExpired(id: string, before: number, error: TaskError, now: number): Promise<TaskRecord | null> {
    const result = await this.db
      .updateTable('tasks')
      .set({ status: 'failed', error: JSON.stringify(error), lease_until: null, finished_at: now, updated_at: now })
      .where('id', '=', id)
      .where('status', '=', 'running')
      .where('lease_until', '<', before)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) return null;
    return this.get(id);
  }

  async queuePosition(task: TaskRecord): Promise<number> {
    const row = await this.db
      .selectFrom('tasks')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('status', '=', 'queued')
      .where((eb) =>
        eb.or([eb('created_at', '<', task.createdAt), eb.and([eb('created_at', '=', task.createdAt), eb('id', '<', task.id)])]),
      )
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async countQueued(): Promise<number> {
    const row = await this.db
      .selectFrom('tasks')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('status', '=', 'queued')
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async countRunningOn(engine: string, credential?: string): Promise<number> {
    let query = this.db.selectFrom('tasks').select((eb) => eb.fn.countAll<number>().as('n')).where('status', '=', 'running').where('engine', '=', engine);
    // The channel engine's handle, as JSON.stringify writes it into the task's operation.
    if (credential !== undefined) query = query.where(sql<boolean>`operation like ${`%${likeLiteral(`"qigCredential":${JSON.stringify(credential)}`)}%`} escape '!'`);
    const row = await query.executeTakeFirstOrThrow();
    return Number(row.n);
  }

  appendLog(id: string, line: TaskLogLine): Promise<void> {
    return this.taskLogs.append(id, line);
  }

  flushLogs(): Promise<void> {
    return this.taskLogs.flush();
  }

  logs(id: string, limit = 500): Promise<TaskLogLine[]> {
    return this.taskLogs.read(id, limit);
  }
}

/** Fills in the Idempotency-Key claim the submit took (see idempotency-store.ts) with the task. */
async function fillIdempotencyClaim(trx: Transaction<Database>, task: NewTask, idempotencyKey: string): Promise<void> {
  const filled = await trx
    .updateTable('idempotency_keys')
    .set({ task_id: task.id })
    .where('key_id', '=', task.keyId)
    .where('idem_key', '=', idempotencyKey)
    .where('task_id', '=', PENDING)
    .executeTakeFirst();
  // The claim was taken over as abandoned (this submit outlived the staleness limit).
  if (Number(filled.numUpdatedRows) !== 1) {
    throw new AppError('conflict', `Idempotency-Key "${idempotencyKey}" was taken by another request while this one was being accepted.`, { field: 'Idempotency-Key' });
  }
}

/** Records a task's ending if `workerId` still holds it; the ended task, or null when another worker took it over. */
async function finishTaskRow(db: Transaction<Database>, id: string, workerId: string, outcome: TaskOutcome, now: number): Promise<TaskRecord | null> {
  const common = {
    status: outcome.status,
    finished_at: now,
    updated_at: now,
    lease_until: null,
    warnings: JSON.stringify(outcome.warnings),
    ...(outcome.engine ? { engine: outcome.engine } : {}),
  };
  const values =
    outcome.status === 'succeeded'
      ? {
          ...common,
          outputs: JSON.stringify(outcome.outputs),
          usage: JSON.stringify(outcome.usage),
          actual_prompt: outcome.actualPrompt,
        }
      : outcome.status === 'failed'
        ? { ...common, outputs: JSON.stringify(outcome.outputs), error: JSON.stringify(outcome.error) }
        : common;
  const [row] = (await db.executeQuery(finishTask(db, { ...values, ending_id: id, ending_worker: workerId }))).rows;
  return row ? rowToTask(row) : null;
}
