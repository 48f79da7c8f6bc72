/**
 * A photo-like test picture, built procedurally (nothing is downloaded): a sky gradient with soft
 * clouds, hills of textured grass, a brick wall with windows, a face-like subject in a red shirt,
 * and sensor grain. Smooth areas, textures and hard edges, like a photo.
 */
import { mulberry32 } from '../../../../src/engines/local/raster/prng.js';
import type { Raster } from '../../../../src/engines/local/raster/raster.js';

/** Smooth value noise in [0, 1] at `cell` pixels per lattice step (one octave). */
function valueNoise(width: number, height: number, cell: number, seed: number): Float32Array {
  const rng = mulberry32(seed);
  const gw = Math.ceil(width / cell) + 2, gh = Math.ceil(height / cell) + 2;
  const grid = Float32Array.from({ length: gw * gh }, () => rng());
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    const gy = y / cell, y0 = Math.floor(gy), fy = gy - y0, sy = fy * fy * (3 - 2 * fy);
    for (let x = 0; x < width; x++) {
      const gx = x / cell, x0 = Math.floor(gx), fx = gx - x0, sx = fx * fx * (3 - 2 * fx);
      const a = grid[y0 * gw + x0]!, b = grid[y0 * gw + x0 + 1]!, c = grid[(y0 + 1) * gw + x0]!, d = grid[(y0 + 1) * gw + x0 + 1]!;
      out[y * width + x] = a + (b - a) * sx + (c - a) * sy + (a - b - c + d) * sx * sy;
    }
  }
  return out;
}

const clamp = (v: number): number => (v < 0 ? 0 : v > 255 ? 255 : Math.round(v));

export function photoLike(width = 512, height = 512, seed = 7): Raster {
  const s = width / 512;
  const clouds = valueNoise(width, height, 90 * s, seed);
  const grass = valueNoise(width, height, Math.max(2, 3 * s), seed + 1);
  const patches = valueNoise(width, height, 40 * s, seed + 2);
  const rng = mulberry32(seed + 3);
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = y * width + x, u = x / width, v = y / height;
      const horizon = 0.55 + 0.06 * Math.sin(u * 7 + 1) + 0.03 * Math.sin(u * 19);
      let r: number, g: number, b: number;
      if (v < horizon) {
        const c = Math.max(0, clouds[p]! - 0.45) * 1.6;
        r = 90 + 90 * v + 200 * c; g = 140 + 70 * v + 170 * c; b = 225 + 20 * v + 60 * c;
      } else {
        const t = grass[p]! * 0.7 + patches[p]! * 0.5;
        r = 40 + 70 * t; g = 90 + 90 * t; b = 30 + 40 * t;
      }
      // A brick wall with two windows on the left.
      if (u > 0.06 && u < 0.34 && v > 0.3 && v < 0.72) {
        const row = Math.floor((v * height) / (12 * s));
        const mortar = (v * height) % (12 * s) < 2 * s || (u * width + (row % 2) * 12 * s) % (24 * s) < 2 * s;
        const tone = grass[p]! * 30;
        [r, g, b] = mortar ? [200, 195, 185] : [150 + tone, 70 + tone / 2, 50];
        const inWindow = v > 0.4 && v < 0.52 && ((u > 0.1 && u < 0.17) || (u > 0.23 && u < 0.3));
        if (inWindow) [r, g, b] = [40 + 60 * (0.52 - v) * 8, 60, 80];
      }
      // The subject: a red shirt, a face with eyes and a mouth, dark hair.
      const fx = (u - 0.62) / 0.13, fy = (v - 0.42) / 0.17;
      const body = (u - 0.62) ** 2 / 0.045 + (v - 0.98) ** 2 / 0.09 < 1 && v > 0.6;
      if (body) [r, g, b] = [185 + 30 * patches[p]!, 35, 45];
      if (fx * fx + fy * fy < 1) {
        const light = 1 - 0.25 * (fx + 0.4) ** 2;
        [r, g, b] = [235 * light, 185 * light, 150 * light];
        if (fy < -0.55 || (fy < -0.1 && Math.abs(fx) > 0.82)) [r, g, b] = [60, 40, 30];
        const eye = ((Math.abs(fx) - 0.38) / 0.14) ** 2 + ((fy + 0.15) / 0.09) ** 2 < 1;
        if (eye) [r, g, b] = [35, 30, 40];
        if (Math.abs(fy - 0.45) < 0.06 && Math.abs(fx) < 0.35) [r, g, b] = [150, 60, 60];
      }
      const n = (rng() - 0.5) * 10;
      data[p * 3] = clamp(r + n);
      data[p * 3 + 1] = clamp(g + n);
      data[p * 3 + 2] = clamp(b + n);
    }
  }
  return { data, width, height, channels: 3 };
}
