/** Starts the real gateway in-process on 127.0.0.1 port 0 with a temporary data dir. */
import { writeFileSync } from 'node:fs';
import type { RouteOptions } from 'fastify';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import type { Engine } from '../../src/engines/engine.js';
import type { WorkerTimings } from '../../src/composition/timings.js';
import { startGateway, type Gateway } from '../../src/gateway.js';
import type { Clock } from '../../src/lib/clock.js';
import { silentLogger, type Logger } from '../../src/lib/logger.js';
import { tempDir } from './stores.js';

export interface TestGateway {
  gateway: Gateway;
  url: string;
  /** The development key (unlimited). */
  key: string;
  dataDir: string;
  close(): Promise<void>;
}

export interface TestGatewayOptions {
  /** Config file content (JSON). */
  config?: Record<string, unknown>;
  env?: Record<string, string>;
  engines?: ReadonlyMap<string, Engine>;
  worker?: Partial<WorkerTimings>;
  /** Reuse a data dir (restart tests); removed by the caller. */
  dataDir?: string;
  /** Built web pages to serve instead of web/dist. */
  webDir?: string;
  /** Time for the whole gateway (a test moves it to pass TTLs and retention). */
  clock?: Clock;
  /** Where the gateway logs (default: nowhere). */
  logger?: Logger;
  /** Sees each route as it is registered. */
  onRoute?: (route: RouteOptions) => void;
}

export async function startTestGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const dir = options.dataDir ? null : tempDir();
  const dataDir = options.dataDir ?? (dir as { path: string }).path;
  const env: Record<string, string> = { PORT: '0', HOST: '127.0.0.1', QIG_DATA_DIR: dataDir, QIG_LOG_LEVEL: 'silent', ...options.env };
  if (options.config) {
    const path = join(dataDir, 'test-config.json');
    writeFileSync(path, JSON.stringify(options.config));
    env.QIG_CONFIG = path;
  }
  const config = loadConfig(env, dataDir);
  const { engines, worker, webDir, clock, onRoute } = options;
  const gateway = await startGateway(config, {
    logger: options.logger ?? silentLogger(),
    ...(engines ? { engines } : {}),
    ...(worker ? { worker } : {}),
    ...(webDir ? { webDir } : {}),
    ...(clock ? { clock } : {}),
    ...(onRoute ? { onRoute } : {}),
  });
  const key = gateway.developmentKey ?? '';
  return {
    gateway,
    url: gateway.url as string,
    key,
    dataDir,
    async close() {
      await gateway.close();
      dir?.remove();
    },
  };
}
