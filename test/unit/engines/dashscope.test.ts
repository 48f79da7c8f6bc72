/** The DashScope engine: request mapping, answers and errors, task polling and its budget, against the fake. */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { AppError } from '../../../src/domain/errors.js';
import { asyncText2ImageBody, pollDelayMs, syncBody } from '../../../src/engines/dashscope/mapping.js';
import { RateBudget } from '../../../src/engines/dashscope/rate-budget.js';
import type { Engine, EngineCall } from '../../../src/engines/engine.js';
import { createEngines } from '../../../src/engines/registry.js';
import { silentLogger } from '../../../src/lib/logger.js';
import { engineCall, operationOf, runToEnd } from '../../fakes/dashscope-kit.js';
import { startFakeDashScope, type FakeDashScope } from '../../fakes/dashscope.js';
import { gradientImage } from '../../helpers/images.js';

let png: Buffer;
before(async () => {
  png = await gradientImage(64, 48);
});

function dashscope(fake: FakeDashScope, extra: Record<string, unknown> = {}): Engine {
  return createEngines({ cloud: { type: 'dashscope', baseUrl: fake.url, apiKey: fake.apiKey, ...extra } as never }, { logger: silentLogger(), fetch: { allowHosts: [] } }).get('cloud') as Engine;
}

async function rejectsWith(promise: Promise<unknown>, check: Partial<Pick<AppError, 'kind' | 'retryable' | 'upstreamCode' | 'retryAfterSeconds'>>): Promise<AppError> {
  let caught: unknown;
  await promise.catch((error: unknown) => (caught = error));
  assert.ok(caught instanceof AppError, `rejects with AppError (got ${String(caught)})`);
  for (const [key, value] of Object.entries(check)) assert.equal((caught as never)[key], value, `${key} of "${caught.message}"`);
  return caught;
}

describe('DashScope request mapping', () => {
  it('sends an edit as one user message: images in order as data URIs, the text last, every parameter', async () => {
    const call = engineCall({ model: 'qwen-image-edit-plus-2025-12-15', family: 'qwen-image-edit-plus', n: 3, negativePrompt: 'blurry', promptExtend: true, watermark: true, seed: 9 }, [png, png]);
    const body = await syncBody(call, 'data-uri');
    assert.equal(body.model, 'qwen-image-edit-plus-2025-12-15', 'a dated snapshot stays dated');
    const content = body.input.messages[0].content;
    assert.equal(content.length, 3);
    assert.match((content[0] as { image: string }).image, /^data:image\/png;base64,iVBOR/);
    assert.deepEqual(content[2], { text: 'make it blue' });
    assert.deepEqual(body.parameters, { n: 3, size: '640*480', negative_prompt: 'blurry', prompt_extend: true, watermark: true, seed: 9 });
  });

  it('sends our signed URLs when the upstream can reach us', async () => {
    const body = await syncBody(engineCall({}, [png]), 'url');
    assert.deepEqual(body.input.messages[0].content[0], { image: 'http://127.0.0.1:1/files/input-1?sig=x' });
  });

  it('leaves a default size to DashScope and prompt_extend off models without it', async () => {
    const body = await syncBody(engineCall({ model: 'qwen-image-edit', family: 'qwen-image-edit', sizeSource: 'default' }, [png]), 'data-uri');
    assert.deepEqual(body.parameters, { n: 1, watermark: false, seed: 42 });
  });

  it('builds the async text2image body with input.prompt and input.negative_prompt', () => {
    const body = asyncText2ImageBody(engineCall({ model: 'qwen-image-plus', family: 'qwen-image-plus', negativePrompt: 'text', size: { width: 1328, height: 1328 } }));
    assert.deepEqual(body, {
      model: 'qwen-image-plus',
      input: { prompt: 'make it blue', negative_prompt: 'text' },
      parameters: { n: 1, size: '1328*1328', prompt_extend: false, watermark: false, seed: 42 },
    });
  });

  it('polls at the SDK cadence: 1 s, doubling every 3 polls, at most 5 s', () => {
    assert.deepEqual(Array.from({ length: 12 }, (_, i) => pollDelayMs(i)), [1000, 1000, 1000, 2000, 2000, 2000, 4000, 4000, 4000, 5000, 5000, 5000]);
  });
});

