/** The intake rule an image broke: a bounded set, so metrics can count rejections by it. */
export type ImageRule = 'empty' | 'too_large' | 'unsupported_format' | 'not_an_image' | 'too_many_pixels' | 'aspect_ratio' | 'broken';

/**
 * Why an image is refused, in plain words ("the file is a HEIC image; …"), and the rule it broke.
 * Thrown below intake, which prefixes the client's field name and turns it into a 400 `invalid_image`.
 */
export class ImageRejection extends Error {
  override readonly name = 'ImageRejection';

  constructor(
    readonly rule: ImageRule,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A decoder's complaint about damaged data, without the library's prefixes. */
export function brokenImage(cause: unknown): ImageRejection {
  const raw = cause instanceof Error ? cause.message : String(cause);
  const detail = (raw.split('\n')[0] ?? '')
    .replace(/^Input (buffer|file) (has corrupt header|contains unsupported image format):?\s*/i, '')
    .replace(/^(VipsJpeg|vipspng|VipsForeignLoad\w*|\w+load(_buffer)?):\s*/i, '')
    .trim()
    .slice(0, 160);
  const reason = detail === '' ? '' : ` (${detail})`;
  return new ImageRejection('broken', `the image data is broken or truncated${reason}`, { cause });
}
