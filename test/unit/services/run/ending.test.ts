/** The ending's price of a task's images: each image at the price of the engine that made it. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TaskOutput } from '../../../../src/domain/task.js';
import { chargeOf } from '../../../../src/services/run/ending.js';

const PRICES: Record<string, number> = { gpu: 500_000, cpu: 0, cloud: 180_000 };
const unitPrice = (_model: string, engine: string | null) => (engine === null ? 123 : (PRICES[engine] ?? 999));

function output(seed: number, engine?: string): TaskOutput {
  return { blobId: `${seed}.png`, contentType: 'image/png', width: 8, height: 8, bytes: 1, seed, ...(engine ? { engine } : {}) };
}

describe('chargeOf', () => {
  it('prices every image at its engine, one part per engine in the order they produced', () => {
    assert.deepEqual(chargeOf('m', [output(1, 'gpu'), output(2, 'cpu'), output(3, 'gpu')], 'cpu', unitPrice), {
      parts: [
        { engine: 'gpu', images: 2, unitPriceMicros: 500_000 },
        { engine: 'cpu', images: 1, unitPriceMicros: 0 },
      ],
    });
  });

  it("counts an image without an engine (stored by an older version) as the ending engine's, or as no engine's", () => {
    assert.deepEqual(chargeOf('m', [output(1), output(2, 'cloud')], 'cloud', unitPrice), { parts: [{ engine: 'cloud', images: 2, unitPriceMicros: 180_000 }] });
    assert.deepEqual(chargeOf('m', [output(1)], null, unitPrice), { parts: [{ engine: null, images: 1, unitPriceMicros: 123 }] });
  });

  it('groups by engine and credential, each part at its upstream cost', () => {
    const made = (seed: number, engine: string, credential?: string): TaskOutput => ({ ...output(seed, engine), ...(credential ? { credential } : {}) });
    const unitCost = (_model: string, engine: string | null, credential: string | null) => (engine === 'cloud' ? (credential === 'cr_b' ? 90_000 : 100_000) : 0);
    assert.deepEqual(chargeOf('m', [made(1, 'cloud', 'cr_a'), made(2, 'cloud', 'cr_b'), made(3, 'cloud', 'cr_a'), made(4, 'cpu')], null, unitPrice, unitCost), {
      parts: [
        { engine: 'cloud', credential: 'cr_a', images: 2, unitPriceMicros: 180_000, unitCostMicros: 100_000 },
        { engine: 'cloud', credential: 'cr_b', images: 1, unitPriceMicros: 180_000, unitCostMicros: 90_000 },
        { engine: 'cpu', images: 1, unitPriceMicros: 0, unitCostMicros: 0 },
      ],
    });
  });
});
