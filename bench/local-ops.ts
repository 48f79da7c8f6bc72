/**
 * (f) The local engine's operations on a 1024×1024 photo-like picture, next to ImageMagick doing
 * the nearest equivalent in the same run. ImageMagick runs as a process on PNG files, so its time
 * includes the spawn and the PNG decode and encode; to compare like with like the table gives ours
 * with a PNG decode and encode too, and ImageMagick's operation alone, estimated as the same
 * command writing raw RGB minus its no-op writing raw RGB (spawn + PNG decode + raw write).
 * Run alone: node --import tsx bench/local-ops.ts (BENCH_RUNS=5 by default). ImageMagick comes from
 * `apt-get install -y imagemagick`; without it the ImageMagick columns say so.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import sharp from 'sharp';
import type { EngineCall } from '../src/engines/engine.js';
import { frameCollage } from '../src/engines/local/framing.js';
import { FONT_FILE } from '../src/engines/local/raster/font.js';
import { createLocalEngine } from '../src/engines/local/index.js';
import { parseInstruction } from '../src/engines/local/instructions/instructions.js';
import { oilPainting, pencilSketch, watercolour } from '../src/engines/local/ops/art.js';
import { cartoon } from '../src/engines/local/ops/cartoon.js';
import { assemble, blend, place } from '../src/engines/local/ops/compose.js';
import { border, pixelate, vignette } from '../src/engines/local/ops/effects.js';
import { blur, sharpen, upscale } from '../src/engines/local/ops/filter.js';
import { flip, rotate } from '../src/engines/local/ops/geometry.js';
import { colourTransfer, labStats } from '../src/engines/local/ops/style.js';
import { brightness, grayscale, invert, linearTone, posterise, saturation, sepia, temperature } from '../src/engines/local/ops/tone.js';
import type { Raster } from '../src/engines/local/raster/raster.js';
import { centredRegion, viaSharp } from '../src/engines/local/raster/raster.js';
import { drawText } from '../src/engines/local/ops/text.js';
import { photoPixels } from './lib/photo.js';
import { median, table } from './lib/report.js';

const SIZE = 1024;
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const run = promisify(execFile);

interface Case {
  name: string;
  /** How many input pictures the operation takes. */
  inputs: 1 | 2 | 3;
  op(images: Raster[]): Raster | Promise<Raster>;
  /** ImageMagick's arguments between the inputs and the output (A, B, C stand for the input files). */
  magick?: string[];
}

const at = (images: Raster[], k: number): Raster => images[k] as Raster;
const cropTo = (r: Raster, w: number, h: number): Promise<Raster> => viaSharp(r, (i) => i.extract(centredRegion(r, [{ width: w, height: h }])).resize(w, h, { fit: 'fill' }));

