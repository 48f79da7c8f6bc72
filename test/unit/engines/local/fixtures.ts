/** Generated pictures, measurements and engine calls shared by the local engine's tests (nothing is downloaded). */
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { AppError } from '../../../../src/domain/errors.js';
import type { EngineCall, EngineDone, EngineImage, EngineInput } from '../../../../src/engines/engine.js';
import { createLocalEngine } from '../../../../src/engines/local/index.js';
import { mulberry32 } from '../../../../src/engines/local/raster/prng.js';
import type { Raster } from '../../../../src/engines/local/raster/raster.js';

export type Rgb = [number, number, number];

export function makeRaster(width: number, height: number, paint: (x: number, y: number) => Rgb): Raster {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [r, g, b] = paint(x, y);
      const i = (y * width + x) * 3;
      data[i] = r;
      data[i + 1] = g;
      data[i + 2] = b;
    }
  }
  return { data, width, height, channels: 3 };
}

export const clamp = (v: number): number => Math.max(0, Math.min(255, Math.round(v)));

/** A colourful "photo": gradients, a disc, a bar and seeded noise. */
export function scene(width = 256, height = 192, seed = 1): Raster {
  const rng = mulberry32(seed);
  return makeRaster(width, height, (x, y) => {
    const n = (rng() - 0.5) * 24;
    const inDisc = (x - width * 0.4) ** 2 + (y - height * 0.5) ** 2 < (height * 0.25) ** 2;
    if (inDisc) return [clamp(40 + n), clamp(60 + n), clamp(160 + n)];
    if (x > width * 0.7 && x < width * 0.85) return [clamp(220 + n), clamp(200 + n), clamp(60 + n)];
    return [clamp((x / width) * 200 + 30 + n), clamp((y / height) * 150 + 60 + n), clamp(120 + n)];
  });
}

export function pixel(raster: Raster, x: number, y: number): number[] {
  const i = (y * raster.width + x) * raster.channels;
  return [...raster.data.subarray(i, i + raster.channels)];
}

export const lumaOf = (v: readonly number[]): number => 0.299 * v[0]! + 0.587 * v[1]! + 0.114 * v[2]!;

/** Mean and standard deviation per colour channel, optionally over a rectangle. */
export function channelStats(raster: Raster, rect = { left: 0, top: 0, width: raster.width, height: raster.height }): { mean: Rgb; std: Rgb } {
  const sum: Rgb = [0, 0, 0];
  const sq: Rgb = [0, 0, 0];
  for (let y = rect.top; y < rect.top + rect.height; y++) {
    for (let x = rect.left; x < rect.left + rect.width; x++) {
      for (let c = 0; c < 3; c++) {
        const v = raster.data[(y * raster.width + x) * raster.channels + c]!;
        sum[c] = sum[c]! + v;
        sq[c] = sq[c]! + v * v;
      }
    }
  }
  const pixels = rect.width * rect.height;
  const mean = sum.map((s) => s / pixels) as Rgb;
  const std = mean.map((m, c) => Math.sqrt(Math.max(0, sq[c]! / pixels - m * m))) as Rgb;
  return { mean, std };
}

export function meanLuma(raster: Raster, rect?: { left: number; top: number; width: number; height: number }): number {
  return lumaOf(channelStats(raster, rect).mean);
}

/** Mean absolute difference between horizontal and vertical neighbours: high-frequency energy. */
export function neighbourEnergy(raster: Raster): number {
  const { data, width, height, channels } = raster;
  let total = 0;
  let count = 0;
  for (let y = 0; y < height - 1; y++) {
    for (let x = 0; x < width - 1; x++) {
      const i = (y * width + x) * channels;
      for (let c = 0; c < 3; c++) {
        total += Math.abs(data[i + c]! - data[i + channels + c]!) + Math.abs(data[i + c]! - data[i + width * channels + c]!);
        count += 2;
      }
    }
  }
  return total / count;
}

