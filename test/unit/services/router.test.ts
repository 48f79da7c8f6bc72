/** The router: which channels serve a model, in the order a task tries them, from the catalog's routes. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RouteEntry } from '../../../src/domain/channels.js';
import { AppError } from '../../../src/domain/errors.js';
import { findModel, type ModelSpec } from '../../../src/domain/models.js';
import type { Engine } from '../../../src/engines/engine.js';
import { ChannelEngine } from '../../../src/services/channels/channel-engine.js';
import { CredentialSlot } from '../../../src/services/channels/credential-slot.js';
import { EngineRouter } from '../../../src/services/router.js';
import { engineCall } from '../../fakes/dashscope-kit.js';

const GUARD = { maxConcurrent: null, failureThreshold: 1, openMs: 60_000, outputs: 'rehost' } as const;
const clock = { now: () => 0 };

function engine(name: string, models: Engine['capabilities']['models'] = '*', fail = false): Engine {
  return {
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
}

/** A keyless channel: one slot without a credential. */
function channel(name: string, models: Engine['capabilities']['models'] = '*', fail = false): ChannelEngine {
  const slot = new CredentialSlot({ id: null, engine: engine(name, models, fail), guard: GUARD, clock });
  return new ChannelEngine({ name, type: 'test', enabled: true, slots: [slot], clock });
}

/** Routes as a failover list: earlier entries rank higher. */
function failoverRoutes(routes: Record<string, string[]>): Record<string, RouteEntry[]> {
  return Object.fromEntries(Object.entries(routes).map(([model, names]) => [model, names.map((name, index) => entry(name, names.length - index))]));
}

/** A keyed channel whose one credential can be taken out of rotation. */
function keyed(name: string): { channel: ChannelEngine; slot: CredentialSlot } {
  const slot = new CredentialSlot({ id: `${name}~0`, label: '…abcd', engine: engine(name), guard: GUARD, clock });
  return { channel: new ChannelEngine({ name, type: 'test', enabled: true, guard: GUARD, slots: [slot], clock }), slot };
}

function model(id: string): ModelSpec {
  const spec = findModel(id);
  assert.ok(spec, id);
  return spec;
}

const names = (engines: readonly ChannelEngine[]) => engines.map((engine) => engine.name);
const entry = (channel: string, priority: number, weight = 1): RouteEntry => ({ channel, priority, weight });

