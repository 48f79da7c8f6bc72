/**
 * Failures of the gateway's own infrastructure are told apart from bugs: what the database,
 * disk and storage drivers throw when unreachable, restarting or full becomes `unavailable`
 * (503, retry), anything else stays `internal`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError, toAppError } from '../../../src/domain/errors.js';
import { infrastructureFailure } from '../../../src/domain/infrastructure-errors.js';
import type { TaskRecord } from '../../../src/domain/task.js';
import { afterAcceptance } from '../../../src/dialects/outcome.js';

const withCode = (code: string, message = 'boom') => Object.assign(new Error(message), { code });

describe('infrastructure failures', () => {
  it('recognises what pg, better-sqlite3, Node, ioredis and the AWS SDK throw', () => {
    const cases: Array<[unknown, string]> = [
      [withCode('57P01', 'terminating connection due to administrator command'), 'database'],
      [withCode('08006'), 'database'],
      [withCode('53300', 'too many connections'), 'database'],
      [withCode('53100', 'could not extend file'), 'disk'],
      [new Error('Connection terminated unexpectedly'), 'database'],
      [new Error('timeout exceeded when trying to connect'), 'database'],
      [withCode('ECONNREFUSED'), 'service'],
      [withCode('ENOTFOUND'), 'service'],
      [withCode('57014', 'canceling statement due to statement timeout'), 'database'],
      [new Error('Query read timeout'), 'database'],
      [Object.assign(withCode('ECONNREFUSED'), { $metadata: {} }), 'storage'],
      [withCode('SQLITE_FULL', 'database or disk is full'), 'disk'],
      [withCode('SQLITE_IOERR_WRITE'), 'database'],
      [withCode('SQLITE_BUSY'), 'database'],
      [withCode('ENOSPC'), 'disk'],
      [Object.assign(new Error('InternalError'), { $fault: 'server' }), 'storage'],
      [Object.assign(new Error('timed out'), { name: 'TimeoutError' }), 'storage'],
      [new Error("Stream isn't writeable and enableOfflineQueue options is false"), 'redis'],
    ];
    for (const [thrown, part] of cases) assert.equal(infrastructureFailure(thrown), part, String((thrown as Error).message));
  });

  it('leaves bugs, bad data, a client hanging up and a wrapper\'s cause alone', () => {
    const download = Object.assign(new Error('could not connect to the image host'), { name: 'SafeFetchError', cause: withCode('ECONNREFUSED') });
    for (const thrown of [download, withCode('ECONNRESET', 'aborted'), withCode('EPIPE'), new TypeError('x is undefined'), withCode('23505', 'duplicate key'), withCode('SQLITE_CONSTRAINT_UNIQUE'), withCode('SQLITE_CORRUPT'), Object.assign(new Error('NoSuchKey'), { $fault: 'client' }), 'a string', null, 42]) {
      assert.equal(infrastructureFailure(thrown), null, String(thrown));
    }
  });

  it('renders as unavailable with a retry hint, naming the part without its details', () => {
    const error = toAppError(withCode('57P01', 'terminating connection due to administrator command'));
    assert.equal(error.kind, 'unavailable');
    assert.equal(error.status, 503);
    assert.equal(error.retryable, true);
    assert.equal(error.retryAfterSeconds, 2);
    assert.match(error.message, /database is unavailable/);
    assert.doesNotMatch(error.message, /administrator/);
    assert.equal(toAppError(new TypeError('x')).kind, 'internal');
    const own = new AppError('invalid_url', 'refused');
    assert.equal(toAppError(Object.assign(own, { code: 'ECONNREFUSED' })), own, 'an AppError stays as thrown');
  });
});

describe('after a task is accepted', () => {
  it('turns the infrastructure failing into a timeout naming the task, never a retry that would pay twice', async () => {
    const task = { id: 'task-1' } as TaskRecord;
    const lost = afterAcceptance(task, async () => {
      throw withCode('57P01', 'terminating connection due to administrator command');
    });
    await assert.rejects(lost, (error: unknown) => error instanceof AppError && error.kind === 'timeout' && /task-1/.test(error.message) && /database is unavailable/.test(error.message));
    const other = new AppError('not_found', 'gone');
    await assert.rejects(afterAcceptance(task, async () => Promise.reject(other)), (error: unknown) => error === other);
    assert.equal(await afterAcceptance(task, async () => 7), 7);
  });
});
