/** The client's wire types are generated from the server's OpenAPI document: they must not drift from it. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { GENERATED_PATH, clientTypesOf, serverDocument } from '../../../scripts/client-types.js';

it('src/client/wire.generated.ts is what the server\'s schemas generate', async () => {
  const expected = await clientTypesOf(await serverDocument());
  const actual = readFileSync(GENERATED_PATH, 'utf8');
  assert.ok(actual === expected, 'src/client/wire.generated.ts differs from the server\'s OpenAPI schemas: run `npm run client:types` and commit the result.');
});
