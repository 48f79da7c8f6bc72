/**
 * Task log lines, buffered and written in batches off the hot path: lines that arrive within
 * `delayMs` of each other share one INSERT (and one commit). A read writes what is pending first.
 * A crash loses at most the last `delayMs` of lines.
 */
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import type { TaskLogLine } from '../domain/task.js';

type LogRow = { task_id: string; at: number; level: string; message: string };

/** Lines per INSERT: well under every driver's limit of bound parameters. */
const BATCH = 500;

export class BufferedTaskLogs {
  private pending: LogRow[] = [];
  private timer: NodeJS.Timeout | null = null;
  /** Writes run one after another, so lines land in the order they were appended. */
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly onError: (error: unknown) => void,
    private readonly delayMs = 10,
  ) {}

  async append(id: string, line: TaskLogLine): Promise<void> {
    this.pending.push({ task_id: id, at: line.at, level: line.level, message: line.message });
    if (this.pending.length >= BATCH) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.delayMs);
  }

  /** Writes every pending line; resolves when they (and any earlier batch) are in the store. */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const rows = this.pending;
    this.pending = [];
    if (rows.length > 0) this.writing = this.writing.then(() => this.write(rows));
    return this.writing;
  }

  async read(id: string, limit: number): Promise<TaskLogLine[]> {
    await this.flush();
    const rows = await this.db
      .selectFrom('task_logs')
      .select(['at', 'level', 'message'])
      .where('task_id', '=', id)
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ at: Number(r.at), level: r.level, message: r.message }));
  }

  private async write(rows: LogRow[]): Promise<void> {
    for (let first = 0; first < rows.length; first += BATCH) {
      try {
        await this.db.insertInto('task_logs').values(rows.slice(first, first + BATCH)).execute();
      } catch (error) {
        this.onError(error);
      }
    }
  }
}
