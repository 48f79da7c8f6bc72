/** Test images made on the spot with sharp: never downloaded. */
import sharp from 'sharp';

/** A colourful gradient image with a marked top-left corner, so edits are measurable. */
export async function gradientImage(width: number, height: number, format: 'png' | 'jpeg' | 'webp' = 'png'): Promise<Buffer> {
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const i = (y * width + x) * 3;
      const corner = x < width / 8 && y < height / 8;
      raw[i] = corner ? 255 : Math.round((x / width) * 255);
      raw[i + 1] = corner ? 0 : Math.round((y / height) * 255);
      raw[i + 2] = corner ? 0 : 128;
    }
  }
  return sharp(raw, { raw: { width, height, channels: 3 } })[format]().toBuffer();
}

export async function solidImage(width: number, height: number, rgb: [number, number, number]): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } }).png().toBuffer();
}
