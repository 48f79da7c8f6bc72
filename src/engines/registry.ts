/** Builds the configured engines by type. Adding an engine type means one entry here. */
import type { EngineConfig } from '../config/schema.js';
import type { Logger } from '../lib/logger.js';
import type { SafeFetch } from '../lib/safe-fetch.js';
import type { Engine } from './engine.js';
import { createLocalEngine } from './local/index.js';

export interface EngineDeps {
  logger: Logger;
  /** The URL guard, for engines that download from upstreams. */
  fetch: SafeFetch;
}

function createEngine(name: string, config: EngineConfig, _deps: EngineDeps): Engine {
  switch (config.type) {
    case 'local':
      return createLocalEngine({ name });
  }
}

export function createEngines(configs: Readonly<Record<string, EngineConfig>>, deps: EngineDeps): Map<string, Engine> {
  return new Map(Object.entries(configs).map(([name, config]) => [name, createEngine(name, config, deps)]));
}
