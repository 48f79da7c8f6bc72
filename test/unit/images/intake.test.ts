import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import type { Sharp } from 'sharp';
import { AppError } from '../../../src/domain/errors.js';
import { intakeImage, openImage, targetSize } from '../../../src/images/intake.js';
import type { IntakeOptions } from '../../../src/images/intake.js';

const FIELD = 'input.messages[0].content[1].image';
const options: IntakeOptions = { field: FIELD, label: 'image 2' };

/** A noisy image (so files have realistic sizes), in the given format. */
function noisy(width: number, height: number): Sharp {
  return sharp({
    create: { width, height, channels: 3, background: '#4080c0', noise: { type: 'gaussian', mean: 128, sigma: 40 } },
  });
}

function flat(width: number, height: number, background = '#4080c0'): Sharp {
  return sharp({ create: { width, height, channels: 3, background } });
}

async function rejects(bytes: Buffer, message: string | RegExp, extra: Partial<IntakeOptions> = {}): Promise<void> {
  await assert.rejects(intakeImage(bytes, { ...options, ...extra }), (error: unknown) => {
    assert.ok(error instanceof AppError, String(error));
    assert.equal(error.kind, 'invalid_image');
    assert.equal(error.status, 400);
    assert.equal(error.field, FIELD);
    if (typeof message === 'string') assert.equal(error.message, `${FIELD}: ${message}`);
    else assert.match(error.message, message);
    return true;
  });
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A valid 1-bit greyscale PNG of all-black pixels: ~50 KB that inflates to 400 million pixels. */
function pngBomb(side: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(side, 0);
  ihdr.writeUInt32BE(side, 4);
  ihdr[8] = 1; // bit depth
  ihdr[9] = 0; // greyscale
  const rows = deflateSync(Buffer.alloc(side * (1 + Math.ceil(side / 8))), { level: 9 });
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', rows),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

async function firstPixel(bytes: Buffer): Promise<number[]> {
  const { data } = await sharp(bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return [...data.subarray(0, 3)];
}

describe('intakeImage: accepted formats', () => {
  it('keeps in-range JPEG and PNG bytes untouched', async () => {
    for (const [format, contentType] of [
      ['jpeg', 'image/jpeg'],
      ['png', 'image/png'],
    ] as const) {
      const bytes = await noisy(640, 480).toFormat(format).toBuffer();
      const image = await intakeImage(bytes, options);
      assert.equal(image.data, bytes, `${format} is the same buffer`);
      assert.deepEqual(
        { contentType: image.contentType, format: image.format, size: [image.width, image.height, image.originalWidth, image.originalHeight] },
        { contentType, format, size: [640, 480, 640, 480] },
      );
      assert.deepEqual(image.notes, []);
    }
  });

  it('accepts WebP, TIFF and single-frame GIF as they are', async () => {
    for (const [format, contentType] of [
      ['webp', 'image/webp'],
      ['tiff', 'image/tiff'],
      ['gif', 'image/gif'],
    ] as const) {
      const bytes = await flat(500, 400, '#ff0000').toFormat(format).toBuffer();
      const image = await intakeImage(bytes, options);
      assert.equal(image.data, bytes);
      assert.equal(image.contentType, contentType);
      assert.deepEqual([image.width, image.height], [500, 400]);
    }
  });

  it('keeps only the first frame of an animated GIF, as PNG', async () => {
    const frames = await Promise.all(['#ff0000', '#00ff00', '#0000ff'].map((c) => flat(400, 400, c).png().toBuffer()));
    const gif = await sharp(frames, { join: { animated: true } }).gif().toBuffer();
    const image = await intakeImage(gif, options);
    assert.equal(image.contentType, 'image/png');
    assert.deepEqual([image.width, image.height], [400, 400]);
    assert.deepEqual(image.notes, ['image 2 is an animated GIF with 3 frames; only the first frame is used']);
    const meta = await sharp(image.data).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height, meta.pages ?? 1], ['png', 400, 400, 1]);
    assert.deepEqual(await firstPixel(image.data), [255, 0, 0]);
  });

  it('keeps only the first frame of an animated WebP', async () => {
    const frames = await Promise.all(['#00ff00', '#0000ff'].map((c) => flat(400, 400, c).png().toBuffer()));
    const webp = await sharp(frames, { join: { animated: true } }).webp({ lossless: true }).toBuffer();
    const image = await intakeImage(webp, options);
    assert.equal(image.contentType, 'image/png');
    assert.deepEqual(image.notes, ['image 2 is an animated WebP with 2 frames; only the first frame is used']);
    assert.deepEqual(await firstPixel(image.data), [0, 255, 0]);
  });

  it('reports the EXIF-oriented size of a JPEG kept as it is', async () => {
    const bytes = await noisy(600, 400).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const image = await intakeImage(bytes, options);
    assert.equal(image.data, bytes);
    assert.deepEqual([image.width, image.height, image.originalWidth, image.originalHeight], [400, 600, 400, 600]);
    const { info } = await openImage(image.data).raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([info.width, info.height], [400, 600]);
  });

  it('applies the EXIF orientation when it rescales', async () => {
    const bytes = await noisy(300, 200).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const image = await intakeImage(bytes, options);
    assert.equal(image.contentType, 'image/jpeg');
    assert.deepEqual([image.width, image.height, image.originalWidth, image.originalHeight], [384, 576, 200, 300]);
    const meta = await sharp(image.data).metadata();
    assert.deepEqual([meta.width, meta.height, meta.orientation], [384, 576, undefined]);
  });
});

describe('intakeImage: sizes', () => {
  it('scales small images up so the short side is 384', async () => {
    const image = await intakeImage(await flat(200, 150).png().toBuffer(), options);
    assert.deepEqual([image.width, image.height, image.originalWidth, image.originalHeight], [512, 384, 200, 150]);
    assert.equal(image.contentType, 'image/png');
    assert.deepEqual(image.notes, ['image 2 was 200×150; rescaled to 512×384 (sides must be 384–3072)']);
    const meta = await sharp(image.data).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['png', 512, 384]);
  });

  it('scales large images down so the long side is 3072, JPEG staying JPEG', async () => {
    const image = await intakeImage(await flat(4000, 1000).jpeg().toBuffer(), options);
    assert.deepEqual([image.width, image.height], [3072, 768]);
    assert.equal(image.contentType, 'image/jpeg');
    assert.deepEqual(image.notes, ['image 2 was 4000×1000; rescaled to 3072×768 (sides must be 384–3072)']);
    const meta = await sharp(image.data).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['jpeg', 3072, 768]);
  });

  it('computes targets that keep the aspect ratio', () => {
    assert.deepEqual(targetSize(4000, 3000, 384, 3072), { width: 3072, height: 2304 });
    assert.deepEqual(targetSize(4000, 500, 384, 3072), { width: 3072, height: 384 });
    assert.deepEqual(targetSize(100, 700, 384, 3072), { width: 384, height: 2688 });
    assert.equal(targetSize(384, 3072, 384, 3072), undefined);
  });

  it('refuses aspect ratios beyond 8:1', async () => {
    await rejects(
      await flat(4000, 400).png().toBuffer(),
      '4000×400 has an aspect ratio of 10:1; sides must be 384–3072 pixels, so the ratio can be at most 8:1',
    );
  });

  it('refuses a decompression bomb by its header, before decoding', async () => {
    const bomb = pngBomb(20_000);
    assert.ok(bomb.length < 100_000, `bomb is ${bomb.length} bytes`);
    const started = performance.now();
    await rejects(bomb, '20000×20000 is 400000000 pixels, more than the limit of 40000000');
    assert.ok(performance.now() - started < 200, 'refused without decoding');
  });

  it('honours a lower pixel limit', async () => {
    await rejects(await flat(1000, 1000).png().toBuffer(), '1000×1000 is 1000000 pixels, more than the limit of 500000', {
      maxPixels: 500_000,
    });
  });
});

