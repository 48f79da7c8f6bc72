/**
 * Recognises a thrown value as a failure of the infrastructure the gateway stands on — its
 * database, disk or object storage unreachable, restarting or full — rather than a bug: such a
 * request is answered 503 `unavailable` (retry shortly) and logged as a warning, not a 500.
 * Known by the codes the drivers set (pg's SQLSTATE, better-sqlite3's SQLITE_*, Node's errno, the
 * AWS SDK's fault), and a few connection messages pg and ioredis throw without a code.
 */

/** SQLSTATE classes of Postgres that mean "not now": connection (08), resources (53), shutdown (57P), system I/O (58). */
const PG_CLASSES = ['08', '53', '57P', '58'];
const SQLITE_CODES = /^SQLITE_(FULL|IOERR|BUSY|LOCKED|CANTOPEN|PROTOCOL|NOLFS)/;
const ERRNO: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOSPC', 'EDQUOT', 'EIO', 'EMFILE', 'ENFILE', 'EROFS']);
const MESSAGES = [
  /^Connection terminated/,
  /^timeout exceeded when trying to connect$/,
  /^Client has encountered a connection error and is not queryable$/,
  /^Stream isn't writeable and enableOfflineQueue options is false$/,
  /^Connection is closed\.$/,
];

export type InfrastructurePart = 'database' | 'disk' | 'storage';

interface ErrorFields {
  code?: unknown;
  message?: unknown;
  name?: unknown;
  $fault?: unknown;
  cause?: unknown;
}

function classify(error: ErrorFields): InfrastructurePart | null {
  const code = typeof error.code === 'string' ? error.code : '';
  const message = typeof error.message === 'string' ? error.message : '';
  if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'SQLITE_FULL' || code === '53100') return 'disk';
  if (error.$fault === 'server' || error.name === 'TimeoutError' || error.name === 'RequestTimeout') return 'storage';
  if (/^[0-9A-Z]{5}$/.test(code) && PG_CLASSES.some((prefix) => code.startsWith(prefix))) return 'database';
  if (SQLITE_CODES.test(code) || ERRNO.has(code) || MESSAGES.some((pattern) => pattern.test(message))) return 'database';
  return null;
}

/** Which part of the infrastructure failed, if `thrown` (or its direct cause) is such a failure. */
export function infrastructureFailure(thrown: unknown): InfrastructurePart | null {
  if (typeof thrown !== 'object' || thrown === null) return null;
  const error: ErrorFields = thrown;
  return classify(error) ?? (typeof error.cause === 'object' && error.cause !== null ? classify(error.cause) : null);
}
