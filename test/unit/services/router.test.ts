/** The router: which engines serve a model, in failover order, from the config's routes. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../../../src/domain/errors.js';
import { findModel, type ModelSpec } from '../../../src/domain/models.js';
import type { Engine } from '../../../src/engines/engine.js';
import { GuardedEngine } from '../../../src/services/engine-guard.js';
import { EngineRouter } from '../../../src/services/router.js';
import { engineCall } from '../../fakes/dashscope-kit.js';

function guarded(name: string, models: Engine['capabilities']['models'] = '*', fail = false): GuardedEngine {
  const engine: Engine = {
    name,
    type: 'test',
    capabilities: { models, maxImagesPerCall: 1, watermark: false, negativePrompt: true, promptExtend: true, seed: true, cancelRunning: false },
    start: async () => {
      if (fail) throw new AppError('engine_failed', 'upstream 500');
      return { status: 'done', images: [] };
    },
    poll: async () => ({ status: 'done', images: [] }),
    cancel: async () => {},
  };
  return new GuardedEngine(engine, { maxConcurrent: null, failureThreshold: 1, openMs: 60_000, outputs: 'rehost' }, { now: () => 0 });
}

function model(id: string): ModelSpec {
  const spec = findModel(id);
  assert.ok(spec, id);
  return spec;
}

const names = (engines: readonly GuardedEngine[]) => engines.map((engine) => engine.name);

describe('engine router', () => {
  const engines = new Map([guarded('a'), guarded('b'), guarded('plus-only', ['qwen-image-edit-plus']), guarded('snapshot-only', ['qwen-image-edit-plus-2025-10-30'])].map((e) => [e.name, e]));

  it("takes the model's own route, else its family's, else \"*\", in the configured order", () => {
    const router = new EngineRouter(engines, { 'qwen-image-edit-plus-2025-10-30': ['b', 'a'], 'qwen-image-edit-plus': ['a'], '*': ['b'] });
    assert.deepEqual(names(router.route(model('qwen-image-edit-plus-2025-10-30'))), ['b', 'a'], 'its own entry');
    assert.deepEqual(names(router.route(model('qwen-image-edit-plus-2025-12-15'))), ['a'], "a snapshot without an entry takes its family's");
    assert.deepEqual(names(router.route(model('qwen-image-edit'))), ['b'], 'any other model takes "*"');
  });

  it('leaves out engines that cannot serve the model, and names that are not engines', () => {
    const router = new EngineRouter(engines, { '*': ['snapshot-only', 'plus-only', 'missing', 'a'] });
    assert.deepEqual(names(router.route(model('qwen-image-edit-plus'))), ['plus-only', 'a'], 'an engine listing the family serves it');
    assert.deepEqual(names(router.route(model('qwen-image-edit-plus-2025-10-30'))), ['snapshot-only', 'plus-only', 'a'], 'listing the family serves its snapshots too');
    assert.deepEqual(names(router.route(model('qwen-image-edit'))), ['a']);
  });

  it('answers no engine at all for a model without any route', () => {
    const router = new EngineRouter(engines, { 'qwen-image-edit-plus': ['a'] });
    assert.deepEqual(router.route(model('qwen-image-edit')), []);
  });

  it('keeps an engine whose circuit is open in the route (it refuses at once and a probe can close it)', async () => {
    const broken = guarded('broken', '*', true);
    const router = new EngineRouter(new Map([['broken', broken], ['a', engines.get('a') as GuardedEngine]]), { '*': ['broken', 'a'] });
    await assert.rejects(broken.start(engineCall()), /upstream 500/);
    assert.equal(broken.state(), 'open');
    assert.deepEqual(names(router.route(model('qwen-image-edit'))), ['broken', 'a']);
    assert.deepEqual(router.health().map((h) => [h.name, h.state]), [['broken', 'open'], ['a', 'closed']]);
  });
});
