/**
 * The channel engine over scripted credentials: the weighted spread, an account error taking a
 * credential out of rotation and moving the call, polls reaching the credential that started the
 * operation, the QPS bucket, the statistics and the re-test.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../../../../src/domain/errors.js';
import { findModel, type ModelSpec } from '../../../../src/domain/models.js';
import type { EngineCall, JsonValue } from '../../../../src/engines/engine.js';
import { ChannelEngine, type AccountFailure } from '../../../../src/services/channels/channel-engine.js';
import { CredentialSlot } from '../../../../src/services/channels/credential-slot.js';
import { seededRandom } from '../../../../src/services/channels/selection.js';
import { engineCall } from '../../../fakes/dashscope-kit.js';
import { createScriptedEngine, type ScriptedEngine, type Step } from '../../../fakes/scripted-engine.js';

const GUARD = { maxConcurrent: null, failureThreshold: 3, openMs: 60_000, outputs: 'rehost' } as const;
const arrears = () => new AppError('engine_unavailable', 'DashScope (cloud): Access denied, please make sure your account is in good standing. (Arrearage)', { upstreamCode: 'Arrearage', retryable: false });

interface Setup {
  channel: ChannelEngine;
  engines: ScriptedEngine[];
  slots: CredentialSlot[];
  failures: Array<[string, AccountFailure]>;
  waits: number[];
  clock: { now: () => number; at: number };
}

function setup(credentials: Array<{ weight?: number; script?: (index: number, call: EngineCall) => Step; qps?: number; maxConcurrent?: number }>): Setup {
  const clock = { at: 1_000_000, now: () => clock.at };
  const waits: number[] = [];
  const failures: Setup['failures'] = [];
  const engines = credentials.map((c) => createScriptedEngine({ name: 'cloud', ...(c.script ? { script: c.script } : {}) }));
  const slots = credentials.map((c, i) => {
    const slot = new CredentialSlot({
      id: `cloud~${i}`, label: `…000${i}`, engine: engines[i] as ScriptedEngine, guard: { ...GUARD, maxConcurrent: c.maxConcurrent ?? null }, clock, qps: c.qps ?? null,
      // A sleep that moves the clock, or refuses when the call's signal is aborted.
      sleep: async (ms, signal) => {
        if (signal.aborted) throw new AppError('canceled', 'canceled');
        waits.push(ms);
        clock.at += ms;
      },
    });
    slot.update({ weight: c.weight ?? 1 });
    return slot;
  });
  const channel = new ChannelEngine({
    name: 'cloud', type: 'test-scripted', enabled: true, guard: GUARD, slots, clock, random: seededRandom('channel'),
    onAccountError: (id, failure) => void failures.push([id, failure]),
  });
  return { channel, engines, slots, failures, waits, clock };
}

function model(id: string): ModelSpec {
  const spec = findModel(id);
  assert.ok(spec, id);
  return spec;
}

describe('channel engine', () => {
  it('spreads calls over its credentials by weight and says which made the images', async () => {
    const { channel, engines } = setup([{ weight: 1 }, { weight: 3 }]);
    const made = new Map<string, number>();
    for (let i = 0; i < 2000; i += 1) {
      const result = await channel.start(engineCall());
      assert.equal(result.status, 'done');
      const credential = result.status === 'done' ? (result.credential ?? '') : '';
      made.set(credential, (made.get(credential) ?? 0) + 1);
    }
    const share = (made.get('cloud~1') ?? 0) / 2000;
    assert.ok(share > 0.7 && share < 0.8, `about 3 calls in 4 on the weight-3 credential (${share})`);
    assert.equal((engines[0]?.starts.length ?? 0) + (engines[1]?.starts.length ?? 0), 2000);
    assert.equal(channel.capabilities.maxImagesPerCall, 6);
    assert.ok(channel.usable());
  });

  it('takes a credential with an account error out of rotation at once and moves the same call to another', async () => {
    const { channel, engines, failures, slots } = setup([{ weight: 1000, script: () => arrears() }, { weight: 1 }]);
    const call = engineCall({ model: 'qwen-image-2.0' });
    const result = await channel.start(call);
    assert.equal(result.status === 'done' && result.credential, 'cloud~1');
    assert.equal(engines[0]?.starts[0], call, 'the same call');
    assert.equal(slots[0]?.usable(), false);
    assert.deepEqual(failures.map(([id, f]) => [id, f.kind, f.code, f.model]), [['cloud~0', 'arrears', 'Arrearage', 'qwen-image-2.0']]);
    await channel.start(engineCall());
    assert.equal(engines[0]?.starts.length, 1, 'no more calls reach the disabled credential');
    assert.equal(failures.length, 1, 'the catalog is told once');
    const health = channel.health();
    assert.equal(health.usable, true);
    assert.deepEqual(health.credentials.map((c) => [c.id, c.health.calls, c.health.errors]), [['cloud~0', 1, 1], ['cloud~1', 2, 0]]);
  });

  it('refuses without retry when every credential is disabled, naming no credential and no upstream message', async () => {
    const { channel, failures } = setup([{ script: () => arrears() }, { script: () => new AppError('engine_unavailable', 'bad key', { upstreamCode: 'InvalidApiKey', retryable: false }) }]);
    await assert.rejects(channel.start(engineCall()), (error: AppError) => {
      assert.equal(error.kind, 'engine_unavailable');
      assert.equal(error.retryable, false);
      assert.equal(error.message, 'Channel cloud has no upstream account available right now.');
      return true;
    });
    assert.equal(failures.length, 2);
    assert.equal(channel.usable(), false);
  });

  it('takes a credential whose account has not opened a model out for that model\'s family only', async () => {
    const denied = () => new AppError('engine_unavailable', 'DashScope (cloud): Model access denied. (Model.AccessDenied)', { upstreamCode: 'Model.AccessDenied', retryable: false });
    const notOpened = (_: number, call: EngineCall): Step => (call.family === 'qwen-image-edit-max' ? denied() : 'done');
    const { channel, engines, failures, slots } = setup([{ script: notOpened }, { script: notOpened }]);
    const max = engineCall({ model: 'qwen-image-edit-max', family: 'qwen-image-edit-max' });
    await assert.rejects(channel.start(max), /no upstream account available/);
    assert.deepEqual(failures.map(([id, f]) => [id, f.kind, f.model]).sort(), [['cloud~0', 'model_not_open', 'qwen-image-edit-max'], ['cloud~1', 'model_not_open', 'qwen-image-edit-max']]);
    assert.equal(channel.usable('qwen-image-edit-max'), false);
    assert.equal(channel.usable('qwen-image-edit-max-2026-01-16'), false, 'its snapshots too');
    assert.equal(channel.usable('qwen-image-edit-plus'), true, 'every other model keeps the accounts');
    assert.equal(channel.usable(), true);
    assert.equal((await channel.start(engineCall())).status, 'done');
    const snapshot = engineCall({ model: 'qwen-image-edit-max-2026-01-16', family: 'qwen-image-edit-max' });
    await assert.rejects(channel.start(snapshot), /no upstream account available/);
    assert.equal((engines[0]?.starts.length ?? 0) + (engines[1]?.starts.length ?? 0), 3, 'no call of the family reaches the accounts again');
    // An error of the account itself, on another model, then takes it out for every model (the catalog told again).
    (slots[0]?.upstream as ScriptedEngine).start = async () => {
      throw arrears();
    };
    slots[1]?.update({ enabled: false });
    await assert.rejects(channel.start(engineCall()), /no upstream account available/);
    assert.deepEqual(failures.map(([id, f]) => [id, f.kind]).at(-1), ['cloud~0', 'arrears']);
    assert.equal(slots[0]?.usable(), false);
  });

  it('takes a model-scoped disable from the catalog', () => {
    const { channel, slots } = setup([{}]);
    slots[0]?.update({ disabled: { kind: 'model_not_open', code: 'Model.AccessDenied', reason: 'denied', model: 'qwen-image-max' } });
    assert.equal(channel.usable('qwen-image-max'), false);
    assert.equal(channel.usable('qwen-image-2.0-pro'), true);
    slots[0]?.update({ disabled: { kind: 'model_not_open', code: '403', reason: 'denied', model: null } });
    assert.equal(channel.usable('qwen-image-2.0-pro'), false, 'a model not opened without its model is out for every model');
  });

  it('passes other errors on unchanged, the credential staying in rotation', async () => {
    const throttled = new AppError('rate_limited', 'slow down', { upstreamCode: 'Throttling' });
    const { channel, slots, failures } = setup([{ script: () => throttled }]);
    await assert.rejects(channel.start(engineCall()), (error) => error === throttled);
    assert.equal(slots[0]?.usable(), true);
    assert.equal(failures.length, 0);
  });

  it('polls and cancels a pending operation through the credential that started it, even once disabled', async () => {
    const { channel, engines, slots } = setup([{ weight: 1, script: () => ({ pendingPolls: 2 }) }, { weight: 1, script: () => ({ pendingPolls: 2 }) }]);
    const started = await channel.start(engineCall());
    assert.equal(started.status, 'pending');
    const handle = started.status === 'pending' ? started.operation : null;
    const owner = (handle as { qigCredential: string }).qigCredential;
    const index = owner === 'cloud~0' ? 0 : 1;
    slots[index]?.markDisabled({ kind: 'arrears', code: 'Arrearage', reason: 'owes' });
    const polled = await channel.poll(handle, engineCall());
    assert.equal(polled.status, 'pending');
    assert.deepEqual((polled.status === 'pending' ? polled.operation : null) as JsonValue, handle);
    const done = await channel.poll(handle, engineCall());
    assert.equal(done.status === 'done' && done.credential, owner);
    assert.equal(engines[index]?.polls.length, 2);
    assert.equal(engines[1 - index]?.polls.length, 0);
    await channel.cancel(handle, engineCall());
    assert.deepEqual(engines[index]?.cancels, [(handle as { operation: JsonValue }).operation]);
  });

  it('marks a credential whose poll meets an account error', async () => {
    const { channel, slots, failures } = setup([{ script: () => ({ pendingPolls: 1 }) }]);
    const started = await channel.start(engineCall());
    const handle = started.status === 'pending' ? started.operation : null;
    const engine = slots[0]?.upstream as ScriptedEngine;
    engine.poll = async () => {
      throw arrears();
    };
    await assert.rejects(channel.poll(handle, engineCall()), /Arrearage/);
    assert.equal(slots[0]?.usable(), false);
    assert.equal(failures.length, 1);
  });

  it('sends a handle from before channels to the first credential, and refuses one naming a credential gone', async () => {
    const { channel, engines } = setup([{ script: () => ({ pendingPolls: 1 }) }, {}]);
    const started = await engines[0]?.start(engineCall());
    const legacy = started?.status === 'pending' ? started.operation : null;
    const done = await channel.poll(legacy, engineCall());
    assert.equal(done.status === 'done' && done.credential, 'cloud~0');
    await assert.rejects(channel.poll({ qigCredential: 'cr_gone', operation: { id: 'op-1' } }, engineCall()), (error: AppError) => {
      assert.equal(error.kind, 'engine_unavailable');
      assert.equal(error.retryable, false);
      assert.doesNotMatch(error.message, /cr_gone/, 'no credential id reaches a client');
      return true;
    });
  });

  it('waits for a QPS token, and gives up the wait on abort', async () => {
    const { channel, waits, engines } = setup([{ qps: 2 }]);
    await channel.start(engineCall());
    await channel.start(engineCall());
    assert.deepEqual(waits, [], 'two tokens saved up');
    await channel.start(engineCall());
    assert.deepEqual(waits, [500], 'the third waits half a second');
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(channel.start(engineCall({ signal: controller.signal })), (error: AppError) => error.kind === 'canceled');
    assert.equal(engines[0]?.starts.length, 3);
    await channel.start(engineCall());
    assert.deepEqual(waits, [500, 500], 'the aborted taker gave its token back');
  });

  it('prefers a credential that can start at once', async () => {
    let release = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { channel, engines } = setup([{ weight: 1000, maxConcurrent: 1 }, { weight: 1 }]);
    const busy = engines[0] as ScriptedEngine;
    const start = busy.start.bind(busy);
    busy.start = async (call) => {
      await gate;
      return start(call);
    };
    const first = channel.start(engineCall());
    const second = await channel.start(engineCall());
    assert.equal(second.status === 'done' && second.credential, 'cloud~1', 'the busy one is passed over');
    const slot = channel.slot('cloud~0') as CredentialSlot;
    let drained = false;
    const draining = slot.drained().then(() => (drained = true));
    await Promise.resolve();
    assert.equal(drained, false, 'a call still runs through it');
    release();
    assert.equal((await first).status, 'done');
    await draining;
    assert.equal(drained, true);
  });

  it('takes the catalog\'s state of a credential at each reload', async () => {
    const { channel, slots } = setup([{}, {}]);
    slots[0]?.update({ enabled: false });
    slots[1]?.update({ disabled: { kind: 'auth', code: 'InvalidApiKey', reason: 'revoked' } });
    assert.equal(channel.usable(), false);
    await assert.rejects(channel.start(engineCall()), { message: 'Channel cloud has no upstream account available right now.' });
    slots[1]?.update({ disabled: null, weight: 5 });
    assert.equal(slots[1]?.weight, 5);
    assert.equal(channel.usable(), true);
  });

  it('is one keyless slot for an engine without credentials: nothing attributed, never disabled', async () => {
    const engine = createScriptedEngine({ name: 'local', script: () => ({ pendingPolls: 1 }) });
    const clock = { now: () => 0 };
    const channel = new ChannelEngine({ name: 'local', type: engine.type, enabled: true, slots: [new CredentialSlot({ id: null, engine, guard: GUARD, clock })], clock });
    const started = await channel.start(engineCall());
    assert.deepEqual(started.status === 'pending' && started.operation, engine.starts.length === 1 ? { id: 'op-1', seed: 42, n: 1 } : null);
    const done = await channel.poll(started.status === 'pending' ? started.operation : null, engineCall());
    assert.equal(done.status === 'done' && done.credential, undefined);
    assert.deepEqual(channel.health().credentials, []);
    assert.equal(channel.health().summary.calls, 2);
  });

  it('tests a credential with its query, or a real task polled to its end', async () => {
    const { channel, slots } = setup([{ script: () => ({ pendingPolls: 1 }) }, {}]);
    const signal = new AbortController().signal;
    const generate = model('qwen-image');
    const task = await channel.test('cloud~0', 'query', generate, signal);
    assert.equal(task.mode, 'task', 'no probe: a task instead');
    assert.equal(task.ok, true);
    assert.equal(task.channel, 'cloud');
    assert.deepEqual(task.answer && task.answer.images, 1);
    (slots[1]?.upstream as ScriptedEngine).probe = async () => {
      throw new AppError('engine_unavailable', 'DashScope (cloud): bad key (InvalidApiKey)', { upstreamCode: 'InvalidApiKey', retryable: false });
    };
    const query = await channel.test('cloud~1', 'query', generate, signal);
    assert.equal(query.mode, 'query');
    assert.equal(query.ok, false);
    assert.deepEqual(query.error?.code, 'InvalidApiKey');
    assert.equal(query.failure?.kind, 'auth');
    assert.equal(slots[1]?.usable(), true, 'a test reports; the catalog decides');
    const edit = await channel.test('cloud~1', 'task', model('qwen-image-edit'), signal);
    assert.equal(edit.ok, true);
    const editCall = (slots[1]?.upstream as ScriptedEngine).starts.at(-1);
    assert.equal(editCall?.inputs.length, 1, 'an edit model gets an input image');
    assert.match(editCall?.inputs[0]?.signedUrl() ?? '', /^data:image\/png;base64,/);
    const missing = await channel.test('nope', 'query', generate, signal);
    assert.equal(missing.ok, false);
  });
});
