/**
 * Format detection from magic bytes. The declared content type is never trusted: clients and
 * servers label images wrongly all the time, and a wrong label must not reach a decoder.
 */

/** The formats DashScope accepts, and so do we. */
export type ImageFormat = 'jpeg' | 'png' | 'gif' | 'webp' | 'tiff' | 'bmp';

export type Sniffed =
  | { kind: 'supported'; format: ImageFormat }
  /** A recognised format we refuse; `name` has its article: "the file is {name}". */
  | { kind: 'unsupported'; name: string }
  | { kind: 'unknown' };

export const CONTENT_TYPES: Readonly<Record<ImageFormat, string>> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  webp: 'image/webp',
  tiff: 'image/tiff',
  bmp: 'image/bmp',
};

export const SUPPORTED_FORMATS_TEXT = 'JPEG, PNG, BMP, TIFF, WebP and GIF';

/** DIB header sizes in the wild: OS/2 core, INFO, V2, V3, OS/2 v2, V4, V5. */
const BMP_DIB_HEADER_SIZES = new Set([12, 40, 52, 56, 64, 108, 124]);

const HEIC_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'hevm', 'hevs']);
const AVIF_BRANDS = new Set(['avif', 'avis']);
const HEIF_BRANDS = new Set(['mif1', 'msf1', 'mif2']);

function startsWith(bytes: Uint8Array, signature: readonly number[], offset = 0): boolean {
  if (bytes.length < offset + signature.length) return false;
  return signature.every((value, i) => bytes[offset + i] === value);
}

function ascii(bytes: Uint8Array, start: number, end: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1', start, Math.min(end, bytes.length));
}

function isBmp(bytes: Uint8Array): boolean {
  if (bytes.length < 26 || !startsWith(bytes, [0x42, 0x4d])) return false;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dibSize = view.getUint32(14, true);
  const dataOffset = view.getUint32(10, true);
  return BMP_DIB_HEADER_SIZES.has(dibSize) && dataOffset >= 14 + dibSize;
}

/** ISO base media (ftyp box): HEIC, HEIF and AVIF stills, or MP4/MOV video. */
function sniffFtyp(bytes: Uint8Array): Sniffed | undefined {
  if (bytes.length < 12 || ascii(bytes, 4, 8) !== 'ftyp') return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // Size 0 ("to the end") and 1 (64-bit size) are legal; brands past 64 bytes never matter.
  const size = view.getUint32(0, false);
  const boxEnd = Math.min(size < 16 ? 64 : size, bytes.length, 64);
  const brands = [ascii(bytes, 8, 12)];
  for (let at = 16; at + 4 <= boxEnd; at += 4) brands.push(ascii(bytes, at, at + 4));
  if (brands.some((brand) => AVIF_BRANDS.has(brand))) return { kind: 'unsupported', name: 'an AVIF image' };
  if (brands.some((brand) => HEIC_BRANDS.has(brand))) return { kind: 'unsupported', name: 'a HEIC image' };
  if (brands.some((brand) => HEIF_BRANDS.has(brand))) return { kind: 'unsupported', name: 'a HEIF image' };
  if (brands.includes('jxl ')) return { kind: 'unsupported', name: 'a JPEG XL image' };
  return { kind: 'unsupported', name: 'an MP4/QuickTime video' };
}

/** Text formats: SVG, other XML and HTML (an error page fetched instead of an image). */
function sniffMarkup(bytes: Uint8Array): Sniffed | undefined {
  const head = ascii(bytes, 0, 1024).replace(/^\xEF\xBB\xBF/, '').trimStart().toLowerCase();
  if (!head.startsWith('<')) return undefined;
  if (head.startsWith('<svg') || head.startsWith('<!doctype svg') || (head.startsWith('<?xml') && head.includes('<svg'))) {
    return { kind: 'unsupported', name: 'an SVG image' };
  }
  if (head.startsWith('<!doctype html') || head.startsWith('<html') || head.includes('<html')) {
    return { kind: 'unsupported', name: 'an HTML page, not an image' };
  }
  if (head.startsWith('<?xml')) return { kind: 'unsupported', name: 'an XML document, not an image' };
  return undefined;
}

function sniffIco(bytes: Uint8Array): Sniffed | undefined {
  if (bytes.length < 22 || bytes[0] !== 0 || bytes[1] !== 0 || bytes[3] !== 0) return undefined;
  const count = (bytes[4] ?? 0) | ((bytes[5] ?? 0) << 8);
  // Each directory entry has a zero reserved byte at offset 3.
  if (count === 0 || bytes[9] !== 0) return undefined;
  if (bytes[2] === 1) return { kind: 'unsupported', name: 'an ICO icon' };
  if (bytes[2] === 2) return { kind: 'unsupported', name: 'a CUR cursor' };
  return undefined;
}

export function sniffImage(bytes: Uint8Array): Sniffed {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return { kind: 'supported', format: 'jpeg' };
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return { kind: 'supported', format: 'png' };
  const magic6 = ascii(bytes, 0, 6);
  if (magic6 === 'GIF87a' || magic6 === 'GIF89a') return { kind: 'supported', format: 'gif' };
  if (ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 12) === 'WEBP') return { kind: 'supported', format: 'webp' };
  // Classic TIFF (42) and BigTIFF (43), little- and big-endian.
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a])) {
    return { kind: 'supported', format: 'tiff' };
  }
  if (startsWith(bytes, [0x49, 0x49, 0x2b, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2b])) {
    return { kind: 'supported', format: 'tiff' };
  }
  if (isBmp(bytes)) return { kind: 'supported', format: 'bmp' };

  const ftyp = sniffFtyp(bytes);
  if (ftyp) return ftyp;
  if (ascii(bytes, 0, 5) === '%PDF-') return { kind: 'unsupported', name: 'a PDF document' };
  if (ascii(bytes, 0, 4) === '8BPS') return { kind: 'unsupported', name: 'a Photoshop (PSD) file' };
  if (startsWith(bytes, [0x00, 0x00, 0x00, 0x0c, 0x6a, 0x50, 0x20, 0x20]) || startsWith(bytes, [0xff, 0x4f, 0xff, 0x51])) {
    return { kind: 'unsupported', name: 'a JPEG 2000 image' };
  }
  if (startsWith(bytes, [0x00, 0x00, 0x00, 0x0c, 0x4a, 0x58, 0x4c, 0x20]) || startsWith(bytes, [0xff, 0x0a])) {
    return { kind: 'unsupported', name: 'a JPEG XL image' };
  }
  return sniffIco(bytes) ?? sniffMarkup(bytes) ?? { kind: 'unknown' };
}
