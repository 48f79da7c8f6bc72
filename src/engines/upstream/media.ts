/** Input images as upstreams take them, and result images as upstreams give them. */
import { AppError } from '../../domain/errors.js';
import type { EngineImage, EngineInput } from '../engine.js';

/** How an upstream receives our input images. */
export type InputMode = 'data-uri' | 'url';

/** A data URI of the image, or our signed URL when the upstream can reach us. */
export async function inputReference(input: EngineInput, mode: InputMode): Promise<string> {
  if (mode === 'url') return input.signedUrl();
  return `data:${input.contentType};base64,${(await input.read()).toString('base64')}`;
}

const DATA_URI = /^data:([\w.+-]+\/[\w.+-]+)?(;[^,]*)?;base64,/i;

/** Base64 image data (bare or as a data URI) as an encoded image. */
export function imageFromBase64(label: string, value: string, contentType = 'image/png'): EngineImage {
  const match = DATA_URI.exec(value);
  const payload = match ? value.slice(match[0].length) : value;
  const data = Buffer.from(payload, 'base64');
  if (data.length === 0) throw new AppError('engine_failed', `${label} returned an empty image.`);
  return { kind: 'encoded', data, contentType: match?.[1]?.toLowerCase() ?? contentType };
}

/** A result URL: data URIs are decoded here, http(s) URLs are left to the runner to download. */
export function imageFromUrl(label: string, url: string): EngineImage {
  if (/^data:/i.test(url)) return imageFromBase64(label, url);
  if (!/^https?:\/\//i.test(url)) throw new AppError('engine_failed', `${label} returned an image URL that is not http(s).`);
  return { kind: 'url', url };
}

/** The warning an answer with fewer images than asked for carries (none when it has them all). */
export function shortfallWarnings(label: string, got: number, asked: number): string[] {
  return got < asked ? [`${label} returned ${got} of the ${asked} images asked for.`] : [];
}
