/** Chinese, Japanese and Korean text: which font draws each character, where it lands, how it wraps. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { drawText } from '../../../../../src/engines/local/ops/text.js';
import { missingGlyphs } from '../../../../../src/engines/local/raster/font.js';
import { familyOrder, fit, rightToLeft, shape, visualOrder } from '../../../../../src/engines/local/raster/font-layout.js';
import { renderCoverage } from '../../../../../src/engines/local/raster/font-render.js';
import { flatPng, makeCall, makeRaster, run } from '../fixtures.js';

/** The face of every drawn (non-space) glyph, with its character. */
async function facesOf(text: string): Promise<Array<[string, string]>> {
  const atoms = await shape(text);
  return atoms
    .filter((atom) => atom.kind === 'text')
    .flatMap((atom) => atom.glyphs.map((g): [string, string] => [String.fromCodePoint(...g.glyph.codePoints), g.face]));
}

/** Pixels of a raw RGB image within a rectangle that are near white. */
function whiteIn(data: Buffer, width: number, rect: { left: number; top: number; right: number; bottom: number }): number {
  let count = 0;
  for (let y = rect.top; y < rect.bottom; y++) {
    for (let x = rect.left; x < rect.right; x++) {
      const i = (y * width + x) * 3;
      if (data[i]! > 230 && data[i + 1]! > 230 && data[i + 2]! > 230) count++;
    }
  }
  return count;
}

/** Runs of rows with any coverage: the lines of set text. */
function inkBands(alpha: Buffer, width: number, height: number): number {
  let bands = 0;
  let inside = false;
  for (let y = 0; y < height; y++) {
    const row = alpha.subarray(y * width, (y + 1) * width);
    const inked = row.some((a) => a > 64);
    if (inked && !inside) bands++;
    inside = inked;
  }
  return bands;
}

describe('local ops: CJK text', () => {
  it('takes Latin from DejaVu Sans and each script from its Noto font, with real glyphs', async () => {
    const mixed = await facesOf('你好 Qwen');
    assert.deepEqual(mixed.map(([char, face]) => [char, face.split(':')[0]]), [['你', 'sc'], ['好', 'sc'], ['Q', 'dejavu'], ['w', 'dejavu'], ['e', 'dejavu'], ['n', 'dejavu']]);
    for (const [text, family] of [['こんにちは', 'jp'], ['안녕하세요', 'kr'], ['東京タワー', 'jp'], ['한국 漢字', 'kr']] as const) {
      const atoms = await shape(text);
      const glyphs = atoms.flatMap((atom) => (atom.kind === 'text' ? atom.glyphs : []));
      assert.ok(glyphs.length >= 2, text);
      for (const g of glyphs) {
        assert.notEqual(g.glyph.id, 0, `${text}: ${String.fromCodePoint(...g.glyph.codePoints)} is no box`);
        assert.equal(g.face.split(':')[0], family, `${text}: ${String.fromCodePoint(...g.glyph.codePoints)}`);
        assert.ok(g.glyph.path.commands.length > 4, 'the glyph has an outline');
      }
    }
    assert.deepEqual(familyOrder('漢字'), ['sc', 'tc', 'jp', 'kr']);
  });

  it('reports only the characters no shipped font has', () => {
    assert.deepEqual(missingGlyphs('你好 Qwen こんにちは 안녕하세요 Привет'), []);
    assert.deepEqual(missingGlyphs('你好𓀀 Qwen 𓁐𓀀'), ['𓀀', '𓁐']);
  });

  it('draws "你好 Qwen" in the top-left corner of an edited picture (在左上角添加文字), the same bytes for the same seed', async () => {
    const grey = await flatPng(400, 300, '#4a5a6a');
    const call = (): ReturnType<typeof makeCall> => makeCall({ prompt: '在左上角添加文字“你好 Qwen”', images: [grey], size: { width: 400, height: 300 }, seed: 7 });
    const result = await run(call());
    const [image] = result.images;
    assert.deepEqual(result.warnings ?? [], []);
    const topLeft = whiteIn(image!.data, 400, { left: 0, top: 0, right: 200, bottom: 100 });
    const elsewhere = whiteIn(image!.data, 400, { left: 0, top: 150, right: 400, bottom: 300 }) + whiteIn(image!.data, 400, { left: 250, top: 0, right: 400, bottom: 150 });
    assert.ok(topLeft > 200, `white glyph pixels in the top-left: ${topLeft}`);
    assert.equal(elsewhere, 0);
    const again = await run(call());
    assert.ok(again.images[0]!.data.equals(image!.data));
  });

  it('draws Japanese and Korean text, and mixed scripts on one line', async () => {
    const grey = makeRaster(360, 120, () => [60, 60, 60]);
    for (const text of ['こんにちは', '안녕하세요', '你好 Qwen', 'Qwen 你好 こんにちは 안녕']) {
      const out = await drawText(grey, text, { boxWidth: 0.9, boxHeight: 0.5, position: 'centre' });
      const white = whiteIn(out.data, 360, { left: 0, top: 0, right: 360, bottom: 120 });
      assert.ok(white > 400, `${text}: ${white} white pixels`);
      const coverage = await renderCoverage(text, 324, 60, 'centre');
      assert.equal(inkBands(coverage.alpha, coverage.width, coverage.height), 1, `${text} stays on one line`);
    }
  });

  it('wraps a long Chinese line inside its box, with no line starting with closing punctuation', async () => {
    const text = '这是一段很长的中文句子，用来测试在没有空格的情况下文字是否能够在框内正确地自动换行。引号“也要”处理好。';
    const { lines, size } = fit(await shape(text), 240, 200);
    assert.ok(lines.length >= 3, `${lines.length} lines`);
    for (const line of lines) {
      assert.ok(line.width * size <= 240 + 1e-6);
      assert.doesNotMatch(String.fromCodePoint(...line.glyphs[0]!.glyph.codePoints), /[，。”]/u);
    }
    const coverage = await renderCoverage(text, 240, 200, 'left');
    assert.ok(coverage.width <= 240 && coverage.height <= 200);
    assert.equal(inkBands(coverage.alpha, coverage.width, coverage.height), lines.length);
  });

  it('draws right-to-left runs beside CJK in visual order, with a simplified bidi', async () => {
    const drawn = async (text: string): Promise<string> => {
      const { lines } = fit(await shape(text), 2000, 100);
      assert.equal(lines.length, 1);
      return visualOrder(lines[0]!.glyphs, rightToLeft(text)).map((g) => String.fromCodePoint(...g.glyph.codePoints)).join('');
    };
    assert.equal(await drawn('Hi שלום 你好'), 'Hi םולש 你好');
    assert.equal(await drawn('שלום 你好'), '你好 םולש');
    assert.equal(await drawn('你好 Qwen'), '你好 Qwen');
  });
});
