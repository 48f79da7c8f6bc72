/** multipart/form-data bodies built in memory (OpenAI edits, ComfyUI uploads). */
import { randomBytes } from 'node:crypto';

export type MultipartPart =
  | { name: string; value: string }
  | { name: string; data: Buffer; filename: string; contentType: string };

const quoted = (value: string) => value.replace(/["\r\n\\]/g, (c) => encodeURIComponent(c));

export function buildMultipart(parts: readonly MultipartPart[]): { body: Buffer; contentType: string } {
  const boundary = `----qig${randomBytes(12).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const disposition = `Content-Disposition: form-data; name="${quoted(part.name)}"`;
    if ('value' in part) {
      chunks.push(Buffer.from(`--${boundary}\r\n${disposition}\r\n\r\n${part.value}\r\n`));
    } else {
      chunks.push(Buffer.from(`--${boundary}\r\n${disposition}; filename="${quoted(part.filename)}"\r\nContent-Type: ${part.contentType}\r\n\r\n`));
      chunks.push(part.data, Buffer.from('\r\n'));
    }
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

const EXTENSIONS: Readonly<Record<string, string>> = {
  'image/jpeg': 'jpg', 'image/png': 'png', 'image/webp': 'webp', 'image/gif': 'gif', 'image/bmp': 'bmp', 'image/tiff': 'tiff',
};

/** A file name for an image part, from its media type. */
export function imageFileName(stem: string, contentType: string): string {
  return `${stem}.${EXTENSIONS[contentType] ?? 'bin'}`;
}
