/**
 * The running channels across catalog reloads: a change of how a credential is guarded keeps its
 * engine (a run holding the old route can still call it), and an engine no catalog uses any more
 * is closed only once drained and after the grace period, unless a catalog takes it back.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import type { Catalog, ChannelRecord, CredentialRecord } from '../../../../src/domain/channels.js';
import { findModel } from '../../../../src/domain/models.js';
import { silentLogger } from '../../../../src/lib/logger.js';
import { RETIRE_GRACE_MS } from '../../../../src/services/channels/engine-pool.js';
import { LiveChannels } from '../../../../src/services/channels/live-channels.js';
import { NO_METRICS } from '../../../../src/services/metrics.js';
import { engineCall } from '../../../fakes/dashscope-kit.js';
import { createScriptedEngine, type ScriptedEngine } from '../../../fakes/scripted-engine.js';

const MODEL = findModel('qwen-image-2.0-pro');
assert.ok(MODEL);

function credential(id: string, settings: Partial<CredentialRecord> = {}): CredentialRecord {
  return { id, label: id, last4: '0000', secret: { source: 'config', path: id }, region: null, qps: null, maxConcurrent: null, weight: 1, cost: null, enabled: true, disabled: null, createdAt: 0, updatedAt: 0, ...settings };
}

function channel(name: string, engine: Record<string, unknown>, credentials: CredentialRecord[] = []): ChannelRecord {
  return { name, engine, enabled: true, cost: {}, test: 'query', credentials, createdAt: 0, updatedAt: 0 };
}

function catalog(version: number, channels: ChannelRecord[]): Catalog {
  return { version, channels, routes: { '*': channels.map((c) => ({ channel: c.name, priority: 1, weight: 1 })) }, prices: { perImage: {}, perEngine: {} }, seeds: {} };
}

/** LiveChannels over scripted engines: which were built, and which closed. */
function live(secrets: Record<string, string> = {}) {
  const built: ScriptedEngine[] = [];
  const closed: ScriptedEngine[] = [];
  const channels = new LiveChannels({
    build: (name) => {
      const engine = createScriptedEngine({ name });
      engine.close = async () => void closed.push(engine);
      built.push(engine);
      return engine;
    },
    secretOf: (c) => secrets[c.id] ?? 'sk-test-secret-0000',
    onAccountError: () => {},
    currency: 'CNY',
    clock: { now: () => 0 },
    metrics: NO_METRICS,
    logger: silentLogger(),
  });
  return { channels, built, closed };
}

const firstChannel = (channels: LiveChannels) => {
  const route = channels.router.route(MODEL);
  assert.ok(route[0]);
  return route[0];
};

describe('live channels', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.timers.reset());

  it('keeps the engine when only the guard settings change, and the old route still runs on it', async () => {
    const { channels, built, closed } = live();
    channels.apply(catalog(1, [channel('cpu', { type: 'local' })]));
    const held = firstChannel(channels);
    channels.apply(catalog(2, [channel('cpu', { type: 'local', maxConcurrent: 3, circuit: { failures: 2 } })]));
    assert.equal(built.length, 1, 'no second engine');
    assert.equal(firstChannel(channels).health().maxConcurrent, 3, 'a new slot with the new guard');
    mock.timers.tick(RETIRE_GRACE_MS * 2);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(closed, []);
    assert.equal((await held.start(engineCall())).status, 'done', 'the route a run computed before still works');
  });

  it('closes an engine no catalog uses only after the grace period, and once its calls drained', async () => {
    const { channels, built, closed } = live({ 'cloud~0': 'sk-old-key-000000000' });
    channels.apply(catalog(1, [channel('cloud', { type: 'dashscope' }, [credential('cloud~0')])]));
    const held = firstChannel(channels);
    const old = built[0] as ScriptedEngine;
    let gate: Promise<void> = Promise.resolve();
    let release = () => {};
    const hold = () => (gate = new Promise<void>((resolve) => (release = resolve)));
    const start = old.start.bind(old);
    old.start = async (call) => {
      await gate;
      return start(call);
    };
    const settle = () => new Promise((resolve) => setImmediate(resolve));
    hold();
    const running = held.start(engineCall());
    channels.apply(catalog(2, [channel('cloud', { type: 'dashscope' }, [credential('cloud~0', { updatedAt: 1, weight: 5 })])]));
    assert.equal(built.length, 1, 'the same engine options and key: the same engine');
    // Other engine options: a new engine; the old one is retired.
    channels.apply(catalog(3, [channel('cloud', { type: 'dashscope', baseUrl: 'http://127.0.0.1:9/' }, [credential('cloud~0')])]));
    assert.equal(built.length, 2, 'other engine options: a new engine');
    release();
    assert.equal((await running).status, 'done');
    await settle();
    assert.deepEqual(closed, [], 'drained, but a run may still hold the old route');
    hold();
    const late = held.start(engineCall());
    mock.timers.tick(RETIRE_GRACE_MS);
    await settle();
    assert.deepEqual(closed, [], 'not while a call still runs on it');
    release();
    assert.equal((await late).status, 'done');
    await settle();
    assert.deepEqual(closed, [old], 'closed once drained after the grace period');
    await channels.close();
    assert.deepEqual(closed, [old, built[1]]);
  });

  it('keeps an engine a later catalog takes back during its grace period', async () => {
    const { channels, built, closed } = live();
    const cloud = channel('cloud', { type: 'dashscope' }, [credential('cloud~0')]);
    channels.apply(catalog(1, [cloud, channel('cpu', { type: 'local' })]));
    channels.apply(catalog(2, [channel('cpu', { type: 'local' })]));
    channels.apply(catalog(3, [cloud, channel('cpu', { type: 'local' })]));
    mock.timers.tick(RETIRE_GRACE_MS * 2);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(built.length, 2);
    assert.deepEqual(closed, []);
    await channels.close();
    assert.equal(closed.length, 2, 'everything closes at once with the node');
  });
});
