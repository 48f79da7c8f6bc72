/**
 * Per-operation timings of the local engine at 1024×1024 (median of several runs after a warm-up).
 * Run: node --import tsx bench/local-ops.ts
 */
import { cartoon } from '../src/engines/local/ops-cartoon.js';
import { blur, sharpen } from '../src/engines/local/ops-filter.js';
import { flip, rotate } from '../src/engines/local/ops-geometry.js';
import { colourTransfer, labStats } from '../src/engines/local/ops-style.js';
import { brightness, grayscale, invert, linearTone, saturation, sepia } from '../src/engines/local/ops-tone.js';
import sharp from 'sharp';
import type { EngineCall } from '../src/engines/engine.js';
import { renderPlaceholder } from '../src/engines/local/generate.js';
import { createLocalEngine } from '../src/engines/local/index.js';
import { parseInstruction } from '../src/engines/local/instructions.js';
import { mulberry32 } from '../src/engines/local/prng.js';
import type { Raster } from '../src/engines/local/raster.js';
import { drawText } from '../src/engines/local/text.js';

const SIZE = 1024;
const RUNS = 7;

function photoLike(size: number): Raster {
  const rng = mulberry32(3);
  const data = Buffer.alloc(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = (y * size + x) * 3;
      const n = (rng() - 0.5) * 20;
      const disc = (x - size * 0.4) ** 2 + (y - size * 0.5) ** 2 < (size * 0.2) ** 2;
      data[i] = Math.max(0, Math.min(255, (disc ? 210 : (x / size) * 180 + 40) + n));
      data[i + 1] = Math.max(0, Math.min(255, (disc ? 150 : (y / size) * 140 + 60) + n));
      data[i + 2] = Math.max(0, Math.min(255, (disc ? 60 : 150) + n));
    }
  }
  return { data, width: size, height: size, channels: 3 };
}

async function time(run: () => unknown): Promise<number> {
  await run();
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    await run();
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)]!;
}

const image = photoLike(SIZE);
const reference = await labStats(photoLike(256));
const png = await sharp(image.data, { raw: { width: SIZE, height: SIZE, channels: 3 } }).png().toBuffer();
const engine = createLocalEngine();
const call = (prompt: string, n: number): EngineCall => ({
  taskId: 'bench',
  model: 'qwen-image-edit-plus',
  family: 'qwen-image-edit-plus',
  kind: 'edit',
  prompt,
  negativePrompt: null,
  n,
  size: { width: SIZE, height: SIZE },
  sizeSource: 'default',
  seed: 1,
  promptExtend: false,
  watermark: false,
  inputs: [{ index: 0, contentType: 'image/png', width: SIZE, height: SIZE, bytes: png.length, read: async () => png, signedUrl: () => '' }],
  signal: new AbortController().signal,
  log: () => {},
});

const cases: Array<[string, () => unknown]> = [
  ['black and white', () => grayscale(image)],
  ['sepia', () => sepia(image, { green: 0.84, blue: 0.64 })],
  ['invert', () => invert(image)],
  ['brighter (gamma LUT)', () => brightness(image, 0.75)],
  ['contrast (LUT)', () => linearTone(image, { contrast: 1.3, offset: 0 })],
  ['saturation', () => saturation(image, 1.4)],
  ['blur sigma 3', () => blur(image, 3)],
  ['blur sigma 9', () => blur(image, 9)],
  ['sharpen', () => sharpen(image, { sigma: 1.3, amount: 1 })],
  ['rotate 90', () => rotate(image, 90)],
  ['flip', () => flip(image, 'horizontal')],
  ['anime/cartoon', () => cartoon(image, { levels: 7, edgeThreshold: 80, smoothSigma: 3, edgeSigma: 1.2 })],
  ['colour transfer', () => colourTransfer(image, reference, 0.9)],
  ['add text', () => drawText(image, 'Summer Sale', { boxWidth: 0.86, boxHeight: 0.16, centreY: 0.86 })],
  ['placeholder 1024²', () => renderPlaceholder('a red poster titled "Summer Sale"', { width: SIZE, height: SIZE }, 1)],
  ['placeholder 2048²', () => renderPlaceholder('a red poster titled "Summer Sale"', { width: 2048, height: 2048 }, 1)],
  ['engine: PNG → B&W + rotate', () => engine.start(call('把图片变成黑白并顺时针旋转90度', 1))],
  ['engine: PNG → anime ×6', () => engine.start(call('anime style', 6))],
  ['parse instruction', () => parseInstruction('把图片变成黑白并顺时针旋转90度,保持原有构图和色调', { imageCount: 1 })],
];

console.log(`local engine operations at ${SIZE}×${SIZE} (median of ${RUNS})`);
console.log('operation'.padEnd(30), 'ms');
for (const [name, run] of cases) console.log(name.padEnd(30), (await time(run)).toFixed(1));
