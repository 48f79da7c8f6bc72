/**
 * docs/errors.md lists the error catalog: every kind once, none that does not exist, each with
 * the DashScope status and code the dialect really answers with.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ERROR_KINDS, type ErrorKind } from '../../../src/domain/errors.js';
import { dashscopeError } from '../../../src/dialects/dashscope/render.js';

const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
const rows = [...doc.matchAll(/^\| `([a-z_]+)` \| .* \| (\d{3}) `([A-Za-z.]+)` \|$/gm)].map((m) => ({ kind: m[1] as string, status: Number(m[2]), code: m[3] as string }));

describe('docs/errors.md', () => {
  it('lists every kind of the catalog once, and nothing else', () => {
    assert.deepEqual(rows.map((r) => r.kind).sort(), Object.keys(ERROR_KINDS).sort());
  });

  it('gives each kind the DashScope status and code the dialect answers with', () => {
    for (const row of rows) {
      const rendered = dashscopeError({ kind: row.kind as ErrorKind });
      assert.deepEqual({ kind: row.kind, status: row.status, code: row.code }, { kind: row.kind, ...rendered });
    }
  });
});