export function distinctColours(raster: Raster): number {
  const seen = new Set<number>();
  for (let i = 0; i < raster.data.length; i += raster.channels) seen.add((raster.data[i]! << 16) | (raster.data[i + 1]! << 8) | raster.data[i + 2]!);
  return seen.size;
}

/** A grey image with a red block in the top-left corner. */
export function markedCorner(width = 120, height = 80): Raster {
  return makeRaster(width, height, (x, y) => (x < 10 && y < 10 ? [255, 0, 0] : [128, 128, 128]));
}

export function isRed(values: readonly number[]): boolean {
  return values[0]! > 180 && values[1]! < 80 && values[2]! < 80;
}

/** A flat colour. */
export function flat(width: number, height: number, colour: Rgb): Raster {
  return makeRaster(width, height, () => colour);
}

export type RawImage = Extract<EngineImage, { kind: 'raw' }>;

export const engine = createLocalEngine();

/** A colourful picture with a red marker in the top-left corner, encoded as `format`. */
export async function picture(width: number, height: number, format: 'png' | 'jpeg' = 'png'): Promise<Buffer> {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const marker = x < width / 8 && y < height / 8;
      data[i] = marker ? 255 : (x * 200) / width + 30;
      data[i + 1] = marker ? 0 : (y * 180) / height + 40;
      data[i + 2] = marker ? 0 : ((x ^ y) & 63) + 100;
    }
  }
  const image = sharp(data, { raw: { width, height, channels: 3 } });
  return format === 'png' ? image.png().toBuffer() : image.jpeg({ quality: 92 }).toBuffer();
}

/** A flat colour, encoded as PNG. */
export function flatPng(width: number, height: number, colour: string): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: colour } }).png().toBuffer();
}

function input(bytes: Buffer, index: number): EngineInput {
  return {
    index,
    contentType: 'image/png',
    width: 0,
    height: 0,
    bytes: bytes.length,
    read: async () => bytes,
    signedUrl: () => `http://localhost/inputs/${index}`,
  };
}

export function makeCall(overrides: Partial<EngineCall> & { images?: Buffer[] } = {}): EngineCall & { lines: string[] } {
  const lines: string[] = [];
  const { images = [], ...rest } = overrides;
  return {
    taskId: 'task-1',
    requestId: 'req-1',
    model: 'qwen-image-edit-plus',
    family: 'qwen-image-edit-plus',
    kind: 'edit',
    prompt: 'make it black and white',
    negativePrompt: null,
    n: 1,
    size: { width: 256, height: 192 },
    sizeSource: 'request',
    seed: 1234,
    promptExtend: false,
    watermark: false,
    inputs: images.map(input),
    signal: new AbortController().signal,
    log: (line) => lines.push(line),
    lines,
    ...rest,
  };
}

export type RawDone = Omit<EngineDone, 'images'> & { images: RawImage[] };

export async function run(call: EngineCall): Promise<RawDone> {
  const result = await engine.start(call);
  assert.equal(result.status, 'done');
  const done = result as EngineDone;
  for (const image of done.images) assert.equal(image.kind, 'raw');
  return { ...done, images: done.images as RawImage[] };
}

export function at(image: RawImage, x: number, y: number): number[] {
  const i = (y * image.width + x) * image.channels;
  return [...image.data.subarray(i, i + image.channels)];
}

/** An engine image as a raster, to measure it with the helpers above. */
export function asRaster(image: RawImage): Raster {
  return { data: image.data, width: image.width, height: image.height, channels: image.channels };
}

export async function rejects(call: EngineCall, kind: string, pattern: RegExp): Promise<void> {
  await assert.rejects(engine.start(call), (error: unknown) => {
    assert.ok(error instanceof AppError);
    assert.equal(error.kind, kind);
    assert.match(error.message, pattern);
    return true;
  });
}
