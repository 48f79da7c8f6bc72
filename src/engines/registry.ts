/** Builds the configured engines by type. Adding an engine type means one entry here (and its options in options.ts). */
import { systemClock, type Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { createSafeFetch, type SafeFetch, type SafeFetchOptions } from '../lib/safe-fetch.js';
import { portOf } from '../lib/url-guard.js';
import { COMFYUI_2509_FILES, createComfyEngine, defaultSampling } from './comfyui/index.js';
import { createDashScopeEngine, dashscopeBaseUrl } from './dashscope/index.js';
import type { Engine } from './engine.js';
import { createFalEngine, DEFAULT_FAL_ENDPOINTS } from './fal/index.js';
import { createLocalEngine } from './local/index.js';
import { createResellerEngine } from './openai-compatible/index.js';
import type { EngineConfig } from './options.js';

export interface EngineDeps {
  logger: Logger;
  /**
   * The URL guard's settings (config `fetch` and the test resolver). Each upstream engine gets a
   * guard of its own that also lets its configured baseUrl through: an admin-configured upstream
   * is trusted even on a private address; URLs from requests never go through it.
   */
  fetch: Pick<SafeFetchOptions, 'allowHosts' | 'maxRedirects' | 'resolver'>;
  clock?: Clock | undefined;
  /** Calls the local engine runs at once on its worker threads (`limits.workerConcurrency`). */
  localThreads?: number | undefined;
  /**
   * Collects the `host:port` of each upstream an engine is built for: the node's shared fetch
   * keeps its connections to these open (a passthrough engine's images are read from there).
   */
  upstreamHosts?: Set<string> | undefined;
}

const FAL_QUEUE_URL = 'https://queue.fal.run';
const DEFAULT_TIMEOUT_SECONDS = 180;

/** `host:port` of a URL, as fetch.allowHosts spells it. */
export function hostPortOf(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${portOf(parsed)}`;
}

function guardFor(baseUrl: string, deps: EngineDeps): SafeFetch {
  const upstream = hostPortOf(baseUrl);
  deps.upstreamHosts?.add(upstream);
  return createSafeFetch({ ...deps.fetch, allowHosts: [...(deps.fetch.allowHosts ?? []), upstream], keepAlive: true });
}

const timeoutMs = (config: { timeoutSeconds?: number | undefined }) => (config.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000;

/** The key of an engine type that needs one: a channel builds one engine per credential, each with its key in `apiKey`. */
function keyOf(name: string, config: { apiKey?: string | undefined }): string {
  if (config.apiKey === undefined) throw new Error(`engine ${name}: no apiKey (a credential of the channel supplies it)`);
  return config.apiKey;
}

/** One engine of a channel: its options with one credential's key (and region) filled in. */
export function createEngine(name: string, config: EngineConfig, deps: EngineDeps): Engine {
  switch (config.type) {
    case 'local':
      return createLocalEngine({ name, threads: deps.localThreads });
    case 'dashscope': {
      const baseUrl = dashscopeBaseUrl(config.baseUrl, config.region);
      return createDashScopeEngine({
        name,
        baseUrl,
        apiKey: keyOf(name, config),
        workspace: config.workspace,
        inputs: config.inputs ?? 'data-uri',
        models: config.models ?? '*',
        taskQueriesPerSecond: config.taskQueriesPerSecond ?? 20,
        timeoutMs: timeoutMs(config),
        fetch: guardFor(baseUrl, deps),
        logger: deps.logger,
        clock: deps.clock ?? systemClock,
      });
    }
    case 'openai-compatible':
      return createResellerEngine({
        name,
        baseUrl: config.baseUrl,
        apiKey: keyOf(name, config),
        style: config.style,
        path: config.path,
        inputs: config.inputs ?? 'data-uri',
        responseFormat: config.responseFormat,
        models: config.models ?? '*',
        timeoutMs: timeoutMs(config),
        fetch: guardFor(config.baseUrl, deps),
      });
    case 'fal': {
      const baseUrl = config.baseUrl ?? FAL_QUEUE_URL;
      const endpoints = { ...DEFAULT_FAL_ENDPOINTS, ...config.endpoints };
      return createFalEngine({
        name,
        baseUrl,
        apiKey: keyOf(name, config),
        endpoints,
        models: config.models ?? Object.keys(endpoints),
        inputs: config.inputs ?? 'data-uri',
        timeoutMs: timeoutMs(config),
        fetch: guardFor(baseUrl, deps),
        logger: deps.logger,
      });
    }
    case 'comfyui': {
      const sampling = defaultSampling(config.lora);
      return createComfyEngine({
        name,
        baseUrl: config.baseUrl,
        models: config.models ?? ['qwen-image-edit-plus'],
        settings: {
          unet: config.unet ?? COMFYUI_2509_FILES.unet,
          clip: config.clip ?? COMFYUI_2509_FILES.clip,
          vae: config.vae ?? COMFYUI_2509_FILES.vae,
          lora: config.lora,
          steps: config.steps ?? sampling.steps,
          cfg: config.cfg ?? sampling.cfg,
          sampler: config.sampler ?? 'euler',
          scheduler: config.scheduler ?? 'simple',
          shift: config.shift ?? 3,
          megapixels: config.megapixels ?? 1,
        },
        fetch: guardFor(config.baseUrl, deps),
        logger: deps.logger,
      });
    }
  }
}

export function createEngines(configs: Readonly<Record<string, EngineConfig>>, deps: EngineDeps): Map<string, Engine> {
  return new Map(Object.entries(configs).map(([name, config]) => [name, createEngine(name, config, deps)]));
}
