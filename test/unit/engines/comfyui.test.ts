/** The ComfyUI engine: the 2509 workflow as code, and the prompt lifecycle against the fake (HTTP + /ws). */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import sharp from 'sharp';
import { AppError } from '../../../src/domain/errors.js';
import { buildWorkflow, type ComfyModelSettings } from '../../../src/engines/comfyui/workflow.js';
import type { Engine, EngineResult } from '../../../src/engines/engine.js';
import { createEngines } from '../../../src/engines/registry.js';
import { silentLogger } from '../../../src/lib/logger.js';
import { engineCall, operationOf, runToEnd } from '../../fakes/dashscope-kit.js';
import { startFakeComfy, type FakeComfy } from '../../fakes/comfyui.js';
import { gradientImage } from '../../helpers/images.js';

const SETTINGS: ComfyModelSettings = {
  unet: 'unet.safetensors', clip: 'clip.safetensors', vae: 'vae.safetensors', steps: 20, cfg: 2.5, sampler: 'euler', scheduler: 'simple', shift: 3, megapixels: 1,
};

const byClass = (graph: ReturnType<typeof buildWorkflow>, type: string) => Object.entries(graph).filter(([, node]) => node.class_type === type);

describe('the 2509 workflow', () => {
  const base = { prompt: 'swap the dress', negativePrompt: 'blur', seed: 7, n: 1, images: ['a.png', 'b.png'], size: { width: 768, height: 512 }, filenamePrefix: 'qig/t' };

  it('wires loaders, AuraFlow shift, CFGNorm, both encoders with every image, the sampler and SaveImage', () => {
    const graph = buildWorkflow(SETTINGS, { ...base, followLastImage: false });
    assert.equal(byClass(graph, 'CLIPLoader')[0]?.[1].inputs.type, 'qwen_image');
    assert.equal(byClass(graph, 'ModelSamplingAuraFlow')[0]?.[1].inputs.shift, 3);
    assert.equal(byClass(graph, 'LoraLoaderModelOnly').length, 0);
    const loads = byClass(graph, 'LoadImage');
    assert.deepEqual(loads.map(([, node]) => node.inputs.image), ['a.png', 'b.png']);
    const encoders = byClass(graph, 'TextEncodeQwenImageEditPlus').map(([, node]) => node.inputs);
    assert.deepEqual(encoders.map((inputs) => inputs.prompt), ['swap the dress', 'blur']);
    for (const inputs of encoders) assert.deepEqual([inputs.image1, inputs.image2, inputs.image3], [[loads[0]?.[0], 0], [loads[1]?.[0], 0], undefined]);
    const [, sampler] = byClass(graph, 'KSampler')[0]!;
    assert.deepEqual([sampler.inputs.seed, sampler.inputs.steps, sampler.inputs.cfg, sampler.inputs.sampler_name, sampler.inputs.scheduler, sampler.inputs.denoise], [7, 20, 2.5, 'euler', 'simple', 1]);
    const [cfgNormId] = byClass(graph, 'CFGNorm')[0]!;
    assert.deepEqual(sampler.inputs.model, [cfgNormId, 0]);
    assert.equal(byClass(graph, 'SaveImage')[0]?.[1].inputs.filename_prefix, 'qig/t');
  });

  it('uses an empty latent for an asked-for size, batch_size n', () => {
    const graph = buildWorkflow(SETTINGS, { ...base, n: 2, followLastImage: false });
    const [latentId, latent] = byClass(graph, 'EmptySD3LatentImage')[0]!;
    assert.deepEqual(latent.inputs, { width: 768, height: 512, batch_size: 2 });
    assert.deepEqual(byClass(graph, 'KSampler')[0]?.[1].inputs.latent_image, [latentId, 0]);
    assert.equal(byClass(graph, 'VAEEncode').length, 0);
  });

  it('otherwise encodes the last image scaled to `megapixels`, repeated for n > 1', () => {
    const graph = buildWorkflow({ ...SETTINGS, megapixels: 1.5 }, { ...base, n: 3, followLastImage: true });
    const [, scale] = byClass(graph, 'ImageScaleToTotalPixels')[0]!;
    const lastLoad = byClass(graph, 'LoadImage')[1]![0];
    assert.deepEqual(scale.inputs.image, [lastLoad, 0]);
    assert.equal(scale.inputs.megapixels, 1.5);
    const [repeatId, repeat] = byClass(graph, 'RepeatLatentBatch')[0]!;
    assert.equal(repeat.inputs.amount, 3);
    assert.deepEqual(byClass(graph, 'KSampler')[0]?.[1].inputs.latent_image, [repeatId, 0]);
  });

  it('puts a LoRA between the UNet and the sampling patch', () => {
    const graph = buildWorkflow({ ...SETTINGS, lora: 'lightning.safetensors' }, { ...base, followLastImage: false });
    const [loraId, lora] = byClass(graph, 'LoraLoaderModelOnly')[0]!;
    assert.deepEqual(lora.inputs.model, [byClass(graph, 'UNETLoader')[0]![0], 0]);
    assert.deepEqual(byClass(graph, 'ModelSamplingAuraFlow')[0]?.[1].inputs.model, [loraId, 0]);
  });

  it('generates from text alone with an empty latent of the call size', () => {
    const graph = buildWorkflow(SETTINGS, { ...base, images: [], followLastImage: true });
    assert.equal(byClass(graph, 'LoadImage').length, 0);
    assert.deepEqual(byClass(graph, 'EmptySD3LatentImage')[0]?.[1].inputs, { width: 768, height: 512, batch_size: 1 });
  });
});

