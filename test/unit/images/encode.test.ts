import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { encodeImage } from '../../../src/images/encode.js';
import type { EncodeSource } from '../../../src/images/encode.js';
import { watermarkOverlay } from '../../../src/images/watermark.js';

/** Deterministic photo-like pixels: gradients, texture and pseudo-random grain. */
function photoPixels(width: number, height: number, channels: 3 | 4 = 3): Buffer {
  const data = Buffer.alloc(width * height * channels);
  let seed = 12345;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      const grain = (seed % 9) - 4;
      const texture = Math.sin(x * 0.3 + Math.sin(y * 0.05) * 5) * 20;
      const at = (y * width + x) * channels;
      data[at] = Math.max(0, Math.min(255, x / 5 + texture + grain));
      data[at + 1] = Math.max(0, Math.min(255, y / 5 + texture / 2 + grain));
      data[at + 2] = Math.max(0, Math.min(255, 128 + Math.sin(x / 30) * Math.cos(y / 40) * 100 + grain));
      if (channels === 4) data[at + 3] = 255;
    }
  }
  return data;
}

function raw(width: number, height: number, background?: number): EncodeSource {
  const data = background === undefined ? photoPixels(width, height) : Buffer.alloc(width * height * 3, background);
  return { kind: 'raw', data, width, height, channels: 3 };
}

