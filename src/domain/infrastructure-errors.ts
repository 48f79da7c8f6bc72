/**
 * Recognises a thrown value as a failure of the infrastructure the gateway stands on — its
 * database, disk or object storage unreachable, restarting or full — rather than a bug: such a
 * request is answered 503 `unavailable` (retry shortly) and logged as a warning, not a 500.
 * Known by the codes the drivers set (pg's SQLSTATE, better-sqlite3's SQLITE_*, Node's errno, the
 * AWS SDK's fault), and a few connection messages pg and ioredis throw without a code.
 */

/** SQLSTATE classes of Postgres that mean "not now": connection (08), resources (53), shutdown (57P), system I/O (58); and a statement timeout. */
const PG_CLASSES = ['08', '53', '57P', '58', '57014'];
const SQLITE_CODES = /^SQLITE_(FULL|IOERR|BUSY|LOCKED|CANTOPEN|PROTOCOL|NOLFS)/;
/** Connection failures a driver throws as Node's errno (a socket reset is left out: a client hanging up looks the same). */
const ERRNO: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND']);
const DISK_ERRNO: ReadonlySet<string> = new Set(['ENOSPC', 'EDQUOT', 'EIO', 'EROFS']);
/** What pg throws without a code when its connection fails or times out. */
const PG_MESSAGES = [/^Connection terminated/, /^timeout exceeded when trying to connect$/, /^Client has encountered a connection error and is not queryable$/, /^Query read timeout$/];
/** What ioredis throws while its connection is down. */
const REDIS_MESSAGES = [/^Stream isn't writeable and enableOfflineQueue options is false$/, /^Connection is closed\.$/];

export type InfrastructurePart = 'database' | 'disk' | 'storage' | 'redis' | 'service';

interface ErrorFields {
  code?: unknown;
  message?: unknown;
  name?: unknown;
  $fault?: unknown;
  $metadata?: unknown;
}

/** Errors the database's connection emitted (see markDatabaseFailure). */
const databaseFailures = new WeakSet<object>();

/**
 * Records that `error` is the database connection's own: a socket reset or broken pipe under a
 * query carries the bare errno a client hanging up carries too, so only the store can say whose it is.
 */
export function markDatabaseFailure(error: object): void {
  databaseFailures.add(error);
}

function classify(error: ErrorFields): InfrastructurePart | null {
  const code = typeof error.code === 'string' ? error.code : '';
  const message = typeof error.message === 'string' ? error.message : '';
  if (DISK_ERRNO.has(code) || code === 'SQLITE_FULL' || code === '53100') return 'disk';
  if (databaseFailures.has(error)) return 'database';
  // The AWS SDK's errors carry `$metadata`; a server fault or a timeout is the storage's.
  if (error.$fault === 'server' || error.name === 'TimeoutError' || error.name === 'RequestTimeout' || (error.$metadata !== undefined && ERRNO.has(code))) return 'storage';
  if (/^[0-9A-Z]{5}$/.test(code) && PG_CLASSES.some((prefix) => code.startsWith(prefix))) return 'database';
  if (SQLITE_CODES.test(code) || PG_MESSAGES.some((pattern) => pattern.test(message))) return 'database';
  if (REDIS_MESSAGES.some((pattern) => pattern.test(message))) return 'redis';
  // A bare errno names no driver: some service the gateway depends on.
  if (ERRNO.has(code)) return 'service';
  return null;
}

/**
 * Which part of the infrastructure failed, if `thrown` is such a failure. Only the error itself is
 * read, not its `cause`: a wrapper (an image download that could not connect, say) has decided
 * what the failure means already.
 */
export function infrastructureFailure(thrown: unknown): InfrastructurePart | null {
  if (typeof thrown !== 'object' || thrown === null) return null;
  return classify(thrown);
}

/**
 * Whether `thrown` may be the database failing: its own codes, or a bare connection failure (pg
 * throws the socket's errno when it cannot connect). A worker retries such a task's job instead
 * of recording an ending the database could not keep.
 */
export function mayBeDatabaseOutage(thrown: unknown): boolean {
  const part = infrastructureFailure(thrown);
  return part === 'database' || part === 'service';
}
