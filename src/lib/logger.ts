import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * The server's logger: JSON lines (for collectors), or readable coloured lines for a person at a
 * terminal (pino-pretty, in pino's transport thread so formatting never blocks a request).
 */
export function createLogger(level: string, format: 'json' | 'pretty' = 'json'): Logger {
  const options = { level, base: { service: 'qwen-image-gateway' } };
  if (format === 'json') return pino(options);
  return pino(options, pino.transport({ target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service' } }));
}

/** A logger that drops everything, for tests and tools. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