describe('ComfyUI engine against the fake', () => {
  let fake: FakeComfy;
  let png: Buffer;
  const engines: Engine[] = [];
  const make = (extra: Record<string, unknown> = {}) => {
    const engine = createEngines({ gpu: { type: 'comfyui', baseUrl: fake.url, ...extra } as never }, { logger: silentLogger(), fetch: { allowHosts: [] } }).get('gpu') as Engine;
    engines.push(engine);
    return engine;
  };
  before(async () => {
    fake = await startFakeComfy({ stepMs: 2 });
    png = await gradientImage(900, 600);
  });
  after(async () => {
    for (const engine of engines) await engine.close?.();
    await fake.close();
  });
  beforeEach(() => {
    fake.script.clear();
    fake.options.executionError = undefined;
    fake.release();
  });

  it('uploads, queues with its client id, reports websocket progress, and returns the /view images', async () => {
    const engine = make();
    const logs: string[] = [];
    const progress: number[] = [];
    const call = engineCall({ log: (line) => logs.push(line), sizeSource: 'default' }, [png]);
    let result: EngineResult = await engine.start(call);
    const { promptId, clientId } = operationOf(result);
    assert.ok(promptId && clientId);
    assert.equal(fake.prompts.get(promptId)?.clientId, clientId);
    assert.equal(fake.uploads.size, 1);
    while (result.status === 'pending') {
      if (result.progress !== undefined) progress.push(result.progress);
      await new Promise((resolve) => setTimeout(resolve, 5));
      result = await engine.poll(result.operation, call);
    }
    assert.equal(result.images.length, 1);
    const image = result.images[0]!;
    assert.equal(image.kind, 'encoded');
    const meta = await sharp(image.kind === 'encoded' ? image.data : Buffer.alloc(0)).metadata();
    assert.deepEqual([meta.width, meta.height], [1248, 832], 'the last image at 1 MP, sides in multiples of 16');
    assert.ok(fake.progressSent.get(promptId)! > 0);
    assert.ok(progress.length > 0 && progress.every((p) => p > 0 && p <= 1), 'progress from the websocket');
    assert.ok(logs.some((line) => /step \d+\/20/.test(line)), logs.join('\n'));
  });

  it('finishes from /history alone when polled by another process', async () => {
    const call = engineCall({}, [png]);
    const started = await make().start(call);
    const other = make();
    let result = await other.poll(JSON.parse(JSON.stringify(operationOf(started))), call);
    while (result.status === 'pending') {
      assert.equal(result.progress, undefined, 'no websocket saw this prompt');
      await new Promise((resolve) => setTimeout(resolve, 5));
      result = await other.poll(result.operation, call);
    }
    assert.equal(result.images.length, 1);
  });

  it('gives one image per call, seeded as a single-image run', async () => {
    const engine = make();
    assert.equal(engine.capabilities.maxImagesPerCall, 1);
    const a = await runToEnd(engine, engineCall({ seed: 5 }, [png]));
    const b = await runToEnd(engine, engineCall({ seed: 5 }, [png]));
    const bytes = (r: typeof a) => (r.result.images[0]?.kind === 'encoded' ? r.result.images[0].data : Buffer.alloc(0));
    assert.ok(bytes(a).equals(bytes(b)));
  });

  it('names a missing model file as an engine that cannot serve (fail over at once)', async () => {
    await assert.rejects(make({ unet: 'missing.safetensors' }).start(engineCall({}, [png])), (error: unknown) => {
      assert.ok(error instanceof AppError);
      assert.equal(error.kind, 'engine_unavailable');
      assert.equal(error.retryable, false);
      assert.match(error.message, /missing\.safetensors/);
      return true;
    });
  });

  it('maps an execution error', async () => {
    fake.options.executionError = { exception_type: 'torch.OutOfMemoryError', exception_message: 'CUDA out of memory.' };
    await assert.rejects(runToEnd(make(), engineCall({}, [png])), (error: unknown) => {
      assert.ok(error instanceof AppError);
      assert.equal(error.kind, 'engine_failed');
      assert.equal(error.upstreamCode, 'torch.OutOfMemoryError');
      assert.match(error.message, /KSampler: CUDA out of memory/);
      return true;
    });
  });

  it('removes a queued prompt from the queue and interrupts a running one', async () => {
    const engine = make();
    fake.hold();
    const call = engineCall({}, [png]);
    const queued = await engine.start(call);
    const queuedId = operationOf(queued).promptId;
    await engine.cancel(operationOf(queued), call);
    assert.deepEqual(fake.deleted, [queuedId]);
    fake.options.stepMs = 50;
    fake.release();
    const running = await engine.start(call);
    const runningId = operationOf(running).promptId;
    while (fake.prompts.get(runningId)?.state !== 'running') await new Promise((resolve) => setTimeout(resolve, 5));
    await engine.cancel(operationOf(running), call);
    assert.deepEqual(fake.interrupts, [runningId]);
    fake.options.stepMs = 2;
  });

  it('fails a prompt the server no longer knows, and keeps its websocket through drops', async () => {
    const engine = make();
    await assert.rejects(engine.poll({ promptId: 'gone', clientId: 'x' }, engineCall()), (error: unknown) => error instanceof AppError && error.kind === 'engine_failed');
    await runToEnd(engine, engineCall({}, [png]));
    fake.dropSockets();
    assert.equal(fake.socketCount(), 0);
    for (let i = 0; i < 300 && fake.socketCount() === 0; i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.ok(fake.socketCount() > 0, 'reconnected');
  });

  it('turns garbage into engine_failed', async () => {
    fake.script.push('prompt', { kind: 'garbage' });
    await assert.rejects(make().start(engineCall({}, [png])), (error: unknown) => error instanceof AppError && error.kind === 'engine_failed');
  });
});
