import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { decodeBmp, readBmpHeader } from '../../../src/images/bmp.js';
import { intakeImage } from '../../../src/images/intake.js';
import { ImageRejection } from '../../../src/images/rejection.js';
import { sniffImage } from '../../../src/images/sniff.js';

type Rgba = [number, number, number, number];

interface BmpSpec {
  width: number;
  height: number;
  bpp: 1 | 4 | 8 | 24 | 32;
  topDown?: boolean;
  /** 40 = BITMAPINFOHEADER; 124 = V5. */
  headerSize?: 40 | 124;
  /** 32-bit V5 only: BI_BITFIELDS with an alpha mask (default) or BI_RGB with zero masks. */
  bitfields?: boolean;
  palette?: Array<[number, number, number]>;
  /** Bytes left unused between the header/palette and the pixels (the offset skips them). */
  gap?: number;
  pixel?: (x: number, y: number) => Rgba;
  index?: (x: number, y: number) => number;
}

/** A BMP written byte by byte, rows padded to 4 bytes, bottom-up unless topDown. */
function buildBmp(spec: BmpSpec): Buffer {
  const { width, height, bpp, topDown = false, headerSize = 40, palette = [], gap = 0 } = spec;
  const stride = Math.floor((bpp * width + 31) / 32) * 4;
  const offset = 14 + headerSize + palette.length * 4 + gap;
  const out = Buffer.alloc(offset + stride * height);
  out.write('BM', 0, 'latin1');
  out.writeUInt32LE(out.length, 2);
  out.writeUInt32LE(offset, 10);
  out.writeUInt32LE(headerSize, 14);
  out.writeInt32LE(width, 18);
  out.writeInt32LE(topDown ? -height : height, 22);
  out.writeUInt16LE(1, 26);
  out.writeUInt16LE(bpp, 28);
  const bitfields = headerSize === 124 && bpp === 32 && spec.bitfields !== false;
  out.writeUInt32LE(bitfields ? 3 : 0, 30);
  out.writeUInt32LE(stride * height, 34);
  out.writeUInt32LE(palette.length, 46);
  if (bitfields) {
    out.writeUInt32LE(0x00ff0000, 54);
    out.writeUInt32LE(0x0000ff00, 58);
    out.writeUInt32LE(0x000000ff, 62);
    out.writeUInt32LE(0xff000000, 66);
  }
  palette.forEach(([r, g, b], i) => {
    const at = 14 + headerSize + i * 4;
    out[at] = b;
    out[at + 1] = g;
    out[at + 2] = r;
  });
  for (let y = 0; y < height; y++) {
    const row = offset + (topDown ? y : height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      if (bpp === 24 || bpp === 32) {
        const [r, g, b, a] = spec.pixel!(x, y);
        const at = row + (x * bpp) / 8;
        out[at] = b;
        out[at + 1] = g;
        out[at + 2] = r;
        if (bpp === 32) out[at + 3] = a;
      } else {
        const index = spec.index!(x, y);
        const bit = x * bpp;
        out[row + (bit >> 3)]! |= index << (8 - bpp - (bit & 7));
      }
    }
  }
  return out;
}

function pixelAt(decoded: { data: Buffer; width: number }, x: number, y: number): Rgba {
  const at = (y * decoded.width + x) * 4;
  return [decoded.data[at]!, decoded.data[at + 1]!, decoded.data[at + 2]!, decoded.data[at + 3]!];
}

const gradient = (x: number, y: number): Rgba => [(x * 37) % 256, (y * 53) % 256, (x + y) % 256, 128];
const PALETTE: Array<[number, number, number]> = [
  [255, 0, 0],
  [0, 255, 0],
  [0, 0, 255],
  [250, 200, 10],
];
const checker = (x: number, y: number): number => (x + 2 * y) % 4;

function assertMatches(spec: BmpSpec, expected: (x: number, y: number) => Rgba): void {
  const decoded = decodeBmp(buildBmp(spec));
  assert.equal(decoded.width, spec.width);
  assert.equal(decoded.height, spec.height);
  for (let y = 0; y < spec.height; y++) {
    for (let x = 0; x < spec.width; x++) {
      assert.deepEqual(pixelAt(decoded, x, y), expected(x, y), `pixel ${x},${y}`);
    }
  }
}