async function pixels(bytes: Buffer): Promise<{ data: Buffer; width: number; height: number }> {
  const { data, info } = await sharp(bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/** Mean brightness and the count of pixels differing from `background` in a region. */
function region(image: { data: Buffer; width: number }, left: number, top: number, w: number, h: number, background: number) {
  let changed = 0;
  let sum = 0;
  for (let y = top; y < top + h; y++) {
    for (let x = left; x < left + w; x++) {
      const at = (y * image.width + x) * 3;
      const value = image.data[at]!;
      sum += value;
      if (value !== background || image.data[at + 1] !== background || image.data[at + 2] !== background) changed++;
    }
  }
  return { changed, mean: sum / (w * h) };
}

describe('encodeImage', () => {
  it('encodes raw pixels to PNG, JPEG and WebP with the right content types', async () => {
    for (const [format, contentType] of [
      ['png', 'image/png'],
      ['jpeg', 'image/jpeg'],
      ['webp', 'image/webp'],
    ] as const) {
      const out = await encodeImage(raw(320, 240), { format, watermark: false });
      assert.equal(out.contentType, contentType);
      assert.deepEqual([out.width, out.height], [320, 240]);
      const meta = await sharp(out.data).metadata();
      assert.deepEqual([meta.format, meta.width, meta.height, meta.exif, meta.icc], [format, 320, 240, undefined, undefined]);
    }
  });

  it('gives byte-identical output for identical input', async () => {
    for (const format of ['png', 'jpeg', 'webp'] as const) {
      const first = await encodeImage(raw(300, 200), { format, watermark: true });
      const second = await encodeImage(raw(300, 200), { format, watermark: true });
      assert.ok(first.data.equals(second.data), format);
    }
  });

  it('returns an encoded image untouched when it already is what was asked', async () => {
    const png = await sharp(photoPixels(256, 128), { raw: { width: 256, height: 128, channels: 3 } }).png().toBuffer();
    const same = await encodeImage({ kind: 'encoded', data: png, contentType: 'image/png' }, { format: 'png', watermark: false });
    assert.equal(same.data, png);
    assert.deepEqual([same.contentType, same.width, same.height], ['image/png', 256, 128]);
    const sized = await encodeImage(
      { kind: 'encoded', data: png, contentType: 'image/png' },
      { format: 'png', watermark: false, resize: { width: 256, height: 128 } },
    );
    assert.equal(sized.data, png);

    const converted = await encodeImage({ kind: 'encoded', data: png, contentType: 'image/png' }, { format: 'jpeg', watermark: false });
    assert.equal(converted.contentType, 'image/jpeg');
    assert.equal((await sharp(converted.data).metadata()).format, 'jpeg');
    const marked = await encodeImage({ kind: 'encoded', data: png, contentType: 'image/png' }, { format: 'png', watermark: true });
    assert.notEqual(marked.data, png);
  });

  it('re-encodes an EXIF-rotated JPEG upright, without the metadata', async () => {
    const jpeg = await sharp({ create: { width: 60, height: 40, channels: 3, background: '#888' } })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const out = await encodeImage({ kind: 'encoded', data: jpeg, contentType: 'image/jpeg' }, { format: 'jpeg', watermark: false });
    assert.notEqual(out.data, jpeg);
    const meta = await sharp(out.data).metadata();
    assert.deepEqual([out.width, out.height, meta.width, meta.height, meta.orientation], [40, 60, 40, 60, undefined]);
  });

  it('resizes to cover the requested size, centred', async () => {
    // Left half black, right half white; a centred 1:1 crop keeps both halves equally.
    const data = Buffer.alloc(400 * 200 * 3);
    for (let y = 0; y < 200; y++) data.fill(255, (y * 400 + 200) * 3, (y * 400 + 400) * 3);
    const out = await encodeImage(
      { kind: 'raw', data, width: 400, height: 200, channels: 3 },
      { format: 'png', watermark: false, resize: { width: 100, height: 100 } },
    );
    assert.deepEqual([out.width, out.height], [100, 100]);
    const image = await pixels(out.data);
    assert.equal(region(image, 0, 0, 45, 100, 0).changed, 0);
    assert.equal(region(image, 55, 0, 45, 100, 255).changed, 0);
  });

  it('flattens transparency onto white for JPEG', async () => {
    const data = Buffer.alloc(64 * 64 * 4);
    const out = await encodeImage({ kind: 'raw', data, width: 64, height: 64, channels: 4 }, { format: 'jpeg', watermark: false });
    const image = await pixels(out.data);
    assert.ok(region(image, 0, 0, 64, 64, 255).mean > 250);
  });
});

describe('watermark', () => {
  for (const background of [0, 255]) {
    it(`marks the bottom-right corner and nothing else (background ${background})`, async () => {
      const out = await encodeImage(raw(1024, 768, background), { format: 'png', watermark: true });
      const image = await pixels(out.data);
      const corner = region(image, 724, 668, 300, 100, background);
      assert.ok(corner.changed > 500, `changed ${corner.changed} pixels in the corner`);
      const visible = background === 0 ? (v: number) => v > 150 : (v: number) => v < 200;
      let count = 0;
      for (let y = 668; y < 768; y++) for (let x = 724; x < 1024; x++) if (visible(image.data[(y * 1024 + x) * 3]!)) count++;
      assert.ok(count > 300, `${count} clearly visible pixels`);
      assert.equal(region(image, 0, 0, 1024, 600, background).changed, 0);
      assert.equal(region(image, 0, 0, 600, 768, background).changed, 0);
    });
  }

  it('keeps an opaque image opaque and a transparent one transparent', async () => {
    const opaque = await encodeImage(raw(400, 300, 90), { format: 'png', watermark: true });
    assert.equal((await sharp(opaque.data).metadata()).channels, 3);
    const png = await sharp(Buffer.alloc(400 * 300 * 3, 90), { raw: { width: 400, height: 300, channels: 3 } }).png().toBuffer();
    const fromFile = await encodeImage({ kind: 'encoded', data: png, contentType: 'image/png' }, { format: 'webp', watermark: true });
    assert.equal((await sharp(fromFile.data).metadata()).hasAlpha, false);
    const rgba = await encodeImage({ kind: 'raw', data: Buffer.alloc(400 * 300 * 4), width: 400, height: 300, channels: 4 }, {
      format: 'png',
      watermark: true,
    });
    assert.equal((await sharp(rgba.data).metadata()).channels, 4);
  });

  it('adds light pixels over a dark image', async () => {
    const out = await encodeImage(raw(512, 512, 30), { format: 'png', watermark: true });
    const image = await pixels(out.data);
    let light = 0;
    for (let i = 0; i < image.data.length; i += 3) if (image.data[i]! > 150) light++;
    assert.ok(light > 100, `${light} light pixels`);
  });

  it('scales with the image and stays inside it', async () => {
    const small = (await watermarkOverlay(512, 512))!;
    const large = (await watermarkOverlay(2048, 2048))!;
    assert.ok(large.raw.width > small.raw.width * 3, `${large.raw.width} vs ${small.raw.width}`);
    for (const [w, h] of [
      [384, 3072],
      [3072, 384],
      [100, 60],
    ] as const) {
      const overlay = (await watermarkOverlay(w, h))!;
      assert.ok(overlay.left >= 0 && overlay.top >= 0);
      assert.ok(overlay.left + overlay.raw.width <= w && overlay.top + overlay.raw.height <= h, `${w}×${h}`);
      const right = overlay.left + overlay.raw.width;
      const bottom = overlay.top + overlay.raw.height;
      assert.ok(right > w * 0.9 && bottom > h * 0.9, `bottom-right in ${w}×${h}`);
    }
    assert.equal(await watermarkOverlay(30, 30), null);
    assert.equal((await watermarkOverlay(512, 512))!.input, small.input, 'rendered once per size');
  });
});

describe('encodeImage: cost', () => {
  it('encodes a 1024×1024 image to PNG in tens of milliseconds', async () => {
    const source = raw(1024, 1024);
    for (const [format, watermark] of [
      ['png', false],
      ['png', true],
      ['jpeg', false],
      ['webp', false],
    ] as const) {
      await encodeImage(source, { format, watermark });
      const runs = 5;
      const started = performance.now();
      let size = 0;
      for (let i = 0; i < runs; i++) size = (await encodeImage(source, { format, watermark })).data.length;
      const ms = (performance.now() - started) / runs;
      console.log(`encode 1024×1024 ${format}${watermark ? ' +watermark' : ''}: ${ms.toFixed(1)} ms, ${(size / 1024).toFixed(0)} KB`);
    }
  });
});
