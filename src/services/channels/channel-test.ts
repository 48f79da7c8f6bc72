/**
 * Testing one credential for real (the console's "test" and the re-test of a disabled credential):
 * the engine's cheap authenticated query, or a one-image task polled to its end. Goes to the
 * credential's engine directly, whatever its circuit says; the answer or the error is reported,
 * never thrown.
 */
import sharp from 'sharp';
import { AppError, toAppError } from '../../domain/errors.js';
import type { ModelSpec } from '../../domain/models.js';
import { defaultSize } from '../../domain/size.js';
import type { Engine, EngineCall, EngineDone, EngineInput } from '../../engines/engine.js';
import type { Clock } from '../../lib/clock.js';
import { sleepUnlessCanceled } from '../cancelable-sleep.js';
import { accountErrorOf, type AccountErrorInfo } from './account-errors.js';
import type { ChannelTestResult } from './catalog-api.js';
import type { CredentialSlot } from './credential-slot.js';

const TASK_TIMEOUT_MS = 120_000;
const TEST_PROMPT = 'A red apple on a white table, studio light';
const INPUT_SIDE = 64;

export type SlotTestResult = Omit<ChannelTestResult, 'channel'> & { failure: AccountErrorInfo | null };

/** A 64×64 plain PNG as an engine input (for edit-only models). */
async function plainInput(): Promise<EngineInput> {
  const png = await sharp({ create: { width: INPUT_SIDE, height: INPUT_SIDE, channels: 3, background: { r: 200, g: 60, b: 60 } } }).png().toBuffer();
  const dataUri = `data:image/png;base64,${png.toString('base64')}`;
  return { index: 0, contentType: 'image/png', width: INPUT_SIDE, height: INPUT_SIDE, bytes: png.length, read: async () => png, signedUrl: () => dataUri };
}

async function testCall(model: ModelSpec, signal: AbortSignal): Promise<EngineCall> {
  const edit = !model.generate;
  const inputs = edit ? [await plainInput()] : [];
  const size = edit ? defaultSize(model.editDefault, model.editSize, { width: INPUT_SIDE, height: INPUT_SIDE }) : defaultSize(model.generateDefault, model.generateSize, undefined);
  const id = `test-${Math.random().toString(36).slice(2, 12)}`;
  return {
    taskId: id, requestId: id, model: model.id, family: model.family, kind: edit ? 'edit' : 'generate',
    prompt: TEST_PROMPT, negativePrompt: null, n: 1, size, sizeSource: 'default', seed: 1,
    promptExtend: false, watermark: false, inputs, signal, log: () => {},
  };
}

/** One image made, polled to its end within the time allowed. */
async function runTask(engine: Engine, model: ModelSpec, signal: AbortSignal, clock: Clock): Promise<EngineDone> {
  const call = await testCall(model, signal);
  const started = clock.now();
  let result = await engine.start(call);
  while (result.status === 'pending') {
    if (clock.now() - started > TASK_TIMEOUT_MS) throw new AppError('engine_timeout', `The test task did not finish within ${TASK_TIMEOUT_MS / 1000} s.`);
    await sleepUnlessCanceled(result.pollAfterMs ?? 1000, signal);
    result = await engine.poll(result.operation, call);
  }
  return result;
}

export async function testSlot(slot: CredentialSlot, mode: 'query' | 'task', model: ModelSpec, signal: AbortSignal, clock: Clock): Promise<SlotTestResult> {
  const engine = slot.upstream;
  const ran = mode === 'query' && engine.probe ? 'query' : 'task';
  const started = clock.now();
  const base = { credential: slot.id, model: model.id, mode: ran } as const;
  try {
    if (ran === 'query' && engine.probe) {
      await engine.probe(signal);
      return { ...base, ok: true, latencyMs: clock.now() - started, answer: null, error: null, failure: null };
    }
    const done = await runTask(engine, model, signal, clock);
    const first = done.images[0];
    return {
      ...base,
      ok: done.images.length > 0,
      latencyMs: clock.now() - started,
      answer: { images: done.images.length, firstImage: first?.kind === 'url' ? first.url : null, warnings: done.warnings ?? [] },
      error: done.images.length > 0 ? null : { code: 'engine_failed', message: 'The upstream answered without images.' },
      failure: null,
    };
  } catch (thrown) {
    const error = toAppError(thrown);
    return { ...base, ok: false, latencyMs: clock.now() - started, answer: null, error: { code: error.upstreamCode ?? error.kind, message: error.message }, failure: accountErrorOf(error) };
  }
}
