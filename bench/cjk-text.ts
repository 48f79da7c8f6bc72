/**
 * (i) Chinese, Japanese and Korean text on a 1024×1024 picture, and the text-to-image placeholder
 * card. Fonts load once per process, so the measurements run in a fresh child process: "cold" is
 * the first draw of a script (its font slices decoded), "warm" the median of the next BENCH_RUNS
 * draws of the same text, and the resident memory is read after a full GC, against a baseline taken
 * after a Latin text had been drawn (Pango and DejaVu already loaded). libvips' operation cache is
 * off in the child (sharp keeps up to 50 MB by default), so the memory column is what the fonts,
 * the WOFF2 decoder and the layout keep.
 * Run alone: node --import tsx bench/cjk-text.ts
 */
import { execFile } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { renderPlaceholder } from '../src/engines/local/generate.js';
import type { TextPlacement } from '../src/engines/local/ops/text.js';
import { drawText } from '../src/engines/local/ops/text.js';
import type { Raster } from '../src/engines/local/raster/raster.js';
import { photoPixels } from './lib/photo.js';
import { median, table } from './lib/report.js';

const SIZE = 1024;
const RUNS = Number(process.env.BENCH_RUNS ?? 5);

interface Row {
  name: string;
  /** Null where there is no cold draw to time. */
  cold: number | null;
  warm: number;
  /** Resident memory above the baseline after this case, MB. */
  rssMb: number;
}

const CASES: Array<[string, string, TextPlacement]> = [
  ['你好 Qwen, top left', '你好 Qwen', { boxWidth: 0.45, boxHeight: 0.1, position: 'top-left' }],
  ['60 Chinese characters, wrapped', '这是一段很长的中文句子，用来测试在没有空格的情况下文字是否能够在框内正确地自动换行，并且标点符号不会出现在行首。', { boxWidth: 0.8, boxHeight: 0.3, position: 'bottom' }],
  ['こんにちは世界 (Japanese)', 'こんにちは世界', { boxWidth: 0.6, boxHeight: 0.12, position: 'centre' }],
  ['안녕하세요 여러분 (Korean)', '안녕하세요 여러분', { boxWidth: 0.6, boxHeight: 0.12, position: 'top' }],
];

function rssMb(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().rss / 1e6;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

async function measure(): Promise<Row[]> {
  sharp.cache(false);
  const picture: Raster = { data: photoPixels(SIZE, SIZE, 8, 12345), width: SIZE, height: SIZE, channels: 3 };
  const latin = (): Promise<Raster> => drawText(picture, 'Summer Sale', { boxWidth: 0.86, boxHeight: 0.14, position: 'bottom' });
  await latin();
  const baseline = rssMb();
  const rows: Row[] = [];
  const warmLatin: number[] = [];
  for (let i = 0; i < RUNS; i++) warmLatin.push(await timed(latin));
  rows.push({ name: 'Summer Sale (Latin, Pango; for comparison)', cold: null, warm: median(warmLatin), rssMb: rssMb() - baseline });
  const add = async (name: string, fn: () => Promise<unknown>): Promise<void> => {
    const cold = await timed(fn);
    const warm: number[] = [];
    for (let i = 0; i < RUNS; i++) warm.push(await timed(fn));
    rows.push({ name, cold, warm: median(warm), rssMb: rssMb() - baseline });
  };
  for (const [name, text, placement] of CASES) await add(name, () => drawText(picture, text, placement));
  await add(`placeholder card ${SIZE}×${SIZE}, Chinese prompt`, () => renderPlaceholder('一张蓝色海报，标题为“新年快乐”，背景有烟花和灯笼，喜庆的氛围', { width: SIZE, height: SIZE }, 1));
  await add(`placeholder card ${SIZE}×${SIZE}, English prompt`, () => renderPlaceholder('a poster with the title “Summer Sale” on a red and orange background', { width: SIZE, height: SIZE }, 2));
  return rows;
}

export async function benchCjkText(): Promise<void> {
  const script = fileURLToPath(import.meta.url);
  const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', '--import', 'tsx', script, '--measure'], { maxBuffer: 1 << 20 });
  const rows = JSON.parse(stdout) as Row[];
  table(
    `(i) text on a ${SIZE}×${SIZE} picture in a fresh process: first draw (cold, fonts decoded) and median of ${RUNS} more (warm), ms; resident memory added over a process that has drawn Latin text, MB`,
    ['text', 'cold', 'warm', 'RSS added (cumulative)'],
    rows.map((row) => [row.name, row.cold ?? '—', row.warm, row.rssMb]),
  );
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (process.argv.includes('--measure')) process.stdout.write(JSON.stringify(await measure()));
  else await benchCjkText();
}