describe('decodeBmp', () => {
  const opaque = (x: number, y: number): Rgba => [...gradient(x, y).slice(0, 3), 255] as Rgba;
  const fromPalette = (x: number, y: number): Rgba => [...PALETTE[checker(x, y)]!, 255] as Rgba;

  it('reads 24-bit bottom-up and top-down rows as RGBA with alpha 255', () => {
    for (const topDown of [false, true]) {
      for (const width of [5, 6, 7, 8]) assertMatches({ width, height: 3, bpp: 24, topDown, pixel: gradient }, opaque);
    }
  });

  it('reads 32-bit BI_RGB as opaque (the fourth byte is unused)', () => {
    for (const topDown of [false, true]) assertMatches({ width: 5, height: 4, bpp: 32, topDown, pixel: gradient }, opaque);
    assert.equal(decodeBmp(buildBmp({ width: 2, height: 2, bpp: 32, pixel: gradient })).opaque, true);
  });

  it('keeps the alpha of a 32-bit V5 BI_BITFIELDS image, top-down and bottom-up', () => {
    for (const topDown of [false, true]) {
      assertMatches({ width: 5, height: 4, bpp: 32, headerSize: 124, topDown, pixel: gradient }, gradient);
    }
    assert.equal(decodeBmp(buildBmp({ width: 2, height: 2, bpp: 32, headerSize: 124, pixel: gradient })).opaque, false);
  });

  it('reads a V5 BI_RGB image whose mask fields are left at zero', () => {
    assertMatches({ width: 3, height: 2, bpp: 32, headerSize: 124, bitfields: false, pixel: gradient }, opaque);
  });

  it('treats an alpha mask that is 0 everywhere as opaque', () => {
    const zeroAlpha = (x: number, y: number): Rgba => [...gradient(x, y).slice(0, 3), 0] as Rgba;
    assertMatches({ width: 3, height: 2, bpp: 32, headerSize: 124, pixel: zeroAlpha }, opaque);
  });

  it('reads 8-, 4- and 1-bit palettes in the right channel order, including odd 4-bit widths', () => {
    for (const width of [5, 6]) {
      assertMatches({ width, height: 3, bpp: 8, palette: PALETTE, index: checker }, fromPalette);
      assertMatches({ width, height: 3, bpp: 4, palette: PALETTE, index: checker }, fromPalette);
      assertMatches({ width, height: 3, bpp: 4, palette: PALETTE, index: checker, topDown: true }, fromPalette);
    }
    const twoColours = PALETTE.slice(0, 2);
    assertMatches({ width: 11, height: 3, bpp: 1, palette: twoColours, index: (x, y) => (x + y) % 2 }, (x, y) => [
      ...twoColours[(x + y) % 2]!,
      255,
    ] as Rgba);
  });

  it('follows the pixel-data offset when there is a gap after the header', () => {
    assertMatches({ width: 4, height: 2, bpp: 24, gap: 10, pixel: gradient }, opaque);
    assertMatches({ width: 4, height: 2, bpp: 8, gap: 6, palette: PALETTE, index: checker }, fromPalette);
  });

  it('refuses truncated pixel data and RLE compression with plain reasons', () => {
    const whole = buildBmp({ width: 8, height: 8, bpp: 24, pixel: gradient });
    assert.throws(() => decodeBmp(whole.subarray(0, whole.length - 10)), (error: unknown) => {
      assert.ok(error instanceof ImageRejection);
      assert.match(error.message, /broken or truncated \(the BMP pixel data is truncated/);
      return true;
    });
    const rle = Buffer.from(buildBmp({ width: 4, height: 4, bpp: 8, palette: PALETTE, index: checker }));
    rle.writeUInt32LE(1, 30);
    assert.throws(() => readBmpHeader(rle), /RLE-compressed BMP is not supported/);
  });
});

describe('intakeImage with BMP', () => {
  it('stores a 24-bit BMP as PNG with the right colours and alpha 255', async () => {
    const marker = (x: number, y: number): Rgba => (x === 10 && y === 20 ? [12, 34, 56, 0] : [200, 100, 50, 0]);
    for (const topDown of [false, true]) {
      const bmp = buildBmp({ width: 400, height: 390, bpp: 24, topDown, pixel: marker });
      assert.deepEqual(sniffImage(bmp), { kind: 'supported', format: 'bmp' });
      const image = await intakeImage(bmp, { field: 'image' });
      assert.equal(image.contentType, 'image/png');
      assert.equal(image.format, 'png');
      assert.deepEqual([image.width, image.height], [400, 390]);
      const { data, info } = await sharp(image.data).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
      assert.deepEqual([info.width, info.height], [400, 390]);
      assert.deepEqual(pixelAt({ data, width: 400 }, 10, 20), [12, 34, 56, 255]);
      assert.deepEqual(pixelAt({ data, width: 400 }, 399, 389), [200, 100, 50, 255]);
    }
  });

  it('keeps BMP transparency in the PNG and rescales small BMPs', async () => {
    const bmp = buildBmp({ width: 200, height: 100, bpp: 32, headerSize: 124, pixel: gradient });
    const image = await intakeImage(bmp, { field: 'image', label: 'image 1' });
    assert.deepEqual([image.width, image.height], [768, 384]);
    assert.deepEqual(image.notes, ['image 1 was 200×100; rescaled to 768×384 (sides must be 384–3072)']);
    const meta = await sharp(image.data).metadata();
    assert.equal(meta.hasAlpha, true);
  });

  it('refuses a BMP whose header claims more pixels than the limit, before decoding', async () => {
    const bomb = buildBmp({ width: 2, height: 2, bpp: 24, pixel: gradient });
    bomb.writeInt32LE(100_000, 18);
    bomb.writeInt32LE(100_000, 22);
    await assert.rejects(intakeImage(bomb, { field: 'img' }), {
      name: 'AppError',
      kind: 'invalid_image',
      message: 'img: 100000×100000 is 10000000000 pixels, more than the limit of 40000000',
    });
  });
});
