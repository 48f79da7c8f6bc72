/** Photo-like test pixels (gradients, texture, grain): they compress like photos, not flat fills. */
import sharp from 'sharp';

export function photoPixels(width: number, height: number, grain: number, seed = 12345): Buffer {
  const data = Buffer.alloc(width * height * 3);
  let state = seed;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      state = (state * 1103515245 + 12345) & 0x7fffffff;
      const noise = ((state % 1000) / 1000 - 0.5) * grain;
      const texture = Math.sin(x * 0.3 + Math.sin(y * 0.05) * 5) * 20;
      const at = (y * width + x) * 3;
      data[at] = Math.max(0, Math.min(255, x / 5 + texture + noise));
      data[at + 1] = Math.max(0, Math.min(255, y / 5 + texture / 2 + noise));
      data[at + 2] = Math.max(0, Math.min(255, 128 + Math.sin(x / 30) * Math.cos(y / 40) * 100 + noise));
    }
  }
  return data;
}

export function photoPng(width: number, height: number, grain = 8, seed = 12345): Promise<Buffer> {
  return sharp(photoPixels(width, height, grain, seed), { raw: { width, height, channels: 3 } }).png().toBuffer();
}
