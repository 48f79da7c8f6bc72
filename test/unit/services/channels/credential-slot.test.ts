/**
 * One credential's slot: its key never leaves in an error (whole, or a head a clip left), and its
 * QPS token is taken once a call holds its concurrency slot, on a clock the test moves.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../../../../src/domain/errors.js';
import { findModel, type ModelSpec } from '../../../../src/domain/models.js';
import type { EngineCall } from '../../../../src/engines/engine.js';
import { upstreamError } from '../../../../src/engines/upstream/errors.js';
import { accountErrorOf } from '../../../../src/services/channels/account-errors.js';
import { ChannelEngine } from '../../../../src/services/channels/channel-engine.js';
import { CredentialSlot } from '../../../../src/services/channels/credential-slot.js';
import { QpsBucket } from '../../../../src/services/channels/qps-bucket.js';
import { redactSecret } from '../../../../src/services/channels/secret-redaction.js';
import { engineCall } from '../../../fakes/dashscope-kit.js';
import { createScriptedEngine } from '../../../fakes/scripted-engine.js';

const GUARD = { maxConcurrent: null, failureThreshold: 5, openMs: 60_000, outputs: 'rehost' } as const;
/** A key in no pattern upstream/errors.ts knows. */
const KEY = 'AIzaSyD0leaky0key01234567890abcdef';

/** Time the test moves: sleeps end when it gets there, in order. */
function manualTime() {
  let now = 0;
  const timers: Array<{ at: number; wake: () => void }> = [];
  const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
  return {
    clock: { now: () => now },
    sleep: (ms: number, signal: AbortSignal) =>
      new Promise<void>((resolve, reject) => {
        const timer = { at: now + ms, wake: resolve };
        timers.push(timer);
        signal.addEventListener('abort', () => {
          timers.splice(timers.indexOf(timer), 1);
          reject(new AppError('canceled', 'canceled'));
        }, { once: true });
      }),
    async advance(ms: number) {
      const until = now + ms;
      await settle();
      for (;;) {
        const next = timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at)[0];
        if (!next) break;
        timers.splice(timers.indexOf(next), 1);
        now = next.at;
        next.wake();
        await settle();
      }
      now = until;
      await settle();
    },
  };
}

function model(id: string): ModelSpec {
  const spec = findModel(id);
  assert.ok(spec, id);
  return spec;
}