describe('DashScope engine against the fake', () => {
  let fake: FakeDashScope;
  let engine: Engine;
  before(async () => {
    fake = await startFakeDashScope();
    engine = dashscope(fake);
  });
  after(() => fake.close());
  beforeEach(() => {
    fake.script.clear();
    fake.options.taskFailure = undefined;
  });

  it('edits through the sync endpoint and returns the upstream URLs for the runner to re-host', async () => {
    const result = await engine.start(engineCall({ n: 2 }, [png]));
    assert.equal(result.status, 'done');
    assert.equal(result.status === 'done' && result.images.length, 2);
    const image = result.status === 'done' ? result.images[0] : undefined;
    assert.equal(image?.kind, 'url');
    assert.match(image?.kind === 'url' ? image.url : '', /\/results\/\d+\.png\?Expires=/);
    const request = fake.requests.at(-1)!;
    assert.equal(request.path, '/api/v1/services/aigc/multimodal-generation/generation');
    assert.equal(request.headers.authorization, `Bearer ${fake.apiKey}`);
    assert.equal(request.headers['x-dashscope-async'], undefined);
  });

  it('generates qwen-image-plus as an async task: PENDING → RUNNING → SUCCEEDED, with actual_prompt', async () => {
    const logs: string[] = [];
    const call = engineCall({ model: 'qwen-image-plus', family: 'qwen-image-plus', prompt: 'a kite', size: { width: 1664, height: 928 }, log: (line) => logs.push(line) });
    const { result, polls, pollAfter } = await runToEnd(engine, call);
    assert.equal(polls, 3);
    assert.deepEqual(pollAfter, [1000, 1000, 1000]);
    assert.equal(result.actualPrompt, 'a kite, richly detailed');
    assert.equal(result.images.length, 1);
    const submit = fake.requests.find((r) => r.path.endsWith('/text2image/image-synthesis'))!;
    assert.equal(submit.headers['x-dashscope-async'], 'enable');
    assert.equal(submit.body.input.prompt, 'a kite');
    assert.deepEqual(logs.map((l) => l.replace(/task-\d+/, 'task')), ['DashScope (cloud): task task is RUNNING', 'DashScope (cloud): task task is SUCCEEDED']);
  });

  it('maps a FAILED task through the catalog, keeping the DashScope code', async () => {
    fake.options.taskFailure = { code: 'DataInspectionFailed', message: 'Output data may contain inappropriate content.' };
    const call = engineCall({ model: 'qwen-image', family: 'qwen-image' });
    await rejectsWith(runToEnd(engine, call), { kind: 'content_blocked', retryable: false, upstreamCode: 'DataInspectionFailed' });
  });

  it('treats an unknown task as a failure', async () => {
    await rejectsWith(engine.poll({ taskId: 'nope', polls: 0 }, engineCall()), { kind: 'engine_failed' });
  });

  it('honours Retry-After on throttling', async () => {
    fake.script.push('sync', { kind: 'error', status: 429, body: { code: 'Throttling.RateQuota', message: 'Requests rate limit exceeded', request_id: 'r' }, headers: { 'retry-after': '4' } });
    await rejectsWith(engine.start(engineCall({}, [png])), { kind: 'rate_limited', retryable: true, retryAfterSeconds: 4, upstreamCode: 'Throttling.RateQuota' });
  });

  it('fails over at once on account errors (non-retryable engine_unavailable)', async () => {
    fake.script.push('sync', { kind: 'error', status: 400, body: { code: 'Arrearage', message: 'Access denied, please make sure your account is in good standing.' } });
    await rejectsWith(engine.start(engineCall({}, [png])), { kind: 'engine_unavailable', retryable: false, upstreamCode: 'Arrearage' });
    const wrongKey = dashscope(fake, { apiKey: 'sk-wrong' });
    await rejectsWith(wrongKey.start(engineCall({}, [png])), { kind: 'engine_unavailable', retryable: false, upstreamCode: 'InvalidApiKey' });
  });

  it('reads a 200 body that carries a code as an error', async () => {
    fake.script.push('sync', { kind: 'error', status: 200, body: { code: 'InvalidParameter', message: 'The size is not supported.' } });
    await rejectsWith(engine.start(engineCall({}, [png])), { kind: 'invalid_parameter', retryable: false, upstreamCode: 'InvalidParameter' });
  });

  it('turns garbage into engine_failed', async () => {
    fake.script.push('sync', { kind: 'garbage' });
    await rejectsWith(engine.start(engineCall({}, [png])), { kind: 'engine_failed', retryable: true });
    fake.script.push('sync', { kind: 'error', status: 200, body: { output: { choices: 'nope' } } });
    await rejectsWith(engine.start(engineCall({}, [png])), { kind: 'engine_failed' });
    fake.script.push('task', { kind: 'error', status: 200, body: { output: {} } });
    await rejectsWith(engine.poll({ taskId: 'x', polls: 0 }, engineCall()), { kind: 'engine_failed' });
  });

  it('gives up on a hanging upstream when the call is aborted', async () => {
    fake.script.push('sync', { kind: 'hang' });
    const controller = new AbortController();
    const pending = engine.start(engineCall({ signal: controller.signal }, [png]));
    setTimeout(() => controller.abort(), 50);
    await rejectsWith(pending, { kind: 'canceled' });
  });

  it('times out a hanging upstream as engine_timeout', async () => {
    fake.script.push('sync', { kind: 'hang' });
    await rejectsWith(dashscope(fake, { timeoutSeconds: 1 }).start(engineCall({}, [png])), { kind: 'engine_timeout', retryable: true });
  });

  it('cancels a PENDING task and shrugs at one that already runs', async () => {
    const call = engineCall({ model: 'qwen-image', family: 'qwen-image' });
    const started = await engine.start(call);
    assert.equal(started.status, 'pending');
    const operation = operationOf(started);
    await engine.cancel(operation, call);
    assert.equal(fake.tasks.get(operation.taskId)?.status, 'CANCELED');
    const second = await engine.start(call);
    const running = operationOf(second);
    await engine.poll(running, call);
    await engine.poll(running, call);
    await engine.cancel(running, call);
  });

  it('keeps every account to 20 task queries per second, shared by all tasks', async () => {
    const busy = await startFakeDashScope({ pendingQueries: 1, runningQueries: 1 });
    try {
      const shared = dashscope(busy);
      const calls = Array.from({ length: 25 }, () => engineCall({ model: 'qwen-image', family: 'qwen-image' }));
      const handles = await Promise.all(calls.map(async (call) => operationOf(await shared.start(call))));
      // Every task polled at once, three times: 75 queries, more than three seconds' worth.
      await Promise.all(handles.map(async (handle, i) => {
        let operation = handle;
        for (let poll = 0; poll < 3; poll += 1) {
          const result = await shared.poll(operation, calls[i] as EngineCall);
          if (result.status === 'pending') operation = result.operation;
          else assert.equal(result.images.length, 1);
        }
      }));
      assert.equal(busy.taskQueryTimes.length, 75);
      assert.ok(busy.maxQueriesPerWindow(1000) <= 20, `at most 20 queries in any second (saw ${busy.maxQueriesPerWindow(1000)})`);
    } finally {
      await busy.close();
    }
  });
});

