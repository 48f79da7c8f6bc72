/** The bounds on what a request may send and what is echoed back: pure functions, tested as such. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { boundWarnings, clip, headerText, printableName, quoteValue } from '../../../src/domain/bounded-text.js';
import { truncateChars } from '../../../src/domain/request.js';
import { MAX_UNKNOWN_FIELDS, unknownFields } from '../../../src/dialects/unknown-fields.js';
import { JsonShapeScanner, MAX_JSON_DEPTH, MAX_JSON_VALUES } from '../../../src/http/json-shape.js';

const jsonShapeProblem = (text: string) => new JsonShapeScanner().feed(text);

/** The same text fed in pieces cut at `cuts`. */
function inPieces(text: string, cuts: number[]): string | null {
  const scanner = new JsonShapeScanner();
  let from = 0;
  for (const cut of [...cuts, text.length]) {
    const problem = scanner.feed(text.slice(from, cut));
    if (problem !== null) return problem;
    from = cut;
  }
  return null;
}
import type { AppError } from '../../../src/domain/errors.js';

describe('the JSON shape scan', () => {
  it('lets ordinary bodies through, whatever their strings hold', () => {
    const body = JSON.stringify({ model: 'm', input: { messages: [{ content: [{ image: `data:image/png;base64,${'A'.repeat(100_000)}` }, { text: 'a "quoted" [text], {with} \\ escapes' }] }] }, parameters: { n: 2 } });
    assert.equal(jsonShapeProblem(body), null);
    assert.equal(jsonShapeProblem('"just a string"'), null);
    assert.equal(jsonShapeProblem('{"unterminated'), null, 'syntax errors are left to JSON.parse');
  });
  it('counts values and nesting outside strings only', () => {
    assert.equal(jsonShapeProblem(`[${'1,'.repeat(MAX_JSON_VALUES - 2)}1]`), null);
    assert.match(jsonShapeProblem(`[${'1,'.repeat(MAX_JSON_VALUES)}1]`) ?? '', /more than 10000 values/);
    assert.equal(jsonShapeProblem(`"${'[{,'.repeat(50_000)}"`), null);
    assert.equal(jsonShapeProblem(`${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}`), null);
    assert.match(jsonShapeProblem(`${'['.repeat(MAX_JSON_DEPTH + 1)}${']'.repeat(MAX_JSON_DEPTH + 1)}`) ?? '', /deeper than 32/);
    assert.match(jsonShapeProblem(`"${'\\"'.repeat(MAX_JSON_VALUES + 1)}"`) ?? '', /escaped quotes/);
    assert.equal(jsonShapeProblem('{"a":"x\\\\","b":[1,{"c":"]"}]}'), null, 'an escaped backslash ends before the quote');
  });
  it('refuses keys that would poison a prototype, however they are spelled, and only as keys', () => {
    for (const key of ['__proto__', 'constructor', '\\u005f_proto__', 'construct\\u006fr']) assert.match(jsonShapeProblem(`{"a":{"${key}" :{"x":1}}}`) ?? '', /is not allowed/, key);
    assert.equal(jsonShapeProblem('{"prompt":"constructor","user":"__proto__"}'), null, 'as values they are text');
  });
  it('decides the same whatever pieces the text arrives in', () => {
    const texts = [
      '{"a":"x\\\\","b":[1,{"c":"]"}],"d":"\\"quoted\\" \\\\\\"","__proto__":1}',
      `{"k":[${'1,'.repeat(MAX_JSON_VALUES)}1]}`,
      `${'['.repeat(MAX_JSON_DEPTH + 1)}`,
      '{"text":"a\\\\\\\\"}',
      `{"s":"${'\\"'.repeat(50)}","t":"ok"}`,
    ];
    let seed = 7;
    const next = (below: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648) % below);
    for (const text of texts) {
      const whole = jsonShapeProblem(text);
      for (let round = 0; round < 200; round += 1) {
        const cuts = Array.from({ length: 1 + next(6) }, () => next(text.length + 1)).sort((a, b) => a - b);
        assert.equal(inPieces(text, cuts), whole, `${text.slice(0, 40)} cut at ${cuts.join(',')}`);
      }
      for (let cut = 0; cut <= Math.min(text.length, 300); cut += 1) assert.equal(inPieces(text, [cut]), whole, `${text.slice(0, 40)} cut at ${cut}`);
    }
  });
});

describe('unknown fields', () => {
  it('names them with a prefix, printable and short', () => {
    assert.deepEqual(unknownFields({ n: 1, extra: 2, 'bad\nname': 3 }, new Set(['n']), 'parameters.'), ['parameters.extra', 'parameters.bad?name']);
    assert.equal(unknownFields({ ['x'.repeat(500)]: 1 }, new Set())[0], `${'x'.repeat(64)}...`);
  });
  it(`refuses more than ${MAX_UNKNOWN_FIELDS}, naming where`, () => {
    const many = Object.fromEntries(Array.from({ length: MAX_UNKNOWN_FIELDS + 1 }, (_, i) => [`k${i}`, i]));
    assert.equal(unknownFields(Object.fromEntries(Object.entries(many).slice(1)), new Set()).length, MAX_UNKNOWN_FIELDS);
    assert.throws(() => unknownFields(many, new Set(), 'parameters.'), (error: AppError) => error.field === 'parameters' && /more than 32 unknown fields \(parameters\.k0/.test(error.message));
  });
});

describe('bounded text', () => {
  it('clips, quotes and cleans what it echoes', () => {
    assert.equal(clip('abcdef', 3), 'abc…');
    assert.equal(clip('abc', 3), 'abc');
    assert.equal(quoteValue('x'.repeat(100)), JSON.stringify(`${'x'.repeat(80)}…`));
    assert.equal(quoteValue(7), '7');
    assert.equal(printableName('你好\tok'), '???ok');
  });
  it('writes header text as printable ASCII that JSON reads back, and bounds it', () => {
    const text = '图2 "style"\tnot found';
    const header = headerText(text);
    assert.match(header, /^[\x20-\x7e]*$/);
    assert.equal(JSON.parse(`"${header.replaceAll('"', '\\"')}"`), text);
    assert.equal(headerText('é'.repeat(5_000)).length, 1024 + 3);
  });
  it('keeps at most 20 warnings of at most 300 characters', () => {
    const kept = boundWarnings(Array.from({ length: 25 }, (_, i) => `${i}:${'w'.repeat(400)}`));
    assert.equal(kept.length, 21);
    assert.ok(kept.slice(0, 20).every((w) => w.length === 301));
    assert.equal(kept[20], '…and 5 more warnings.');
  });
  it('truncates prompts by code points without reading past the limit', () => {
    assert.deepEqual(truncateChars('你好🎨世界', 3), { text: '你好🎨', truncated: true });
    assert.deepEqual(truncateChars('ab', 3), { text: 'ab', truncated: false });
    const huge = 'x'.repeat(5_000_000);
    assert.equal(truncateChars(huge, 800).text.length, 800);
  });
});
