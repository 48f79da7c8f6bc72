/** The engine contract, run on every engine (upstream engines against their fakes). */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import type { EngineConfig } from '../../src/engines/options.js';
import { AppError, isErrorKind } from '../../src/domain/errors.js';
import type { Engine, EngineCall, EngineImage, EngineResult } from '../../src/engines/engine.js';
import { createLocalEngine } from '../../src/engines/local/index.js';
import { createEngines } from '../../src/engines/registry.js';
import { silentLogger } from '../../src/lib/logger.js';
import { startFakeComfy } from '../fakes/comfyui.js';
import { startFakeDashScope } from '../fakes/dashscope.js';
import { startFakeFal } from '../fakes/fal.js';
import { startFakeReseller } from '../fakes/reseller.js';
import { createScriptedEngine } from '../fakes/scripted-engine.js';
import { gradientImage } from '../helpers/images.js';

interface EngineTarget {
  name: string;
  create(): Promise<{ engine: Engine; cleanup(): Promise<void> }>;
  /** An instruction this engine carries out. */
  editPrompt: string;
  generates: boolean;
  /** The model of the generation test (default qwen-image-2.0-pro). */
  generateModel?: string;
}

/** An upstream engine built by the registry against a fake that `start` returns. */
function upstream(start: () => Promise<{ url: string; close(): Promise<void> }>, config: (url: string) => EngineConfig) {
  return async () => {
    const fake = await start();
    const engine = createEngines({ target: config(fake.url) }, { logger: silentLogger(), fetch: { allowHosts: [] } }).get('target') as Engine;
    return { engine, cleanup: async () => { await engine.close?.(); await fake.close(); } };
  };
}

const targets: EngineTarget[] = [
  { name: 'local', create: async () => ({ engine: createLocalEngine(), cleanup: async () => {} }), editPrompt: 'make it black and white', generates: true },
  { name: 'scripted (sync)', create: async () => ({ engine: createScriptedEngine(), cleanup: async () => {} }), editPrompt: 'anything', generates: true },
  {
    name: 'scripted (async)',
    create: async () => ({ engine: createScriptedEngine({ script: () => ({ pendingPolls: 2 }) }), cleanup: async () => {} }),
    editPrompt: 'anything',
    generates: true,
  },
  {
    name: 'dashscope (sync)',
    create: upstream(() => startFakeDashScope({ apiKey: 'k' }), (url) => ({ type: 'dashscope', baseUrl: url, apiKey: 'k' })),
    editPrompt: 'anything',
    generates: true,
  },
  {
    name: 'dashscope (async text2image, inputs by URL)',
    create: upstream(() => startFakeDashScope({ apiKey: 'k' }), (url) => ({ type: 'dashscope', baseUrl: url, apiKey: 'k', inputs: 'url' })),
    editPrompt: 'anything',
    generates: true,
    generateModel: 'qwen-image-plus',
  },
  {
    name: 'openai-compatible, dashscope style (302.ai path)',
    create: upstream(() => startFakeReseller({ apiKey: 'k' }), (url) => ({ type: 'openai-compatible', style: 'dashscope', baseUrl: `${url}/aliyun`, apiKey: 'k' })),
    editPrompt: 'anything',
    generates: true,
  },
  {
    name: 'openai-compatible, dashscope style (aigc.it path)',
    create: upstream(() => startFakeReseller({ apiKey: 'k' }), (url) => ({ type: 'openai-compatible', style: 'dashscope', baseUrl: url, path: '/v1/images/generations', apiKey: 'k' })),
    editPrompt: 'anything',
    generates: true,
  },
  {
    name: 'openai-compatible, openai style',
    create: upstream(() => startFakeReseller({ apiKey: 'k' }), (url) => ({ type: 'openai-compatible', style: 'openai', baseUrl: url, apiKey: 'k', responseFormat: 'b64_json' })),
    editPrompt: 'anything',
    generates: true,
  },
  {
    name: 'openai-compatible, nebula style',
    create: upstream(() => startFakeReseller({ apiKey: 'k' }), (url) => ({ type: 'openai-compatible', style: 'nebula', baseUrl: url, apiKey: 'k' })),
    editPrompt: 'anything',
    generates: true,
  },
  {
    name: 'fal',
    create: upstream(() => startFakeFal({ apiKey: 'k' }), (url) => ({ type: 'fal', baseUrl: url, apiKey: 'k' })),
    editPrompt: 'anything',
    generates: true,
  },
  {
    name: 'comfyui',
    create: upstream(() => startFakeComfy({ stepMs: 1 }), (url) => ({ type: 'comfyui', baseUrl: url })),
    editPrompt: 'anything',
    generates: true,
  },
];

