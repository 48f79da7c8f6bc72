/**
 * BMP, which libvips cannot read: the header is parsed here, the pixels by bmp-ts.
 *
 * bmp-ts quirks handled below (checked against hand-built files in the tests):
 * - `toRGBA: true` is ignored by the palette paths (4/8-bit stay ABGR), so we always decode
 *   ABGR and swizzle ourselves; alpha is 0 for palette and 24-bit images.
 * - It never seeks to the pixel-data offset, so any gap after the header/palette is cut out.
 * - With a V4/V5 header it reads the colour masks even for BI_RGB, where they are often 0.
 * - 4-bit rows of odd width stop the whole scan after one row; such rows are byte-for-byte
 *   the same as width + 1, so we decode one column more and drop it.
 * - RLE decoding is broken (pixels land at wrong offsets): RLE files are refused.
 */
import { decode } from 'bmp-ts';
import { ImageRejection, brokenImage } from './rejection.js';

export interface BmpHeader {
  width: number;
  height: number;
  topDown: boolean;
  bitsPerPixel: number;
  compression: number;
  headerSize: number;
  dataOffset: number;
  paletteEntries: number;
}

export interface DecodedBmp {
  /** RGBA, rows top to bottom. */
  data: Buffer;
  width: number;
  height: number;
  opaque: boolean;
}

const BI_RGB = 0;
const BI_RLE8 = 1;
const BI_RLE4 = 2;
const BI_BITFIELDS = 3;
const BI_JPEG = 4;
const BI_PNG = 5;
const BI_ALPHABITFIELDS = 6;

const FILE_HEADER = 14;

function unsupported(what: string): ImageRejection {
  return new ImageRejection('unsupported_format', `${what} is not supported; save it as an uncompressed BMP or as PNG`);
}

/** Reads and checks the header; refuses the variants we cannot decode before any pixel work. */
export function readBmpHeader(bytes: Buffer): BmpHeader {
  if (bytes.length < FILE_HEADER + 4) throw brokenImage('the BMP header is cut short');
  const headerSize = bytes.readUInt32LE(14);
  if (headerSize === 12 || headerSize === 64) throw unsupported('an OS/2 bitmap');
  if (bytes.length < FILE_HEADER + headerSize || headerSize < 40) throw brokenImage('the BMP header is cut short');
  const width = bytes.readInt32LE(18);
  const rawHeight = bytes.readInt32LE(22);
  const bitsPerPixel = bytes.readUInt16LE(28);
  const compression = bytes.readUInt32LE(30);
  const colorsUsed = bytes.readUInt32LE(46);
  if (width <= 0 || rawHeight === 0) {
    throw brokenImage(`the BMP header gives an impossible size ${width}×${rawHeight}`);
  }
  if (![1, 4, 8, 16, 24, 32].includes(bitsPerPixel)) throw brokenImage(`the BMP has ${bitsPerPixel} bits per pixel`);
  if (compression === BI_RLE4 || compression === BI_RLE8) throw unsupported('an RLE-compressed BMP');
  if (compression === BI_JPEG || compression === BI_PNG) throw unsupported('a BMP holding JPEG or PNG data');
  const masked = compression === BI_BITFIELDS || compression === BI_ALPHABITFIELDS;
  if (compression !== BI_RGB && !(masked && (bitsPerPixel === 16 || bitsPerPixel === 32))) {
    throw brokenImage(`the BMP has an unknown compression ${compression}`);
  }
  const maxPalette = bitsPerPixel <= 8 ? 1 << bitsPerPixel : 256;
  if (colorsUsed > maxPalette) throw brokenImage(`the BMP claims ${colorsUsed} palette colours`);
  return {
    width,
    height: Math.abs(rawHeight),
    topDown: rawHeight < 0,
    bitsPerPixel,
    compression,
    headerSize,
    dataOffset: bytes.readUInt32LE(10),
    paletteEntries: colorsUsed > 0 ? colorsUsed : bitsPerPixel <= 8 ? 1 << bitsPerPixel : 0,
  };
}

