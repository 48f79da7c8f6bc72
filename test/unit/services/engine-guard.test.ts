/** The router's guard around every engine: concurrency limit and circuit breaker. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../../../src/domain/errors.js';
import type { Engine, EngineCall, EngineResult } from '../../../src/engines/engine.js';
import { GuardedEngine } from '../../../src/services/engine-guard.js';
import { engineCall } from '../../fakes/dashscope-kit.js';

function manualClock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

function engine(behaviour: (call: EngineCall) => Promise<EngineResult>): Engine {
  return {
    name: 'up',
    type: 'test',
    capabilities: { models: '*', maxImagesPerCall: 1, watermark: false, negativePrompt: true, promptExtend: true, seed: true, cancelRunning: false },
    start: behaviour,
    poll: (_operation, call) => behaviour(call),
    cancel: async () => {},
  };
}

const done: EngineResult = { status: 'done', images: [] };
const options = { maxConcurrent: null, failureThreshold: 3, openMs: 10_000, outputs: 'rehost' as const };

describe('engine guard', () => {
  it('opens the circuit after consecutive engine failures, refuses at once, then lets one probe through', async () => {
    const clock = manualClock();
    let fail = true;
    let calls = 0;
    const guarded = new GuardedEngine(engine(async () => {
      calls += 1;
      if (fail) throw new AppError('engine_failed', 'upstream 500');
      return done;
    }), options, clock);
    for (let i = 0; i < 3; i += 1) await assert.rejects(guarded.start(engineCall()), /upstream 500/);
    assert.equal(guarded.state(), 'open');
    await assert.rejects(guarded.start(engineCall()), (e: unknown) => e instanceof AppError && e.kind === 'engine_unavailable' && !e.retryable && /circuit open/.test(e.message));
    assert.equal(calls, 3, 'an open circuit does not call the engine');
    clock.advance(10_000);
    assert.equal(guarded.state(), 'half-open');
    await assert.rejects(guarded.start(engineCall()), /upstream 500/);
    assert.equal(guarded.state(), 'open', 'a failed probe opens it again');
    clock.advance(10_000);
    fail = false;
    assert.deepEqual(await guarded.start(engineCall()), done);
    assert.equal(guarded.state(), 'closed');
    assert.equal(guarded.health().consecutiveFailures, 0);
  });

  it('does not count errors of the request or cancels against the engine', async () => {
    const clock = manualClock();
    const guarded = new GuardedEngine(engine(async () => {
      throw new AppError('content_blocked', 'blocked');
    }), options, clock);
    for (let i = 0; i < 5; i += 1) await assert.rejects(guarded.start(engineCall()), /blocked/);
    assert.equal(guarded.state(), 'closed');
  });

  it("does not count the gateway's own storage or database failing under a call against the engine", async () => {
    const clock = manualClock();
    const failures = [
      new AppError('unavailable', "The gateway's image storage is unavailable right now; retry shortly."),
      Object.assign(new Error('We encountered an internal error.'), { name: 'InternalError', $fault: 'server', $metadata: { httpStatusCode: 500 } }),
      Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
    ];
    let call = 0;
    const guarded = new GuardedEngine(engine(async () => {
      throw failures[call++ % failures.length] as Error;
    }), options, clock);
    for (let i = 0; i < 6; i += 1) await assert.rejects(guarded.start(engineCall()));
    assert.equal(guarded.state(), 'closed');
  });

  it('lets one probe through while half-open, refusing the others', async () => {
    const clock = manualClock();
    let release: () => void = () => {};
    let fail = true;
    const guarded = new GuardedEngine(engine(async () => {
      if (fail) throw new AppError('engine_failed', 'x');
      await new Promise<void>((resolve) => (release = resolve));
      return done;
    }), options, clock);
    for (let i = 0; i < 3; i += 1) await assert.rejects(guarded.start(engineCall()));
    clock.advance(10_000);
    fail = false;
    const probe = guarded.start(engineCall());
    await assert.rejects(guarded.start(engineCall()), (e: unknown) => e instanceof AppError && e.kind === 'engine_unavailable');
    release();
    await probe;
    assert.equal(guarded.state(), 'closed');
  });

  it('queues calls beyond maxConcurrent, in order, and never runs more at once', async () => {
    let active = 0;
    let peak = 0;
    const order: number[] = [];
    const guarded = new GuardedEngine(engine(async (call) => {
      active += 1;
      peak = Math.max(peak, active);
      await new Promise((resolve) => setTimeout(resolve, 10));
      order.push(call.seed);
      active -= 1;
      return done;
    }), { ...options, maxConcurrent: 2 }, manualClock());
    await Promise.all([1, 2, 3, 4, 5, 6].map((seed) => guarded.start(engineCall({ seed }))));
    assert.equal(peak, 2);
    assert.deepEqual(order.slice(0, 2).sort(), [1, 2]);
    assert.equal(guarded.health().inFlight, 0);
  });

  it('gives up a waiting call when it is canceled', async () => {
    let release: () => void = () => {};
    const guarded = new GuardedEngine(engine(async () => {
      await new Promise<void>((resolve) => (release = resolve));
      return done;
    }), { ...options, maxConcurrent: 1 }, manualClock());
    const first = guarded.start(engineCall());
    const controller = new AbortController();
    const second = guarded.start(engineCall({ signal: controller.signal }));
    assert.equal(guarded.health().waiting, 1);
    controller.abort();
    await assert.rejects(second, (e: unknown) => e instanceof AppError && e.kind === 'canceled');
    assert.equal(guarded.health().waiting, 0);
    release();
    await first;
    assert.equal(guarded.health().inFlight, 0);
  });
});