describe('the task-query budget', () => {
  function manualClock() {
    let now = 0;
    const sleepers: Array<{ at: number; resolve(): void }> = [];
    return {
      clock: { now: () => now },
      pause: (ms: number, wake: Promise<void>) =>
        new Promise<void>((resolve) => {
          sleepers.push({ at: now + ms, resolve });
          void wake.then(resolve);
        }),
      async advance(ms: number) {
        now += ms;
        for (const sleeper of sleepers.filter((s) => s.at <= now)) {
          sleepers.splice(sleepers.indexOf(sleeper), 1);
          sleeper.resolve();
        }
        for (let i = 0; i < 5; i += 1) await new Promise((resolve) => setImmediate(resolve));
      },
    };
  }

  it('grants `limit` tokens; each comes back one window after its answer arrived', async () => {
    const time = manualClock();
    const budget = new RateBudget(3, 1000, time.clock, time.pause);
    const signal = new AbortController().signal;
    const granted: number[] = [];
    const answers: Array<() => void> = [];
    // Each query's answer comes when the test says.
    const takers = Array.from({ length: 5 }, () =>
      budget.use(signal, () => {
        granted.push(time.clock.now());
        return new Promise<void>((resolve) => answers.push(resolve));
      }),
    );
    await time.advance(0);
    assert.deepEqual(granted, [0, 0, 0]);
    await time.advance(1500);
    assert.equal(granted.length, 3, 'tokens are held while their queries are in flight');
    answers[0]!();
    answers[1]!();
    await time.advance(0);
    await time.advance(999);
    assert.equal(granted.length, 3);
    await time.advance(1);
    assert.deepEqual(granted, [0, 0, 0, 2500, 2500]);
    for (const answer of answers.slice(2)) answer();
    await Promise.all(takers);
  });

  it('lets a waiting taker give up when its call is aborted, without spending a token', async () => {
    const time = manualClock();
    const budget = new RateBudget(1, 1000, time.clock, time.pause);
    const signal = new AbortController().signal;
    (await budget.take(signal))();
    const controller = new AbortController();
    const waiting = budget.take(controller.signal);
    const next = budget.take(signal);
    controller.abort();
    await assert.rejects(waiting, (error: unknown) => error instanceof AppError && error.kind === 'canceled');
    await time.advance(1000);
    (await next)();
  });
});