function cases(reference: Awaited<ReturnType<typeof labStats>>): Case[] {
  const cells = frameCollage({ size: { width: SIZE, height: SIZE }, sizeSource: 'request' }, [], 'grid', [0, 1, 2], []).cells;
  return [
    { name: 'black and white', inputs: 1, op: ([a]) => grayscale(a!), magick: ['-colorspace', 'Gray'] },
    { name: 'sepia', inputs: 1, op: ([a]) => sepia(a!, { green: 0.84, blue: 0.64 }), magick: ['-sepia-tone', '80%'] },
    { name: 'invert', inputs: 1, op: ([a]) => invert(a!), magick: ['-negate'] },
    { name: 'brighter (gamma)', inputs: 1, op: ([a]) => brightness(a!, 0.75), magick: ['-gamma', '1.33'] },
    { name: 'more contrast', inputs: 1, op: ([a]) => linearTone(a!, { contrast: 1.3, offset: 0 }), magick: ['-brightness-contrast', '0x25'] },
    { name: 'more saturated', inputs: 1, op: ([a]) => saturation(a!, 1.4), magick: ['-modulate', '100,140,100'] },
    { name: 'warm tone', inputs: 1, op: ([a]) => temperature(a!, 0.15), magick: ['-channel', 'R', '-evaluate', 'multiply', '1.1', '-channel', 'B', '-evaluate', 'multiply', '0.9', '+channel'] },
    { name: 'cool tone', inputs: 1, op: ([a]) => temperature(a!, -0.15), magick: ['-channel', 'B', '-evaluate', 'multiply', '1.1', '-channel', 'R', '-evaluate', 'multiply', '0.9', '+channel'] },
    { name: 'blur σ 3', inputs: 1, op: ([a]) => blur(a!, 3), magick: ['-blur', '0x3'] },
    { name: 'sharpen', inputs: 1, op: ([a]) => sharpen(a!, { sigma: 1.3, amount: 1 }), magick: ['-unsharp', '0x1.3+1+0'] },
    { name: 'rotate 90°', inputs: 1, op: ([a]) => rotate(a!, 90), magick: ['-rotate', '90'] },
    { name: 'flip', inputs: 1, op: ([a]) => flip(a!, 'horizontal'), magick: ['-flop'] },
    { name: 'crop to 16:9 (1360×768)', inputs: 1, op: ([a]) => cropTo(a!, 1360, 768), magick: ['-gravity', 'center', '-crop', '1024x576+0+0', '+repage', '-resize', '1360x768!'] },
    { name: 'upscale 2× + detail (→ 2048²)', inputs: 1, op: ([a]) => upscale(a!, { width: 2048, height: 2048 }, { sigma: 1, amount: 0.7 }), magick: ['-unsharp', '0x1+0.7+0', '-filter', 'Lanczos', '-resize', '200%'] },
    { name: 'pixelate (mosaic)', inputs: 1, op: ([a]) => pixelate(a!, 20), magick: ['-scale', '5%', '-scale', '1024x1024!'] },
    { name: 'posterise', inputs: 1, op: ([a]) => posterise(a!, 4), magick: ['-posterize', '4'] },
    { name: 'oil painting', inputs: 1, op: ([a]) => oilPainting(a!, { radius: 5, saturation: 1.2 }), magick: ['-paint', '5'] },
    { name: 'pencil sketch', inputs: 1, op: ([a]) => pencilSketch(a!, { strokeSigma: 8, darkness: 2.2, paper: 2 }), magick: ['-colorspace', 'Gray', '(', '+clone', '-negate', '-blur', '0x8', ')', '-compose', 'ColorDodge', '-composite'] },
    { name: 'watercolour', inputs: 1, op: ([a]) => watercolour(a!, { washSigma: 4, edgeThreshold: 35, lightness: 0.1, pooling: 0.2, grain: 6, grainSeed: 1 }), magick: ['-kuwahara', '3', '-modulate', '110,95'] },
    { name: 'anime/cartoon', inputs: 1, op: ([a]) => cartoon(a!, { colours: 9, smoothRadius: 4.5, edgeSigma: 1.5, edgeLow: 70, edgeHigh: 150, outline: 2, seed: 1 }), magick: ['-blur', '0x1.5', '-kuwahara', '4', '-colors', '9', '-statistic', 'mode', '3'] },
    { name: 'vignette', inputs: 1, op: ([a]) => vignette(a!, { strength: 0.45, inner: 0.4 }), magick: ['(', '-size', '1024x1024', 'radial-gradient:white-gray55', ')', '-compose', 'multiply', '-composite'] },
    { name: 'border', inputs: 1, op: ([a]) => border(a!, 32, [220, 30, 30]), magick: ['-resize', '960x960^', '-gravity', 'center', '-extent', '960x960', '-bordercolor', 'red', '-border', '32'] },
    { name: 'add text', inputs: 1, op: ([a]) => drawText(a!, 'Summer Sale', { boxWidth: 0.86, boxHeight: 0.14, position: 'bottom' }), magick: ['-gravity', 'south', '-fill', 'white', '-font', FONT_FILE, '-pointsize', '110', '-annotate', '+0+40', 'Summer Sale'] },
    { name: 'colour transfer (image 2)', inputs: 1, op: ([a]) => colourTransfer(a!, reference, 0.9) },
    { name: 'side by side (→ 2048×1024)', inputs: 2, op: (images) => assemble({ width: 2048, height: SIZE }, images.map((tile, k) => ({ tile, cell: { left: k * SIZE, top: 0, width: SIZE, height: SIZE } }))), magick: ['+append'] },
    {
      name: 'grid of 3 (→ 1024²)',
      inputs: 3,
      op: async (images) => assemble({ width: SIZE, height: SIZE }, await Promise.all(cells.map(async ({ image, cell }) => ({ tile: await cropTo(at(images, image), cell.width, cell.height), cell })))),
      magick: ['-resize', '512x512', '(', '-clone', '0,1', '+append', ')', '(', '-clone', '2', '-background', 'white', '-gravity', 'center', '-extent', '1024x512', ')', '-delete', '0-2', '-append'],
    },
    { name: 'place image 2 bottom-right', inputs: 2, op: ([a, b]) => place(a!, b!, { position: 'bottom-right', scale: 0.3, margin: 0.03 }), magick: ['(', '-clone', '1', '-resize', '307x307', ')', '-delete', '1', '-gravity', 'southeast', '-geometry', '+31+31', '-composite'] },
    { name: 'blend image 2 at 50%', inputs: 2, op: ([a, b]) => blend(a!, b!, 0.5), magick: ['-compose', 'blend', '-define', 'compose:args=50', '-composite'] },
  ];
}

async function time(fn: () => unknown): Promise<number> {
  await fn();
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    await fn();
    samples.push(performance.now() - start);
  }
  return median(samples);
}

/** The ImageMagick binary (`magick`, or IM 6's `convert` — not a stand-in), or undefined. */
async function findMagick(): Promise<string | undefined> {
  for (const candidate of ['magick', '/usr/bin/convert', 'convert']) {
    const version = await run(candidate, ['-version']).catch(() => undefined);
    if (version?.stdout.includes('ImageMagick')) return candidate;
  }
  return undefined;
}

