/** Engine configuration: the schema of each engine type, DASHSCOPE_API_KEY, and what the registry builds. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../../src/config/load.js';
import { engineConfigSchema } from '../../../src/engines/options.js';
import type { Engine } from '../../../src/engines/engine.js';
import { createEngines, hostPortOf } from '../../../src/engines/registry.js';
import { silentLogger } from '../../../src/lib/logger.js';
import { engineCall } from '../../fakes/dashscope-kit.js';
import { startFakeDashScope } from '../../fakes/dashscope.js';
import { tempDir } from '../../helpers/stores.js';

const dir = tempDir();
after(() => dir.remove());

function withFile(config: unknown): Record<string, string> {
  const path = join(dir.path, `c-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify(config));
  return { QIG_CONFIG: path };
}

/** A route's channel names, highest priority first. */
const names = (routes: Record<string, ReadonlyArray<{ channel: string; priority: number }>>) =>
  Object.fromEntries(Object.entries(routes).map(([model, entries]) => [model, [...entries].sort((a, b) => b.priority - a.priority).map((e) => e.channel)]));

const issue = (value: unknown) => {
  const parsed = engineConfigSchema.safeParse(value);
  assert.equal(parsed.success, false, `rejects ${JSON.stringify(value)}`);
  return parsed.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') ?? '';
};

describe('engine config schema', () => {
  it('accepts every engine type with its settings', () => {
    for (const config of [
      { type: 'dashscope', apiKey: 'sk-1' },
      { type: 'dashscope', region: 'singapore', apiKey: 'sk-1', inputs: 'url', models: ['qwen-image-edit-plus'], taskQueriesPerSecond: 10, workspace: 'ws-1' },
      { type: 'openai-compatible', baseUrl: 'https://api.302.ai/aliyun', apiKey: 'k', style: 'dashscope' },
      { type: 'openai-compatible', baseUrl: 'https://llm.ai-nebula.com', apiKey: 'k', style: 'nebula', inputs: 'url' },
      { type: 'openai-compatible', baseUrl: 'https://api.example.com', apiKey: 'k', style: 'openai', path: '/openai/v1', responseFormat: 'b64_json' },
      { type: 'fal', apiKey: 'id:secret', endpoints: { 'qwen-image-edit-plus': 'fal-ai/qwen-image-edit-plus-lora', 'qwen-image-2.0': { generate: 'fal-ai/qwen-image-2/text-to-image' } } },
      { type: 'comfyui', baseUrl: 'http://10.0.0.5:8188', lora: 'Qwen-Image-Edit-2509-Lightning-4steps-V1.0-bf16.safetensors', steps: 4, cfg: 1 },
    ]) {
      assert.ok(engineConfigSchema.safeParse(config).success, JSON.stringify(config));
    }
  });

  it('names what is wrong', () => {
    // A key may come as apiKey or as credentials: the config load requires one of them (below).
    assert.match(issue({ type: 'dashscope', credentials: [] }), /credentials/);
    assert.match(issue({ type: 'dashscope', apiKey: 'k', models: ['qwen-image-edit-pluss'] }), /unknown model "qwen-image-edit-pluss"/);
    assert.match(issue({ type: 'dashscope', apiKey: 'k', baseUrl: 'ftp://x' }), /http\(s\)/);
    assert.match(issue({ type: 'dashscope', apiKey: 'k', taskQueriesPerSecond: 50 }), /taskQueriesPerSecond/);
    assert.match(issue({ type: 'openai-compatible', baseUrl: 'https://x', apiKey: 'k', style: 'openai', inputs: 'url' }), /inputs: "url" is not available with style "openai"/);
    assert.match(issue({ type: 'openai-compatible', baseUrl: 'https://x', apiKey: 'k', style: 'soap' }), /style/);
    assert.match(issue({ type: 'fal', apiKey: 'k', endpoints: { 'qwen-image-edit-plus': 'not an id' } }), /endpoint id/);
    assert.match(issue({ type: 'comfyui', baseUrl: 'http://x:8188', stepz: 4 }), /stepz/);
  });
});