async function makeCall(overrides: Partial<EngineCall> = {}): Promise<EngineCall> {
  const input = await gradientImage(640, 480);
  return {
    taskId: 't', requestId: 'req-t', model: 'qwen-image-edit-plus', family: 'qwen-image-edit-plus', kind: 'edit', prompt: 'x', negativePrompt: null,
    n: 2, size: { width: 640, height: 480 }, sizeSource: 'request', seed: 7, promptExtend: false, watermark: false,
    inputs: [{ index: 0, contentType: 'image/png', width: 640, height: 480, bytes: input.length, read: async () => input, signedUrl: () => 'http://127.0.0.1:1/x' }],
    signal: new AbortController().signal, log: () => {},
    ...overrides,
  };
}

/** Runs a call to its end the way the runner does: start, then poll while pending. */
async function complete(engine: Engine, call: EngineCall): Promise<Extract<EngineResult, { status: 'done' }>> {
  let result = await engine.start(call);
  for (let polls = 0; result.status === 'pending'; polls += 1) {
    assert.ok(polls < 100, 'finishes within 100 polls');
    assert.doesNotThrow(() => JSON.stringify(result), 'the operation handle is JSON');
    const operation = JSON.parse(JSON.stringify((result as { operation: unknown }).operation));
    result = await engine.poll(operation, call);
  }
  return result;
}

/** Raw, encoded, or an upstream URL (fetched as the runner would; fakes serve on loopback only). */
async function pixels(image: EngineImage): Promise<{ width: number; height: number; data: Buffer }> {
  if (image.kind === 'raw') return { width: image.width, height: image.height, data: image.data };
  let encoded: Buffer;
  if (image.kind === 'url') {
    assert.match(image.url, /^http:\/\/127\.0\.0\.1:\d+\//, 'upstream fakes serve their results on loopback');
    const response = await fetch(image.url);
    assert.equal(response.status, 200);
    encoded = Buffer.from(await response.arrayBuffer());
  } else {
    encoded = image.data;
  }
  const { data, info } = await sharp(encoded).raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data };
}

for (const target of targets) {
  describe(`engine contract: ${target.name}`, async () => {
    let made: Awaited<ReturnType<EngineTarget['create']>>;
    before(async () => {
      made = await target.create();
    });
    after(async () => {
      await made.cleanup();
    });

    it('declares sane capabilities', async () => {
      const { engine } = made;
      assert.ok(engine.name.length > 0 && engine.type.length > 0);
      assert.ok(engine.capabilities.maxImagesPerCall >= 1);
      assert.ok(engine.capabilities.models === '*' || engine.capabilities.models.length > 0);
    });

    it('edits: n images of the asked size', async () => {
      const { engine } = made;
      const call = await makeCall({ prompt: target.editPrompt, n: Math.min(2, engine.capabilities.maxImagesPerCall) });
      const result = await complete(engine, call);
      assert.equal(result.images.length, call.n);
      for (const image of result.images) {
        const { width, height } = await pixels(image);
        assert.deepEqual([width, height], [640, 480]);
      }
    });

    it('generates from text when it serves a generation model', async (t) => {
      if (!target.generates) return t.skip('edit-only engine');
      const { engine } = made;
      const model = target.generateModel ?? 'qwen-image-2.0-pro';
      const call = await makeCall({ kind: 'generate', model, family: model, inputs: [], prompt: 'a green field', n: 1, size: { width: 512, height: 512 } });
      const result = await complete(engine, call);
      assert.equal(result.images.length, 1);
    });

    it('gives the same images for the same seed when it honours seeds', async (t) => {
      const { engine } = made;
      if (!engine.capabilities.seed) return t.skip('no seed support');
      const call = await makeCall({ prompt: target.editPrompt, n: 1 });
      const a = await pixels((await complete(engine, call)).images[0]!);
      const b = await pixels((await complete(engine, await makeCall({ prompt: target.editPrompt, n: 1 }))).images[0]!);
      assert.ok(a.data.equals(b.data));
    });

    it('does no work for a call already canceled, throwing AppError', async () => {
      const { engine } = made;
      const controller = new AbortController();
      controller.abort();
      await assert.rejects(engine.start(await makeCall({ prompt: target.editPrompt, signal: controller.signal })), (error: unknown) => {
        assert.ok(error instanceof AppError);
        assert.ok(isErrorKind(error.kind));
        return true;
      });
    });

    it('cancels a pending operation without throwing', async () => {
      const { engine } = made;
      const model = target.generateModel ?? 'qwen-image-2.0-pro';
      const calls = [await makeCall({ prompt: target.editPrompt, n: 1 })];
      if (target.generates) calls.push(await makeCall({ kind: 'generate', model, family: model, inputs: [], prompt: 'a kite', n: 1 }));
      for (const call of calls) {
        const result = await engine.start(call);
        if (result.status === 'pending') await engine.cancel(JSON.parse(JSON.stringify(result.operation)), call);
      }
    });
  });
}
