import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/**
 * Credentials a library may log with the headers it was given (@fastify/multipart logs its busboy
 * options, request headers included, at trace): never written, whatever the level. Named paths,
 * not wildcards: a wildcard path is searched on every line and halved the requests a node served.
 */
const REDACTED = ['busboyOptions', 'req', ''].flatMap((at) => ['authorization', 'cookie', '["x-api-key"]'].map((header) => `${at ? `${at}.` : ''}headers${header.startsWith('[') ? header : `.${header}`}`));

/**
 * The server's logger: JSON lines (for collectors), or readable coloured lines for a person at a
 * terminal (pino-pretty, in pino's transport thread so formatting never blocks a request).
 */
export function createLogger(level: string, format: 'json' | 'pretty' = 'json'): Logger {
  const options = loggerOptions(level);
  // Asynchronous writes: a line per request must not cost a blocking write each, nor stall the
  // server while whatever reads stdout is slow. What waits is bounded (past 16 MiB lines are
  // dropped rather than memory growing with the traffic); pino flushes the rest on exit.
  if (format === 'json') return pino(options, pino.destination({ dest: 1, sync: false, maxLength: 16 * 1024 * 1024 }));
  return pino(options, pino.transport({ target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service' } }));
}

/** The options of every logger of the server (tests build theirs from these, to log as it does). */
export function loggerOptions(level: string): LoggerOptions {
  return { level, base: { service: 'qwen-image-gateway' }, redact: { paths: REDACTED, censor: '[redacted]' } };
}

/** A logger that drops everything, for tests and tools. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