describe('credentials and weighted routes in the config file', () => {
  it('takes several accounts per engine and routes with priorities and weights', () => {
    const config = loadConfig(
      withFile({
        engines: { cloud: { type: 'dashscope', credentials: [{ apiKey: 'sk-a', weight: 3, qps: 2 }, { apiKey: 'sk-b', region: 'singapore' }], cost: { '*': '0.10' } }, cpu: { type: 'local' } },
        routes: { '*': [{ engine: 'cloud', priority: 5, weight: 2 }, 'cpu'] },
      }),
      dir.path,
    );
    assert.deepEqual(config.routes['*'], [{ channel: 'cloud', priority: 5, weight: 2 }, { channel: 'cpu', priority: 1, weight: 1 }]);
  });

  it('refuses an upstream engine without a key, a keyed local engine, a channel listed twice and an unknown model', () => {
    const fails = (file: unknown, pattern: RegExp) => assert.throws(() => loadConfig(withFile(file), dir.path), (error: unknown) => error instanceof ConfigError && pattern.test(error.message));
    fails({ engines: { cloud: { type: 'dashscope' } } }, /engines\.cloud: a dashscope engine needs "apiKey" or "credentials"/);
    fails({ engines: { cpu: { type: 'local', credentials: [{ apiKey: 'k' }] } } }, /engines\.cpu\.credentials: a local engine takes no upstream key/);
    fails({ routes: { '*': ['local', { engine: 'local' }] } }, /routes\.\*: engine "local" is listed twice/);
    fails({ routes: { 'qwen-image-edit-pluss': ['local'] } }, /routes\.qwen-image-edit-pluss: unknown model/);
    fails({ engines: { cloud: { type: 'dashscope', apiKey: 'k', cost: { '*': 'free' } } } }, /cost\.\*: must be a decimal amount/);
  });
});

describe('DASHSCOPE_API_KEY', () => {
  it('enables the dashscope engine on the Beijing host and routes every model cloud first, local as failover', () => {
    const config = loadConfig({ DASHSCOPE_API_KEY: 'sk-env' }, dir.path);
    assert.deepEqual(config.engines.dashscope, { type: 'dashscope', apiKey: 'sk-env' });
    assert.deepEqual(names(config.routes), { '*': ['dashscope', 'local'] });
    assert.deepEqual(config.notices, []);
  });

  it('takes DASHSCOPE_BASE_URL (the SDK form ending in /api/v1 too)', () => {
    const config = loadConfig({ DASHSCOPE_API_KEY: 'sk-env', DASHSCOPE_BASE_URL: 'https://dashscope-intl.aliyuncs.com/api/v1' }, dir.path);
    assert.deepEqual(config.engines.dashscope, { type: 'dashscope', apiKey: 'sk-env', baseUrl: 'https://dashscope-intl.aliyuncs.com/api/v1' });
    assert.throws(() => loadConfig({ DASHSCOPE_API_KEY: 'k', DASHSCOPE_BASE_URL: 'dashscope' }, dir.path), (error: unknown) => error instanceof ConfigError && /DASHSCOPE_BASE_URL/.test(error.message));
  });

  it("keeps the file's routes, and its own local engine's name in the fallback", () => {
    const env = withFile({ engines: { cpu: { type: 'local' } }, routes: { 'qwen-image-edit': ['cpu'] } });
    const config = loadConfig({ ...env, DASHSCOPE_API_KEY: 'sk-env' }, dir.path);
    assert.deepEqual(names(config.routes), { 'qwen-image-edit': ['cpu'], '*': ['dashscope', 'cpu'] });
    const fixed = loadConfig({ ...withFile({ routes: { '*': ['local'] } }), DASHSCOPE_API_KEY: 'sk-env' }, dir.path);
    assert.deepEqual(names(fixed.routes), { '*': ['local'] });
  });

  it('says when the key is set but no route of the file uses the engine it defines', () => {
    const unused = loadConfig({ ...withFile({ engines: { cpu: { type: 'local' } }, routes: { '*': ['cpu'] } }), DASHSCOPE_API_KEY: 'sk-env' }, dir.path);
    assert.match(unused.notices.join('\n'), /DASHSCOPE_API_KEY is set but no route uses the "dashscope" engine/);
    const used = loadConfig({ ...withFile({ routes: { 'qwen-image-edit': ['dashscope'], '*': ['local'] } }), DASHSCOPE_API_KEY: 'sk-env' }, dir.path);
    assert.deepEqual(used.notices, []);
  });

  it("overrides the key of the file's own dashscope engine, keeping its other settings", () => {
    const env = withFile({ engines: { dashscope: { type: 'dashscope', region: 'singapore', apiKey: 'sk-file', inputs: 'url' } } });
    const config = loadConfig({ ...env, DASHSCOPE_API_KEY: 'sk-env' }, dir.path);
    assert.deepEqual(config.engines.dashscope, { type: 'dashscope', region: 'singapore', apiKey: 'sk-env', inputs: 'url' });
  });

  it('says when DASHSCOPE_BASE_URL is set without a key', () => {
    const config = loadConfig({ DASHSCOPE_BASE_URL: 'https://dashscope.aliyuncs.com' }, dir.path);
    assert.deepEqual(names(config.routes), { '*': ['local'] });
    assert.match(config.notices.join('\n'), /DASHSCOPE_BASE_URL is set but ignored: it needs DASHSCOPE_API_KEY/);
  });
});

