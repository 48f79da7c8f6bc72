/**
 * Task log lines, buffered and written in batches off the hot path (one INSERT for many lines);
 * a read writes what is pending first. A crash loses at most the last few milliseconds of lines.
 */
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import type { TaskLogLine } from './task-store.js';

export class BufferedTaskLogs {
  private pending: Array<{ task_id: string; at: number; level: string; message: string }> = [];
  private flushing: Promise<void> | null = null;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly onError: (error: unknown) => void,
  ) {}

  async append(id: string, line: TaskLogLine): Promise<void> {
    this.pending.push({ task_id: id, at: line.at, level: line.level, message: line.message });
    this.flushing ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.flush());
  }

  async flush(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, 500);
      try {
        await this.db.insertInto('task_logs').values(batch).execute();
      } catch (error) {
        this.onError(error);
      }
    }
    this.flushing = null;
  }

  async read(id: string, limit: number): Promise<TaskLogLine[]> {
    if (this.flushing) await this.flushing;
    const rows = await this.db
      .selectFrom('task_logs')
      .select(['at', 'level', 'message'])
      .where('task_id', '=', id)
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ at: Number(r.at), level: r.level, message: r.message }));
  }
}
