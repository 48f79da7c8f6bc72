import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { probeImage } from '../../../src/images/probe.js';
import { sniffImage } from '../../../src/images/sniff.js';

function ftyp(major: string, ...compatible: string[]): Buffer {
  const body = Buffer.from(major + '\0\0\0\0' + compatible.join(''), 'latin1');
  const size = Buffer.alloc(4);
  size.writeUInt32BE(8 + body.length);
  return Buffer.concat([size, Buffer.from('ftyp', 'latin1'), body, Buffer.alloc(32)]);
}

describe('sniffImage', () => {
  const base = sharp({ create: { width: 16, height: 8, channels: 3, background: '#336699' } });

  it('recognises every supported format from its bytes alone', async () => {
    const cases = [
      ['jpeg', await base.clone().jpeg().toBuffer()],
      ['png', await base.clone().png().toBuffer()],
      ['gif', await base.clone().gif().toBuffer()],
      ['webp', await base.clone().webp().toBuffer()],
      ['tiff', await base.clone().tiff().toBuffer()],
      ['tiff', Buffer.from([0x4d, 0x4d, 0x00, 0x2a, 0, 0, 0, 8])],
    ] as const;
    for (const [format, bytes] of cases) assert.deepEqual(sniffImage(bytes), { kind: 'supported', format }, format);
  });

  it('names the formats it refuses', async () => {
    const avif = await base.clone().avif().toBuffer();
    const cases: Array<[Uint8Array, string]> = [
      [avif, 'an AVIF image'],
      [ftyp('heic', 'mif1', 'heic'), 'a HEIC image'],
      [ftyp('mif1', 'mif1'), 'a HEIF image'],
      [ftyp('isom', 'isom', 'mp41'), 'an MP4/QuickTime video'],
      [Buffer.from('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>'), 'an SVG image'],
      [Buffer.from('\uFEFF  <svg width="1"/>'), 'an SVG image'],
      [Buffer.from('<!DOCTYPE html><html><body>Not found</body></html>'), 'an HTML page, not an image'],
      [Buffer.from('%PDF-1.7\n%...'), 'a PDF document'],
      [Buffer.from([0, 0, 1, 0, 1, 0, 16, 16, 0, 0, 1, 0, 32, 0, ...new Array<number>(20).fill(0)]), 'an ICO icon'],
      [Buffer.from('8BPS\0\x01'), 'a Photoshop (PSD) file'],
      [Buffer.from([0xff, 0x4f, 0xff, 0x51, 0, 0]), 'a JPEG 2000 image'],
    ];
    for (const [bytes, name] of cases) assert.deepEqual(sniffImage(bytes), { kind: 'unsupported', name }, name);
  });

  it('does not take a bare "BM" or random bytes for an image', () => {
    assert.deepEqual(sniffImage(Buffer.from('BM this is a text file, not a bitmap')), { kind: 'unknown' });
    assert.deepEqual(sniffImage(Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])), { kind: 'unknown' });
    assert.deepEqual(sniffImage(Buffer.alloc(0)), { kind: 'unknown' });
  });
});

describe('probeImage', () => {
  it('reads size, EXIF orientation and frames from the header', async () => {
    const jpeg = await sharp({ create: { width: 60, height: 40, channels: 3, background: '#888' } })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer();
    assert.deepEqual(await probeImage(jpeg, 'jpeg'), {
      format: 'jpeg',
      width: 60,
      height: 40,
      orientedWidth: 40,
      orientedHeight: 60,
      orientation: 6,
      pages: 1,
    });
    const frames = await Promise.all(
      ['#f00', '#0f0', '#00f'].map((background) =>
        sharp({ create: { width: 30, height: 20, channels: 3, background } }).png().toBuffer(),
      ),
    );
    const gif = await sharp(frames, { join: { animated: true } }).gif().toBuffer();
    const header = await probeImage(gif, 'gif');
    assert.deepEqual([header.width, header.height, header.pages], [30, 20, 3]);
  });
});