describe('engine registry', () => {
  const deps = { logger: silentLogger(), fetch: { allowHosts: [] } };

  it('builds each type with its defaults', async () => {
    const engines = createEngines(
      {
        bj: { type: 'dashscope', apiKey: 'k' },
        shop: { type: 'openai-compatible', baseUrl: 'https://api.example.com', apiKey: 'k', style: 'openai' },
        fal: { type: 'fal', apiKey: 'k' },
        gpu: { type: 'comfyui', baseUrl: 'http://127.0.0.1:8188' },
        cpu: { type: 'local' },
      },
      deps,
    );
    assert.deepEqual([...engines.values()].map((e: Engine) => e.type), ['dashscope', 'openai-compatible', 'fal', 'comfyui', 'local']);
    assert.equal(engines.get('bj')?.capabilities.models, '*');
    assert.equal(engines.get('bj')?.capabilities.watermark, true);
    assert.deepEqual(engines.get('gpu')?.capabilities.models, ['qwen-image-edit-plus']);
    assert.ok((engines.get('fal')?.capabilities.models as string[]).includes('qwen-image-edit-max'));
    assert.ok(!(engines.get('fal')?.capabilities.models as string[]).includes('qwen-image-plus'));
    for (const engine of engines.values()) await engine.close?.();
  });

  it("spells each base URL's host:port as fetch.allowHosts does", () => {
    assert.equal(hostPortOf('https://dashscope.aliyuncs.com'), 'dashscope.aliyuncs.com:443');
    assert.equal(hostPortOf('http://10.0.0.5:8188/comfy'), '10.0.0.5:8188');
    assert.equal(hostPortOf('http://[::1]:8188'), '[::1]:8188');
  });

  it('lets an engine reach its own private upstream without fetch.allowHosts', async () => {
    const fake = await startFakeDashScope();
    try {
      const engine = createEngines({ cloud: { type: 'dashscope', baseUrl: fake.url, apiKey: fake.apiKey } }, deps).get('cloud') as Engine;
      const result = await engine.start(engineCall({}, [Buffer.from('x')]));
      assert.equal(result.status, 'done');
    } finally {
      await fake.close();
    }
  });
});