describe('channel router', () => {
  const channels = new Map([channel('a'), channel('b'), channel('plus-only', ['qwen-image-edit-plus']), channel('snapshot-only', ['qwen-image-edit-plus-2025-10-30'])].map((e) => [e.name, e]));

  it("takes the model's own route, else its family's, else \"*\", by priority", () => {
    const router = new EngineRouter(channels, failoverRoutes({ 'qwen-image-edit-plus-2025-10-30': ['b', 'a'], 'qwen-image-edit-plus': ['a'], '*': ['b'] }));
    assert.deepEqual(names(router.route(model('qwen-image-edit-plus-2025-10-30'))), ['b', 'a'], 'its own entry');
    assert.deepEqual(names(router.route(model('qwen-image-edit-plus-2025-12-15'))), ['a'], "a snapshot without an entry takes its family's");
    assert.deepEqual(names(router.route(model('qwen-image-edit'))), ['b'], 'any other model takes "*"');
  });

  it('leaves out channels that cannot serve the model, and names that are not channels', () => {
    const router = new EngineRouter(channels, failoverRoutes({ '*': ['snapshot-only', 'plus-only', 'missing', 'a'] }));
    assert.deepEqual(names(router.route(model('qwen-image-edit-plus'))), ['plus-only', 'a'], 'a channel listing the family serves it');
    assert.deepEqual(names(router.route(model('qwen-image-edit-plus-2025-10-30'))), ['snapshot-only', 'plus-only', 'a'], 'listing the family serves its snapshots too');
    assert.deepEqual(names(router.route(model('qwen-image-edit'))), ['a']);
  });

  it('answers no channel at all for a model without any route', () => {
    const router = new EngineRouter(channels, failoverRoutes({ 'qwen-image-edit-plus': ['a'] }));
    assert.deepEqual(router.route(model('qwen-image-edit')), []);
    assert.deepEqual(router.names(model('qwen-image-edit')), []);
  });

  it('keeps a channel whose circuit is open in the route (it refuses at once and a probe can close it)', async () => {
    const broken = channel('broken', '*', true);
    const router = new EngineRouter(new Map([['broken', broken], ['a', channels.get('a') as ChannelEngine]]), failoverRoutes({ '*': ['broken', 'a'] }));
    await assert.rejects(broken.start(engineCall()), /upstream 500/);
    assert.equal(broken.health().state, 'open');
    assert.deepEqual(names(router.route(model('qwen-image-edit'))), ['broken', 'a']);
    assert.deepEqual(router.health().map((h) => [h.name, h.state]), [['broken', 'open'], ['a', 'closed']]);
  });

  it('orders a priority group by weight, the same way for the same task id, and drops channels out of rotation', () => {
    const top = keyed('top');
    const router = new EngineRouter(new Map([['top', top.channel], ['a', channels.get('a') as ChannelEngine], ['b', channels.get('b') as ChannelEngine]]), {
      '*': [entry('a', 1, 1), entry('b', 1, 3), entry('top', 5)],
    });
    const first = names(router.route(model('qwen-image-edit'), 'task-42'));
    assert.equal(first[0], 'top');
    assert.deepEqual(names(router.route(model('qwen-image-edit'), 'task-42')), first, 'deterministic for a task id');
    const leads = new Map<string, number>();
    for (let i = 0; i < 2000; i += 1) {
      const lead = names(router.route(model('qwen-image-edit'), `task-${i}`))[1] as string;
      leads.set(lead, (leads.get(lead) ?? 0) + 1);
    }
    const share = (leads.get('b') ?? 0) / 2000;
    assert.ok(share > 0.7 && share < 0.8, `b leads its group about 3 times in 4 (${share})`);
    top.slot.markDisabled({ kind: 'arrears', code: 'Arrearage', reason: 'owes' });
    assert.deepEqual(new Set(names(router.route(model('qwen-image-edit'), 'task-42'))), new Set(['a', 'b']), 'the unusable channel is dropped');
    assert.deepEqual(router.names(model('qwen-image-edit')), ['a', 'b'], 'names: the usable ones, by priority');
    const alone = new EngineRouter(new Map([['top', top.channel]]), { '*': [entry('top', 1)] });
    assert.deepEqual(alone.names(model('qwen-image-edit')), ['top'], 'names: all of them when none is usable');
    assert.deepEqual(names(alone.route(model('qwen-image-edit'))), []);
    assert.equal(alone.route(model('qwen-image-edit')).unavailable, 'No channel of the route of qwen-image-edit is available right now (every upstream account is disabled or switched off).');
    assert.equal(router.route(model('qwen-image-edit')).unavailable, undefined);
    assert.equal(new EngineRouter(channels, failoverRoutes({ 'qwen-image-edit-plus': ['a'] })).route(model('qwen-image-edit')).unavailable, undefined, 'no route at all: not configured');
  });

  it('drops a channel for a model its accounts have not opened, and only for that model', () => {
    const top = keyed('top');
    const router = new EngineRouter(new Map([['top', top.channel], ['a', channels.get('a') as ChannelEngine]]), { '*': [entry('top', 5), entry('a', 1)] });
    top.slot.markDisabled({ kind: 'model_not_open', code: 'Model.AccessDenied', reason: 'denied', model: 'qwen-image-max' });
    assert.deepEqual(names(router.route(model('qwen-image-max'))), ['a']);
    assert.deepEqual(router.names(model('qwen-image-max')), ['a']);
    assert.deepEqual(names(router.route(model('qwen-image-2.0-pro'))), ['top', 'a']);
  });
});
