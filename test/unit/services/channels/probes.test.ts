/**
 * The engines' cheap authenticated queries against their fakes, and a channel of several DashScope
 * accounts on one fake: the account in arrears is taken out of rotation and the call moves on.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AppError } from '../../../../src/domain/errors.js';
import type { Engine } from '../../../../src/engines/engine.js';
import { createEngines } from '../../../../src/engines/registry.js';
import { silentLogger } from '../../../../src/lib/logger.js';
import { accountErrorOf } from '../../../../src/services/channels/account-errors.js';
import { ChannelEngine } from '../../../../src/services/channels/channel-engine.js';
import { CredentialSlot } from '../../../../src/services/channels/credential-slot.js';
import { engineCall } from '../../../fakes/dashscope-kit.js';
import { startFakeDashScope, type FakeDashScope } from '../../../fakes/dashscope.js';
import { startFakeReseller, type FakeReseller } from '../../../fakes/reseller.js';

const deps = { logger: silentLogger(), fetch: { allowHosts: [] } };
const GUARD = { maxConcurrent: null, failureThreshold: 3, openMs: 60_000, outputs: 'rehost' } as const;

describe('probes', () => {
  let dashscope: FakeDashScope;
  let reseller: FakeReseller;
  const engines: Engine[] = [];
  const dashscopeEngine = (apiKey: string) => {
    const engine = createEngines({ cloud: { type: 'dashscope', baseUrl: dashscope.url, apiKey } }, deps).get('cloud') as Engine;
    engines.push(engine);
    return engine;
  };

  before(async () => {
    dashscope = await startFakeDashScope({ keys: { 'sk-owes': 'Arrearage', 'sk-revoked': 'InvalidApiKey', 'sk-no-model': 'Model.AccessDenied', 'sk-good': 'ok' } });
    reseller = await startFakeReseller();
  });
  after(async () => {
    await Promise.all(engines.map((engine) => engine.close?.()));
    await dashscope.close();
    await reseller.close();
  });

  it('DashScope: a task query for an unknown id passes with a good key, and fails as an account error with a bad one', async () => {
    const signal = new AbortController().signal;
    await dashscopeEngine('sk-good').probe?.(signal);
    await dashscopeEngine('sk-owes').probe?.(signal);
    assert.ok(dashscope.requests.some((r) => r.method === 'GET' && r.path.startsWith('/api/v1/tasks/qig-probe-')));
    await assert.rejects(dashscopeEngine('sk-revoked').probe?.(signal) ?? Promise.resolve(), (error) => accountErrorOf(error)?.kind === 'auth');
  });

  it('openai-compatible: the model list, with the key', async () => {
    const signal = new AbortController().signal;
    const good = createEngines({ r: { type: 'openai-compatible', style: 'openai', baseUrl: reseller.url, apiKey: reseller.apiKey } as never }, deps).get('r') as Engine;
    await good.probe?.(signal);
    const bad = createEngines({ r: { type: 'openai-compatible', style: 'openai', baseUrl: reseller.url, apiKey: 'sk-wrong' } as never }, deps).get('r') as Engine;
    await assert.rejects(bad.probe?.(signal) ?? Promise.resolve(), (error) => accountErrorOf(error)?.kind === 'auth');
  });

  it('a channel of several accounts moves a call off the one in arrears and the one without the model', async () => {
    const clock = { now: () => Date.now() };
    const failures: string[] = [];
    const slots = ['sk-owes', 'sk-no-model', 'sk-good'].map((key, i) => {
      const slot = new CredentialSlot({ id: `cloud~${i}`, label: `…${key.slice(-4)}`, engine: dashscopeEngine(key), guard: GUARD, clock });
      slot.update({ weight: i === 2 ? 1 : 1000 });
      return slot;
    });
    const channel = new ChannelEngine({ name: 'cloud', type: 'dashscope', enabled: true, guard: GUARD, slots, clock, onAccountError: (id, f) => void failures.push(`${id} ${f.kind}`) });
    const result = await channel.start(engineCall({ model: 'qwen-image-2.0', family: 'qwen-image-2.0' }));
    assert.equal(result.status === 'done' && result.credential, 'cloud~2');
    assert.deepEqual(failures.sort(), ['cloud~0 arrears', 'cloud~1 model_not_open']);
    slots[2]?.markDisabled({ kind: 'auth', code: 'InvalidApiKey', reason: 'revoked' });
    await assert.rejects(channel.start(engineCall()), (error: AppError) => error.kind === 'engine_unavailable' && /Channel cloud has no upstream account available/.test(error.message));
  });
});