const decode = async (png: Buffer): Promise<Raster> => {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: 3 };
};
const encode = (r: Raster): Promise<Buffer> => sharp(r.data, { raw: { width: r.width, height: r.height, channels: r.channels } }).png().toBuffer();

function engineCall(prompt: string, n: number, png: Buffer): EngineCall {
  return {
    taskId: 'bench', requestId: 'bench', model: 'qwen-image-edit-plus', family: 'qwen-image-edit-plus', kind: 'edit', prompt, negativePrompt: null,
    n, size: { width: SIZE, height: SIZE }, sizeSource: 'default', seed: 1, promptExtend: true, watermark: false,
    inputs: [{ index: 0, contentType: 'image/png', width: SIZE, height: SIZE, bytes: png.length, read: async () => png, signedUrl: () => '' }],
    signal: new AbortController().signal, log: () => {},
  };
}

export async function benchLocalOps(): Promise<void> {
  const pictures: Raster[] = [12345, 777, 4242].map((seed) => ({ data: photoPixels(SIZE, SIZE, 8, seed), width: SIZE, height: SIZE, channels: 3 }));
  const pngs = await Promise.all(pictures.map(encode));
  const reference = await labStats(pictures[1]!);
  const dir = mkdtempSync(join(tmpdir(), 'qig-bench-magick-'));
  const files = pngs.map((png, k) => {
    const path = join(dir, `${'ABC'[k]}.png`);
    writeFileSync(path, png);
    return path;
  });
  const magick = await findMagick();
  // PNG at zlib level 6 without filtering, like sharp's default; raw RGB to time the operation alone.
  const toPng = ['-quality', '60', join(dir, 'out.png')];
  const toRaw = ['-depth', '8', `rgb:${join(dir, 'out.rgb')}`];
  const convert = (inputs: number, args: readonly string[], output: readonly string[]) => () => run(magick!, [...files.slice(0, inputs), ...args, ...output]);
  try {
    const noopRaw = magick ? await time(convert(1, [], toRaw)) : NaN;
    const noopPng = magick ? await time(convert(1, [], toPng)) : NaN;
    const ourNoop = await time(async () => encode(await decode(pngs[0]!)));
    const rows: Array<Array<string | number>> = [['no-op (PNG decode + encode)', 0, ourNoop, magick ? noopPng : '—', '—', magick ? noopPng / ourNoop : '—', '—', '']];
    for (const c of cases(reference)) {
      const inputs = pictures.slice(0, c.inputs);
      const ours = await time(() => c.op(inputs));
      const withPng = await time(async () => encode(await c.op(await Promise.all(pngs.slice(0, c.inputs).map(decode)))));
      if (!magick || !c.magick) {
        rows.push([c.name, ours, withPng, '—', '—', '—', '—', c.magick ? 'ImageMagick not installed' : 'no equivalent']);
        continue;
      }
      const png = await time(convert(c.inputs, c.magick, toPng));
      const alone = Math.max(0, (await time(convert(c.inputs, c.magick, toRaw))) - noopRaw);
      rows.push([c.name, ours, withPng, png, alone, png / withPng, alone / ours, c.magick.join(' ')]);
    }
    table(
      `(f) local engine operations on a ${SIZE}×${SIZE} photo-like picture vs ImageMagick (${magick ?? 'not installed'}), median of ${RUNS} (ms)`,
      ['operation', 'ours', 'ours + PNG dec/enc', 'ImageMagick PNG→PNG', 'ImageMagick op alone (est.)', '× faster, with PNG', '× faster, op alone', 'ImageMagick arguments'],
      rows,
    );
    const engine = createLocalEngine();
    const endToEnd: Array<[string, () => unknown]> = [
      ['parse an instruction', () => parseInstruction('把图片变成黑白并顺时针旋转90度,保持原有构图和色调', { imageCount: 1 })],
      ['engine: PNG → B&W + rotate', () => engine.start(engineCall('把图片变成黑白并顺时针旋转90度', 1, pngs[0]!))],
      ['engine: PNG → oil painting + vignette', () => engine.start(engineCall('oil painting with a vignette', 1, pngs[0]!))],
      ['engine: PNG → upscale 2× (2048²)', () => engine.start(engineCall('放大并增强细节', 1, pngs[0]!))],
      ['engine: PNG → anime, n = 6 (3 made)', () => engine.start(engineCall('anime style', 6, pngs[0]!))],
    ];
    const engineRows: Array<[string, number]> = [];
    for (const [name, fn] of endToEnd) engineRows.push([name, await time(fn)]);
    table(`(f) local engine calls from a ${SIZE}×${SIZE} PNG to raw pixels, median of ${RUNS} (ms)`, ['call', 'ms'], engineRows);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await benchLocalOps();
