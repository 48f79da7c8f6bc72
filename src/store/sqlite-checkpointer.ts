/**
 * WAL checkpoints on a worker thread. In WAL mode with `synchronous = NORMAL` a commit never
 * fsyncs; only a checkpoint does, and SQLite runs it inside whichever commit crosses the WAL size
 * limit — on the event loop, stalling every request for the length of two fsyncs. Here a second
 * connection on its own thread checkpoints every `intervalMs`, and the serving connection turns
 * its automatic checkpoints off. Should the thread fail, automatic checkpoints come back on.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Database as SqliteFile } from 'better-sqlite3';

export interface Checkpointer {
  stop(): Promise<void>;
}

/** The worker: CommonJS, as `eval` workers are. Answers 'ready' once its connection is open. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 5000');
const timer = setInterval(() => db.pragma('wal_checkpoint(PASSIVE)'), workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message !== 'stop') return;
  clearInterval(timer);
  db.close();
  parentPort.close();
});
parentPort.postMessage('ready');
`;

/** The default limit of automatic checkpoints, in pages, put back if the thread fails. */
const AUTO_CHECKPOINT_PAGES = 1000;

export async function startCheckpointer(
  file: SqliteFile,
  path: string,
  options: { intervalMs: number; onFailure: (error: unknown) => void },
): Promise<Checkpointer> {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { driver, file: path, intervalMs: options.intervalMs } });
  let stopping = false;
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  const fail = (error: unknown): void => {
    if (stopping) return;
    stopping = true;
    if (file.open) file.pragma(`wal_autocheckpoint = ${AUTO_CHECKPOINT_PAGES}`);
    options.onFailure(error);
  };
  await new Promise<void>((resolve, reject) => {
    const failed = (error: Error) => {
      worker.off('exit', exitedEarly);
      reject(error);
    };
    const exitedEarly = (code: number) => {
      worker.off('error', failed);
      reject(new Error(`the checkpoint thread exited with code ${code} before it started`));
    };
    worker.once('message', () => {
      worker.off('error', failed).off('exit', exitedEarly);
      resolve();
    });
    worker.once('error', failed);
    worker.once('exit', exitedEarly);
  });
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`the checkpoint thread exited with code ${code}`)));
  file.pragma('wal_autocheckpoint = 0');
  return {
    async stop() {
      if (stopping) return exited;
      stopping = true;
      worker.postMessage('stop');
      await exited;
    },
  };
}
