/** Text the local engine cannot draw in full: invisible characters, lone surrogates, over-long texts. */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { clipAtWord, explainNothingDoable, parseInstruction, planWarnings } from '../../../../../src/engines/local/instructions/instructions.js';
import { MAX_TEXT_CHARS, drawText, drawnText } from '../../../../../src/engines/local/ops/text.js';
import { hasVisibleChars, nameChars } from '../../../../../src/engines/local/raster/font.js';
import { engine, flat, makeCall, picture, rejects, run } from '../fixtures.js';

const INVISIBLE = ['\u200b', '\u200c', '\u200d', '\u2060', '\u00ad', '\u200e'];
const hex = (char: string): string => `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;

let image: Buffer;
before(async () => {
  image = await picture(64, 48);
});

describe('text of invisible characters', () => {
  it('refuses it at parse time, naming the characters, alone or as one clause among others', async () => {
    for (const char of INVISIBLE) {
      await rejects(makeCall({ images: [image], prompt: `add the text "${char}"` }), 'engine_rejected', new RegExp(`invisible characters, ${hex(char).replace('+', '\\+')}`));
      const mixed = await run(makeCall({ images: [image], prompt: `add the text "${char}${char}" and make it black and white` }));
      assert.equal(mixed.images.length, 1);
      assert.ok(mixed.warnings?.some((w) => w.includes('only invisible characters') && w.includes(hex(char))), JSON.stringify(mixed.warnings));
    }
    assert.ok(!hasVisibleChars(' \u200b\u3164\u2800\ufe0f '));
    assert.ok(hasVisibleChars('\u200ba'));
  });

  it('draws nothing rather than failing when such text reaches the renderer', async () => {
    const raster = flat(96, 64, [40, 80, 120]);
    for (const text of [...INVISIBLE, '\u2800', '\u200b\u200d']) {
      const out = await drawText(raster, text, { boxWidth: 0.9, boxHeight: 0.3, position: 'top' });
      assert.ok(out.data.equals(raster.data), JSON.stringify(text));
    }
  });

  it('makes a placeholder card, not an error, from a prompt of invisible characters', async () => {
    for (const prompt of ['\u200b', '"\u200b\u200d" \u2060']) {
      const result = await engine.start(makeCall({ kind: 'generate', model: 'qwen-image', family: 'qwen-image', prompt }));
      assert.equal(result.status, 'done');
    }
  });
});

describe('lone surrogates', () => {
  it('are named by code point, never joined into a character the text does not have', () => {
    const plan = parseInstruction('add the text "\uD800abc\uDFFF"', { imageCount: 1 });
    const message = explainNothingDoable(plan);
    assert.match(message, /U\+D800 U\+DFFF/);
    assert.ok(!message.includes('\u{103FF}'), message);
    assert.equal(nameChars(['\uDFFF', '\uD800']), 'U+DFFF U+D800');
    assert.equal(nameChars(['𓀀', '𓁐']), '𓀀𓁐');
  });

  it('are named the same way in the placeholder card warning', async () => {
    const result = await engine.start(makeCall({ kind: 'generate', model: 'qwen-image', family: 'qwen-image', prompt: 'a sign saying "\uD800x\uDFFF"' }));
    assert.equal(result.status, 'done');
    const warning = result.status === 'done' ? result.warnings?.find((w) => w.includes('no shipped font')) : undefined;
    assert.match(warning ?? '', /U\+D800 U\+DFFF/);
    assert.ok(!warning?.includes('\u{103FF}'));
  });
});

describe('long text', () => {
  it('warns that only the first characters are drawn, cutting between code points', () => {
    const text = `${'word '.repeat(39)}abcd😀${'z'.repeat(30)}`;
    assert.equal([...text].length, 230);
    const plan = parseInstruction(`add the text "${text}" and make it black and white`, { imageCount: 1 });
    const warnings = planWarnings(plan);
    assert.ok(warnings.some((w) => w.startsWith(`text: only the first ${MAX_TEXT_CHARS} characters of "word word`)), JSON.stringify(warnings));
    assert.ok(warnings.every((w) => w.length <= 300));
    const drawn = drawnText(text);
    assert.equal(drawn.cut, true);
    assert.ok(drawn.text.endsWith('abcd😀'), drawn.text.slice(-4));
    assert.deepEqual(drawnText('short'), { text: 'short', cut: false });
    assert.deepEqual(planWarnings(parseInstruction('add the text "short"', { imageCount: 1 })), []);
  });
});

describe('the refusal message', () => {
  it('ends a shortened reason at a word, not mid-word', () => {
    const message = explainNothingDoable(parseInstruction('replace the background', { imageCount: 1 }));
    assert.ok(message.length <= 300, message);
    assert.match(message, /"replace the background": a new background needs a second input image[^.]*\. What it can do/);
    assert.doesNotMatch(message, /\p{L}…/u);
  });

  it('clips at a word boundary and never inside a surrogate pair', () => {
    assert.equal(clipAtWord('short text', 20), 'short text');
    assert.equal(clipAtWord('the local engine can remove the background', 25), 'the local engine can…');
    assert.equal(clipAtWord('abcdefghij😀', 11), 'abcdefghij…');
    assert.equal(clipAtWord('a, b; then', 6), 'a, b…');
  });
});

describe('the transparency warning', () => {
  it('is given only when the result is transparent', async () => {
    const opaque = await run(makeCall({ images: [image], prompt: 'remove the background, then put it on a blue background' }));
    assert.equal(opaque.images[0]!.channels, 3);
    assert.ok(!opaque.warnings?.some((w) => /transparent/.test(w)), JSON.stringify(opaque.warnings));
  });
});
