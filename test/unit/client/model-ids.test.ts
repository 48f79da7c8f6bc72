/** The client's model id unions name exactly the catalog's models (by what each can do), so editors complete real ids. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { listModels } from '../../../src/domain/models.js';

const source = readFileSync(new URL('../../../src/client/requests.ts', import.meta.url), 'utf8');

function idsOf(typeName: string): string[] {
  const body = new RegExp(`export type ${typeName} =([\\s\\S]*?);`).exec(source)?.[1] ?? '';
  return [...body.matchAll(/\| '([^']+)'/g)].map((m) => m[1] as string).sort();
}

describe('client model ids', () => {
  it('EditModelId and GenerateModelId follow the catalog', () => {
    const models = listModels();
    assert.deepEqual(idsOf('EditModelId'), models.filter((m) => m.edit).map((m) => m.id).sort());
    assert.deepEqual(idsOf('GenerateModelId'), models.filter((m) => m.generate).map((m) => m.id).sort());
  });
});
