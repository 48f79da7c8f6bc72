/**
 * `revised_prompt` in OpenAI answers: OpenAI sends it only when the model revised the prompt, so
 * it is present only when prompt_extend rewrote the prompt — not when prompt_extend was off (the
 * actual prompt is then the local engine's plan as it read the instruction), not when the
 * prompt came back unchanged, and not for the local engine's text-to-image placeholder. The
 * nebula envelope keeps the field (its documented form always has it), empty unless revised.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nebulaSuccess } from '../../../../src/dialects/nebula/render.js';
import { imagesResponse, revisedPrompt } from '../../../../src/dialects/openai/render.js';
import type { TaskRecord } from '../../../../src/domain/task.js';
import { PLACEHOLDER_WARNING } from '../../../../src/engines/local/generate.js';

function task(overrides: { promptExtend?: boolean; actualPrompt?: string | null; warnings?: string[]; kind?: 'edit' | 'generate' } = {}): TaskRecord {
  return {
    id: 't1', keyId: 'k', userId: 'usr_k', priceMultiplierPpm: 1_000_000, model: 'qwen-image-edit-plus', kind: overrides.kind ?? 'edit', status: 'succeeded',
    spec: { prompt: 'make it black and white', negativePrompt: null, n: 1, size: { width: 1024, height: 1024 }, sizeSource: 'default', seed: 1, promptExtend: overrides.promptExtend ?? true, watermark: false, outputFormat: 'png' },
    inputs: [], engine: 'local', operation: null, outputs: [], usage: { imageCount: 1, width: 1024, height: 1024 },
    actualPrompt: overrides.actualPrompt === undefined ? 'black and white, keep the composition and subject unchanged' : overrides.actualPrompt,
    error: null, warnings: overrides.warnings ?? [], attempts: 1, cancelRequested: false, origin: 'openai', requestId: 'r1',
    createdAt: 1_767_312_000_000, startedAt: 1_767_312_000_000, finishedAt: 1_767_312_001_000, updatedAt: 1_767_312_001_000, leaseUntil: null, workerId: null,
    billing: { state: 'settled', unitPriceMicros: 0, holdMicros: 0, chargedMicros: 0 },
  };
}

const itemKeys = (record: TaskRecord) => Object.keys(imagesResponse(record, [{ url: 'http://127.0.0.1/x.png' }]).data[0]!).sort();

describe('revised_prompt', () => {
  it('is present when prompt_extend rewrote the prompt', () => {
    const record = task();
    assert.equal(revisedPrompt(record), 'black and white, keep the composition and subject unchanged');
    assert.deepEqual(itemKeys(record), ['revised_prompt', 'url']);
    assert.equal(imagesResponse(record, [{ url: 'u' }]).data[0]!.revised_prompt, 'black and white, keep the composition and subject unchanged');
  });

  it('is absent with prompt_extend off, even when the engine reports how it read the prompt', () => {
    const record = task({ promptExtend: false, actualPrompt: 'black and white' });
    assert.equal(revisedPrompt(record), undefined);
    assert.deepEqual(itemKeys(record), ['url']);
  });

  it('is absent when there is no actual prompt, or it is the prompt as asked, or empty', () => {
    for (const actualPrompt of [null, 'make it black and white', '', '  ']) {
      assert.equal(revisedPrompt(task({ actualPrompt })), undefined, String(actualPrompt));
      assert.deepEqual(itemKeys(task({ actualPrompt })), ['url']);
    }
  });

  it("is absent for the local engine's text-to-image placeholder, whose actual prompt describes it", () => {
    const record = task({ kind: 'generate', actualPrompt: 'procedural placeholder (palette: red)', warnings: [PLACEHOLDER_WARNING] });
    assert.equal(revisedPrompt(record), undefined);
    assert.deepEqual(itemKeys(record), ['url']);
  });

  it('stays in the nebula envelope, empty unless the prompt was revised', () => {
    const plain = nebulaSuccess(task({ promptExtend: false, actualPrompt: 'black and white' }), ['u'], null, 'r1', 'CNY');
    assert.deepEqual(plain.data.data[0], { url: 'u', b64_json: '', revised_prompt: '' });
    const revised = nebulaSuccess(task(), ['u'], null, 'r1', 'CNY');
    assert.equal(revised.data.data[0]!.revised_prompt, 'black and white, keep the composition and subject unchanged');
  });
});