describe('intakeImage: refusals', () => {
  it('names an unsupported format', async () => {
    const avif = await flat(400, 400).avif().toBuffer();
    await rejects(avif, 'the file is an AVIF image; supported formats are JPEG, PNG, BMP, TIFF, WebP and GIF');
    await rejects(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="500" height="500"/>'), /the file is an SVG image;/);
  });

  it('refuses data that is no image at all', async () => {
    const random = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 251));
    await rejects(random, 'the data is not an image in a known format; supported formats are JPEG, PNG, BMP, TIFF, WebP and GIF');
    await rejects(Buffer.alloc(0), 'the image data is empty');
  });

  it('refuses truncated JPEG and PNG files', async () => {
    const jpeg = await noisy(512, 512).jpeg().toBuffer();
    const png = await noisy(512, 512).png().toBuffer();
    for (const cut of [jpeg.subarray(0, Math.floor(jpeg.length * 0.6)), jpeg.subarray(0, jpeg.length - 100)]) {
      await rejects(cut, /: the image data is broken or truncated \(premature end of JPEG image\)$/);
    }
    await rejects(png.subarray(0, Math.floor(png.length * 0.6)), /: the image data is broken or truncated \(.+\)$/);
    const webp = await noisy(512, 512).webp().toBuffer();
    await rejects(webp.subarray(0, webp.length - 50), /: the image data is broken or truncated/);
  });

  it('refuses files over 10 MB before looking inside', async () => {
    const big = Buffer.alloc(10 * 1024 * 1024 + 1);
    (await flat(400, 400).png().toBuffer()).copy(big);
    await rejects(big, 'the image is 10.01 MB, more than the limit of 10 MB');
    await rejects(Buffer.alloc(12 * 1024 * 1024), 'the image is 12 MB, more than the limit of 10 MB');
  });
});

describe('intakeImage: cost', () => {
  it('takes a few milliseconds for a 1024×1024 PNG or JPEG', async () => {
    for (const format of ['png', 'jpeg'] as const) {
      const bytes = await noisy(1024, 1024).toFormat(format).toBuffer();
      await intakeImage(bytes, options);
      const runs = 10;
      const started = performance.now();
      for (let i = 0; i < runs; i++) await intakeImage(bytes, options);
      const ms = (performance.now() - started) / runs;
      console.log(`intake 1024×1024 ${format} (${(bytes.length / 1024).toFixed(0)} KB): ${ms.toFixed(1)} ms`);
    }
  });
});
