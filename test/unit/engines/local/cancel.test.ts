/**
 * The local engine's operations are synchronous pixel loops. It must let the event loop run
 * between them, or a cancel (an HTTP request, then an event) is not even read until the whole
 * call is done, and the canceled task ends succeeded.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeCall, picture, rejects, run } from './fixtures.js';

describe('local engine: cancel while it works', () => {
  it('lets the event loop run between operations, not only at the end of the call', async () => {
    const image = await picture(512, 512);
    const ticks: number[] = [];
    const ticker = setInterval(() => ticks.push(performance.now()), 1);
    const started = performance.now();
    try {
      const done = await run(makeCall({ images: [image], prompt: 'turn it into an oil painting', n: 3, size: { width: 512, height: 512 } }));
      assert.equal(done.images.length, 3);
    } finally {
      clearInterval(ticker);
    }
    const ended = performance.now();
    const marks = [started, ...ticks.filter((t) => t < ended), ended];
    const longest = Math.max(...marks.slice(1).map((t, i) => t - marks[i]!));
    // Three oil paintings, each a long synchronous loop: the loop stalls for about one, never for all.
    assert.ok(longest < (ended - started) / 2, `the event loop stalled ${Math.round(longest)} ms of a ${Math.round(ended - started)} ms call`);
  });

  it('stops at the next operation when the signal is aborted from the event loop during the work', async () => {
    const image = await picture(512, 512);
    const controller = new AbortController();
    const call = makeCall({ images: [image], prompt: 'turn it into an oil painting', n: 6, size: { width: 512, height: 512 }, signal: controller.signal });
    call.log = (line) => {
      // The plan is read: abort as soon as the loop next runs (as a cancel event would arrive).
      if (line.startsWith('local engine plan:')) setTimeout(() => controller.abort(), 0);
    };
    await rejects(call, 'canceled', /canceled/);
  });

  it('stops a text-to-image call between its images', async () => {
    const controller = new AbortController();
    const call = makeCall({ kind: 'generate', model: 'qwen-image-2.0', family: 'qwen-image-2.0', prompt: 'a blue poster', n: 6, size: { width: 512, height: 512 }, signal: controller.signal });
    setTimeout(() => controller.abort(), 0);
    await rejects(call, 'canceled', /canceled/);
  });
});
