#!/usr/bin/env node
/** Composition root: config → gateway (HTTP server and/or worker) → graceful shutdown. */
import { ConfigError, loadConfig } from './config/load.js';
import { startGateway } from './gateway.js';
import { createLogger } from './lib/logger.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`Invalid configuration:\n${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel, config.logFormat === 'auto' ? (process.stdout.isTTY ? 'pretty' : 'json') : config.logFormat);
  for (const notice of config.notices) logger.warn(notice);
  const gateway = await startGateway(config, { logger });
  if (gateway.developmentKey) {
    // stderr, with the other notices for a person: stdout stays one JSON log object per line.
    process.stderr.write(
      `\nDevelopment API key (unlimited, shown once; also saved in ${config.dataDir}/dev-key.txt):\n  ${gateway.developmentKey}\n\n`,
    );
  }
  if (gateway.url) logger.info({ url: gateway.url, publicUrl: config.publicUrl, role: config.role }, 'qwen-image-gateway listening');
  else logger.info({ role: config.role }, 'qwen-image-gateway worker running');

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 30_000);
    force.unref();
    gateway
      .close()
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  process.stderr.write(`qwen-image-gateway failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