describe('credential slot', () => {
  it('redacts its key, whole or cut short by a clip, from whatever its engine throws', async () => {
    // An upstream echoing the key: in full, and with the key cut by the 300-character clip.
    const echo = (pad: number) => upstreamError({ label: 'shop', status: 401, code: 'invalid_api_key', message: `${'x'.repeat(pad)} Incorrect API key provided: ${KEY}.` });
    const engine = createScriptedEngine({ name: 'shop', script: (i) => (i === 0 ? echo(10) : { pendingPolls: 1 }) });
    engine.poll = async () => {
      throw echo(260);
    };
    engine.cancel = async () => {
      throw new Error(`cancel refused for key ${KEY}`, { cause: new Error(KEY) });
    };
    engine.probe = async () => {
      throw echo(0);
    };
    const clock = { now: () => 0 };
    const slot = new CredentialSlot({ id: 'shop~0', engine, secret: KEY, guard: GUARD, clock });
    const failures: string[] = [];
    const channel = new ChannelEngine({ name: 'shop', type: engine.type, enabled: true, slots: [slot], clock, onAccountError: (_, f) => void failures.push(f.reason) });
    const leaks = (error: unknown) => {
      const text = `${String((error as Error).message)} ${String((error as Error).stack)} ${String((error as Error).cause)}`;
      return text.includes(KEY.slice(0, 8));
    };

    const started = await slot.start(engineCall()).catch((error: unknown) => error);
    assert.equal(leaks(started), false, String(started));
    assert.equal(accountErrorOf(started)?.kind, 'auth', 'still classified by its code');
    assert.equal((started as AppError).upstreamCode, 'invalid_api_key');
    const pending = await slot.start(engineCall());
    const handle = pending.status === 'pending' ? pending.operation : null;
    const polled = await slot.poll(handle, engineCall()).catch((error: unknown) => error);
    assert.match(String((polled as Error).message), /^shop: x+ Incorrect API key provided: \[redacted\]/, 'the head a clip left is gone too');
    assert.equal(leaks(polled), false);
    const canceled = await slot.cancel(handle, engineCall()).catch((error: unknown) => error);
    assert.equal(leaks(canceled), false, String(canceled));
    const tested = await channel.test('shop~0', 'query', model('qwen-image'), new AbortController().signal);
    assert.equal(tested.error?.message.includes(KEY.slice(0, 8)), false);
    assert.equal(tested.failure?.kind, 'auth');
    assert.equal(slot.health().lastError?.includes(KEY.slice(0, 8)), false);
    assert.deepEqual(failures, []);
  });

  it('redacts every occurrence and any head of at least 8 characters', () => {
    assert.equal(redactSecret(`a ${KEY} b ${KEY}`, KEY), 'a [redacted] b [redacted]');
    assert.equal(redactSecret(`cut ${KEY.slice(0, 12)}…`, KEY), 'cut [redacted]…');
    assert.equal(redactSecret(`short ${KEY.slice(0, 7)}`, KEY), `short ${KEY.slice(0, 7)}`);
  });

  it('takes its QPS token once a call holds its concurrency slot, so calls that waited start a second apart', async () => {
    const time = manualTime();
    const starts: number[] = [];
    let open = () => {};
    const gate = new Promise<void>((resolve) => (open = resolve));
    const engine = createScriptedEngine({ name: 'cloud' });
    const start = engine.start.bind(engine);
    engine.start = async (call: EngineCall) => {
      starts.push(time.clock.now());
      await gate;
      return start(call);
    };
    const slot = new CredentialSlot({ id: 'cloud~0', engine, guard: { ...GUARD, maxConcurrent: 2 }, qps: 1, clock: time.clock, sleep: time.sleep });
    const calls = Array.from({ length: 4 }, () => slot.start(engineCall()));
    await time.advance(4200);
    open();
    await time.advance(5000);
    await Promise.all(calls);
    assert.deepEqual(starts, [0, 1000, 4200, 5200]);
  });

  it('leaves no token taken by a call aborted while it waited for concurrency', async () => {
    const time = manualTime();
    let open = () => {};
    const gate = new Promise<void>((resolve) => (open = resolve));
    const engine = createScriptedEngine({ name: 'cloud' });
    const start = engine.start.bind(engine);
    const starts: number[] = [];
    engine.start = async (call: EngineCall) => {
      starts.push(time.clock.now());
      if (starts.length === 1) await gate;
      return start(call);
    };
    const slot = new CredentialSlot({ id: 'cloud~0', engine, guard: { ...GUARD, maxConcurrent: 1 }, qps: 1, clock: time.clock, sleep: time.sleep });
    const first = slot.start(engineCall());
    const controllers = Array.from({ length: 3 }, () => new AbortController());
    const waiting = controllers.map((c) => slot.start(engineCall({ signal: c.signal })).catch((error: AppError) => error.kind));
    await time.advance(1000);
    for (const c of controllers) c.abort();
    assert.deepEqual(await Promise.all(waiting), ['canceled', 'canceled', 'canceled']);
    open();
    await first;
    const next = slot.start(engineCall());
    await time.advance(0);
    assert.deepEqual(starts, [0, 1000], 'the next call finds its token at once');
    await time.advance(5000);
    await next;
    assert.equal(slot.health().inFlight, 0);
  });
});

describe('QPS bucket', () => {
  it('hands the token back when the call was aborted as its wait ended, and takes none for an aborted call', async () => {
    let now = 0;
    const waits: number[] = [];
    let abortDuringWait: AbortController | null = null;
    const bucket = new QpsBucket(1, { now: () => now }, async (ms) => {
      waits.push(ms);
      now += ms;
      abortDuringWait?.abort();
    });
    await bucket.take(new AbortController().signal);
    abortDuringWait = new AbortController();
    await assert.rejects(bucket.take(abortDuringWait.signal), (error: AppError) => error.kind === 'canceled');
    abortDuringWait = null;
    const aborted = new AbortController();
    aborted.abort();
    await assert.rejects(bucket.take(aborted.signal), (error: AppError) => error.kind === 'canceled');
    assert.equal(bucket.ready(), true, 'neither aborted call kept a token');
    await bucket.take(new AbortController().signal);
    assert.deepEqual(waits, [1000]);
  });
});
