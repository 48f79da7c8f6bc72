/**
 * Costs of the image pipeline on 1024×1024 photo-like pixels:
 *   node --import tsx bench/images.ts
 */
import sharp from 'sharp';
import { encodeImage } from '../src/images/encode.js';
import type { EncodeSource } from '../src/images/encode.js';
import { intakeImage } from '../src/images/intake.js';
import { photoPixels } from './lib/photo.js';

const SIDE = 1024;

async function measure(label: string, runs: number, task: () => Promise<number>): Promise<void> {
  await task();
  let bytes = 0;
  const started = performance.now();
  for (let i = 0; i < runs; i++) bytes = await task();
  const ms = (performance.now() - started) / runs;
  console.log(`${label.padEnd(44)} ${ms.toFixed(1).padStart(7)} ms ${(bytes / 1024).toFixed(0).padStart(7)} KB`);
}

const runs = Number(process.env.BENCH_RUNS ?? 10);
console.log(`sharp ${sharp.versions.sharp}, libvips ${sharp.versions.vips}, concurrency ${sharp.concurrency()}, ${runs} runs`);
for (const grain of [0, 8]) {
  const pixels = photoPixels(SIDE, SIDE, grain);
  const source: EncodeSource = { kind: 'raw', data: pixels, width: SIDE, height: SIDE, channels: 3 };
  const raw = { raw: { width: SIDE, height: SIDE, channels: 3 as const } };
  const png = await sharp(pixels, raw).png().toBuffer();
  const jpeg = await sharp(pixels, raw).jpeg({ quality: 90 }).toBuffer();
  console.log(`\ngrain ±${grain / 2}`);
  await measure('intake PNG (kept as is)', runs, async () => (await intakeImage(png, { field: 'image' })).data.length);
  await measure('intake JPEG (kept as is)', runs, async () => (await intakeImage(jpeg, { field: 'image' })).data.length);
  for (const format of ['png', 'jpeg', 'webp'] as const) {
    for (const watermark of [false, true]) {
      await measure(`encode ${format}${watermark ? ' + watermark' : ''}`, runs, async () => {
        return (await encodeImage(source, { format, watermark })).data.length;
      });
    }
  }
  for (const compressionLevel of [1, 3, 6]) {
    for (const adaptiveFiltering of [false, true]) {
      await measure(`  sharp png level ${compressionLevel} adaptiveFiltering ${adaptiveFiltering}`, runs, async () => {
        return (await sharp(pixels, raw).png({ compressionLevel, adaptiveFiltering }).toBuffer()).length;
      });
    }
  }
}
