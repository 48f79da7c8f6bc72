/**
 * The CLI's exit codes (documented in `qig --help` and the README), and the one place an error
 * becomes a message and a code.
 */
import {
  AuthenticationError,
  BadRequestError,
  ConnectionError,
  InsufficientBalanceError,
  NotFoundError,
  PermissionDeniedError,
  QigError,
  RateLimitError,
  TimeoutError,
} from '../client/index.js';
import { AppError } from '../domain/errors.js';
import { usedConnection } from './connection.js';
import { terminalText } from './output.js';

export const EXIT = {
  ok: 0,
  /** The server or the task failed (an engine error, content blocked, a failed or canceled task). */
  failed: 1,
  /** The command or the request was wrong (flags, arguments, parameters the server refused, unknown task). */
  usage: 2,
  /** The key was refused: unknown, revoked, out of balance, or not allowed this model. */
  refused: 3,
  /** The server could not be reached or did not answer in time. */
  unreachable: 4,
  /** Rate limited, still after the retries. */
  rateLimited: 5,
  /** Interrupted (Ctrl-C); a submitted task carries on. */
  interrupted: 130,
} as const;

export const EXIT_CODES_HELP = `
Exit codes:
  0    done
  1    the server or the task failed (engine error, content blocked, task failed or canceled)
  2    wrong command or request (flags, arguments, parameters the server refused, unknown task)
  3    the key was refused (unknown, revoked, out of balance, model not allowed)
  4    the server could not be reached or did not answer in time
  5    rate limited, still after retries
  130  interrupted (Ctrl-C); a submitted task carries on on the server
`;

/** A failure after a task was submitted: the task may carry on, and the hint says how to pick it up. */
export class AfterSubmit extends Error {
  constructor(
    readonly original: unknown,
    readonly taskId: string,
    readonly hint: string,
  ) {
    super(original instanceof Error ? original.message : String(original));
  }
}

/** The file system refused the output folder or a file in it: a wrong `-o`, for the user to fix. */
const FILE_SYSTEM_REFUSALS: ReadonlySet<string> = new Set(['EEXIST', 'EACCES', 'EPERM', 'ENOTDIR', 'EISDIR', 'EROFS', 'ENAMETOOLONG']);

export function exitCodeOf(error: unknown): number {
  if (error instanceof AfterSubmit) return exitCodeOf(error.original);
  if (error instanceof Error && 'code' in error && typeof error.code === 'string' && FILE_SYSTEM_REFUSALS.has(error.code)) return EXIT.usage;
  // ConfigError by name: the config module (and the server's schemas) load only for admin commands.
  if (error instanceof AppError || (error instanceof Error && error.name === 'ConfigError')) return EXIT.usage;
  if (error instanceof AuthenticationError || error instanceof PermissionDeniedError || error instanceof InsufficientBalanceError) return EXIT.refused;
  if (error instanceof ConnectionError || error instanceof TimeoutError) return EXIT.unreachable;
  if (error instanceof RateLimitError) return EXIT.rateLimited;
  if (error instanceof BadRequestError || error instanceof NotFoundError) return EXIT.usage;
  return EXIT.failed;
}

export function messageOf(error: unknown): string {
  if (error instanceof AfterSubmit) return `${messageOf(error.original)}\n${error.hint}`;
  const text = error instanceof Error ? error.message : String(error);
  const id = error instanceof QigError && error.requestId ? ` (request ${error.requestId})` : '';
  const source = error instanceof AuthenticationError && usedConnection ? `; the key came from ${usedConnection.keySource}` : '';
  return terminalText(`${text}${id}${source}`);
}

/** The error as `--json` prints it, on stdout. */
export function errorJson(error: unknown) {
  const original = error instanceof AfterSubmit ? error.original : error;
  const qig = original instanceof QigError ? original : null;
  return {
    error: {
      name: original instanceof Error ? original.name : 'Error',
      code: qig?.code ?? (original instanceof Error && 'code' in original && typeof original.code === 'string' ? original.code : null),
      status: qig?.status ?? null,
      message: original instanceof Error ? original.message : String(original),
      requestId: qig?.requestId ?? null,
      taskId: error instanceof AfterSubmit ? error.taskId : (qig?.taskId ?? null),
      ...(error instanceof AfterSubmit ? { hint: error.hint } : {}),
    },
  };
}
