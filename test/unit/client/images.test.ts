/** Input images: URLs and data URIs as they are, files and bytes as data URIs of the type their bytes say. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BadRequestError } from '../../../src/client/errors.js';
import { imageReference, imageTypeOf, type ImageInput } from '../../../src/client/images.js';
import { gradientImage } from '../../helpers/images.js';

const SAMPLE = new URL('../../../examples/sample.png', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'qig-client-images-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const bytes = (...values: Array<number | string>) => new Uint8Array(values.flatMap((v) => (typeof v === 'string' ? [...v].map((c) => c.charCodeAt(0)) : [v])));
const dataUriOf = (type: string, data: Uint8Array) => `data:${type};base64,${Buffer.from(data).toString('base64')}`;
const refusal = (pattern: RegExp) => (error: unknown) => {
  assert.ok(error instanceof BadRequestError, String(error));
  assert.equal(error.code, 'InvalidParameter');
  assert.match(error.message, pattern);
  return true;
};

describe('imageTypeOf', () => {
  it('reads each signature DashScope takes, and nothing else', () => {
    assert.equal(imageTypeOf(bytes(0x89, 'PNG\r\n', 0x1a, 0x0a)), 'image/png');
    assert.equal(imageTypeOf(bytes(0xff, 0xd8, 0xff, 0xe0)), 'image/jpeg');
    assert.equal(imageTypeOf(bytes('GIF89a')), 'image/gif');
    assert.equal(imageTypeOf(bytes('RIFF', 0, 0, 0, 0, 'WEBPVP8 ')), 'image/webp');
    assert.equal(imageTypeOf(bytes('BM', 0, 0)), 'image/bmp');
    assert.equal(imageTypeOf(bytes('II*', 0)), 'image/tiff');
    assert.equal(imageTypeOf(bytes('MM', 0, '*')), 'image/tiff');
    assert.equal(imageTypeOf(bytes('RIFF', 0, 0, 0, 0, 'WAVE')), null);
    assert.equal(imageTypeOf(bytes('<svg xmlns="http://www.w3.org/2000/svg"/>')), null);
    assert.equal(imageTypeOf(new Uint8Array()), null);
  });
});

describe('imageReference', () => {
  it('passes http, https and oss URLs, URL objects and data URIs through untouched', async () => {
    for (const input of ['https://example.com/a.png?x=1', 'http://127.0.0.1:1/a.png', 'oss://bucket/a.png', 'HTTPS://EXAMPLE.COM/A.PNG', 'data:image/png;base64,AAAA']) {
      assert.equal(await imageReference(input, 'images[0]'), input);
    }
    assert.equal(await imageReference(new URL('https://example.com/b.jpg'), 'images[0]'), 'https://example.com/b.jpg');
  });

  it('reads a file path into a data URI of the sniffed type, whatever the extension says', async () => {
    const png = readFileSync(SAMPLE);
    assert.equal(await imageReference(SAMPLE, 'images[0]'), dataUriOf('image/png', png));
    const jpeg = await gradientImage(40, 30, 'jpeg');
    const misnamed = join(dir, 'photo.png');
    writeFileSync(misnamed, jpeg);
    assert.equal(await imageReference(misnamed, 'images[1]'), dataUriOf('image/jpeg', jpeg));
  });

  it('refuses a file that is not an image, naming the field and the file', async () => {
    const text = join(dir, 'notes.png');
    writeFileSync(text, 'not an image at all');
    await assert.rejects(imageReference(text, 'images[2]'), refusal(/^images\[2\] \(.*notes\.png\): not a PNG, JPEG, WebP, GIF, BMP or TIFF image\.$/));
  });

  it('refuses a missing file, naming the field, the file and why', async () => {
    const missing = join(dir, 'nope.png');
    await assert.rejects(imageReference(missing, 'images[0]'), refusal(/^images\[0\]: cannot read the file ".*nope\.png" \(ENOENT\)\.$/));
    await assert.rejects(imageReference(dir, 'images[1]'), refusal(/^images\[1\]: ".*" is not a file\.$/));
  });

  it('refuses an empty string', async () => {
    for (const input of ['', '  ']) await assert.rejects(imageReference(input, 'images[0]'), refusal(/^images\[0\]: is empty\.$/));
  });

  it('turns bytes (Uint8Array, Buffer, ArrayBuffer, Blob) into data URIs', async () => {
    const webp = await gradientImage(32, 32, 'webp');
    const expected = dataUriOf('image/webp', webp);
    const plain = new Uint8Array(webp);
    assert.equal(await imageReference(plain, 'images[0]'), expected);
    assert.equal(await imageReference(webp, 'images[0]'), expected);
    assert.equal(await imageReference(plain.buffer, 'images[0]'), expected);
    assert.equal(await imageReference(new Blob([plain], { type: 'application/octet-stream' }), 'images[0]'), expected);
  });

  it('refuses bytes that are no image, and inputs of another kind', async () => {
    await assert.rejects(imageReference(bytes('hello'), 'images[1]'), refusal(/^images\[1\]: not a PNG/));
    await assert.rejects(imageReference(new Blob(['<svg/>']), 'images[0]'), refusal(/^images\[0\]: not a PNG/));
    await assert.rejects(imageReference(42 as unknown as ImageInput, 'images[0]'), refusal(/^images\[0\]: must be a URL, a data: URI, a file path/));
  });
});