/** Where bmp-ts's reader stands after header, masks and palette (mirrors its parseHeader). */
function bmpTsPixelStart(header: BmpHeader): number {
  const { headerSize: size, compression } = header;
  let pos = FILE_HEADER + 40;
  if (size > 40 || compression === BI_BITFIELDS || compression === BI_ALPHABITFIELDS) pos += 12;
  if (size > 52 || compression === BI_ALPHABITFIELDS) pos += 4;
  if (size > 56) pos += 108 - 56;
  if (size > 108) pos += 124 - 108;
  return pos + header.paletteEntries * 4;
}

/** A copy laid out the way bmp-ts expects (see the module comment). */
function normalise(bytes: Buffer, header: BmpHeader): Buffer {
  const stride = Math.floor((header.bitsPerPixel * header.width + 31) / 32) * 4;
  const pixelBytes = stride * header.height;
  const available = bytes.length - header.dataOffset;
  if (available < pixelBytes) {
    throw brokenImage(`the BMP pixel data is truncated: ${Math.max(0, available)} of ${pixelBytes} bytes`);
  }
  const start = bmpTsPixelStart(header);
  if (header.dataOffset < start || bytes.length < start) throw brokenImage('the BMP pixel data overlaps its header');
  const out = Buffer.concat([bytes.subarray(0, start), bytes.subarray(header.dataOffset, header.dataOffset + pixelBytes)]);
  if (header.compression === BI_RGB && header.headerSize > 40 && header.bitsPerPixel >= 16) {
    const [red, green, blue] = header.bitsPerPixel === 32 ? [0xff0000, 0xff00, 0xff] : [0x7c00, 0x3e0, 0x1f];
    out.writeUInt32LE(red, 54);
    out.writeUInt32LE(green, 58);
    out.writeUInt32LE(blue, 62);
    if (header.headerSize > 52) out.writeUInt32LE(0, 66);
  }
  if (header.bitsPerPixel === 4 && header.width % 2 === 1) out.writeInt32LE(header.width + 1, 18);
  return out;
}

export function decodeBmp(bytes: Buffer, header: BmpHeader = readBmpHeader(bytes)): DecodedBmp {
  const normalised = normalise(bytes, header);
  let data: Buffer;
  let decodedWidth: number;
  try {
    const decoded = decode(normalised, { toRGBA: false });
    data = decoded.data;
    decodedWidth = decoded.width;
  } catch (error) {
    throw brokenImage(error);
  }
  // ABGR → RGBA is a byte reversal of every pixel.
  data.swap32();
  const { width, height } = header;
  if (decodedWidth !== width) data = dropLastColumn(data, decodedWidth, width, height);
  const hasAlpha = header.bitsPerPixel === 16 || header.bitsPerPixel === 32;
  let minAlpha = 255;
  let maxAlpha = 0;
  if (hasAlpha) {
    for (let i = 3; i < data.length; i += 4) {
      const alpha = data[i] ?? 0;
      if (alpha < minAlpha) minAlpha = alpha;
      if (alpha > maxAlpha) maxAlpha = alpha;
    }
  }
  // No alpha channel, or one that is 0 everywhere (many writers leave it so): opaque.
  if (!hasAlpha || maxAlpha === 0) {
    for (let i = 3; i < data.length; i += 4) data[i] = 255;
    minAlpha = 255;
  }
  return { data, width, height, opaque: minAlpha === 255 };
}

function dropLastColumn(data: Buffer, decodedWidth: number, width: number, height: number): Buffer {
  const out = Buffer.allocUnsafe(width * height * 4);
  for (let y = 0; y < height; y++) data.copy(out, y * width * 4, y * decodedWidth * 4, (y * decodedWidth + width) * 4);
  return out;
}
