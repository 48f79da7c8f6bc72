/** The engine contract, run on every engine (upstream engines against their fakes). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { AppError, isErrorKind } from '../../src/domain/errors.js';
import type { Engine, EngineCall, EngineImage, EngineResult } from '../../src/engines/engine.js';
import { createLocalEngine } from '../../src/engines/local/index.js';
import { createScriptedEngine } from '../fakes/scripted-engine.js';
import { gradientImage } from '../helpers/images.js';

interface EngineTarget {
  name: string;
  create(): Promise<{ engine: Engine; cleanup(): Promise<void> }>;
  /** An instruction this engine carries out. */
  editPrompt: string;
  generates: boolean;
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
];

async function makeCall(overrides: Partial<EngineCall> = {}): Promise<EngineCall> {
  const input = await gradientImage(640, 480);
  return {
    taskId: 't', model: 'qwen-image-edit-plus', family: 'qwen-image-edit-plus', kind: 'edit', prompt: 'x', negativePrompt: null,
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

async function pixels(image: EngineImage): Promise<{ width: number; height: number; data: Buffer }> {
  if (image.kind === 'raw') return { width: image.width, height: image.height, data: image.data };
  assert.equal(image.kind, 'encoded', 'the contract suite runs engines whose images are in hand');
  const { data, info } = await sharp(image.data).raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data };
}

for (const target of targets) {
  describe(`engine contract: ${target.name}`, async () => {
    it('declares sane capabilities', async () => {
      const { engine } = await target.create();
      assert.ok(engine.name.length > 0 && engine.type.length > 0);
      assert.ok(engine.capabilities.maxImagesPerCall >= 1);
      assert.ok(engine.capabilities.models === '*' || engine.capabilities.models.length > 0);
    });

    it('edits: n images of the asked size', async () => {
      const { engine } = await target.create();
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
      const { engine } = await target.create();
      const call = await makeCall({ kind: 'generate', model: 'qwen-image-2.0-pro', family: 'qwen-image-2.0-pro', inputs: [], prompt: 'a green field', n: 1, size: { width: 512, height: 512 } });
      const result = await complete(engine, call);
      assert.equal(result.images.length, 1);
    });

    it('gives the same images for the same seed when it honours seeds', async (t) => {
      const { engine } = await target.create();
      if (!engine.capabilities.seed) return t.skip('no seed support');
      const call = await makeCall({ prompt: target.editPrompt, n: 1 });
      const a = await pixels((await complete(engine, call)).images[0]!);
      const b = await pixels((await complete(engine, await makeCall({ prompt: target.editPrompt, n: 1 }))).images[0]!);
      assert.ok(a.data.equals(b.data));
    });

    it('does no work for a call already canceled, throwing AppError', async () => {
      const { engine } = await target.create();
      const controller = new AbortController();
      controller.abort();
      await assert.rejects(engine.start(await makeCall({ prompt: target.editPrompt, signal: controller.signal })), (error: unknown) => {
        assert.ok(error instanceof AppError);
        assert.ok(isErrorKind(error.kind));
        return true;
      });
    });

    it('cancels a pending operation without throwing', async () => {
      const { engine } = await target.create();
      const call = await makeCall({ prompt: target.editPrompt, n: 1 });
      const result = await engine.start(call);
      if (result.status === 'pending') await engine.cancel(result.operation, call);
    });
  });
}
