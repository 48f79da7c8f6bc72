/**
 * Colour quantisation to a small palette chosen from the picture: k-means in CIELAB on a seeded
 * subsample (deterministic), then every pixel mapped to its nearest palette colour through a
 * 15-bit RGB lookup, so the full-size pass costs one table read per pixel.
 */
import type { Rgb } from './palette.js';
import { mulberry32 } from './prng.js';
import type { Raster } from './raster.js';

type Lab = [number, number, number];

const LINEAR = Float64Array.from({ length: 256 }, (_, v) => {
  const s = v / 255;
  return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
});
const toLinear = (v: number): number => LINEAR[v]!;
const f = (t: number): number => (t > 216 / 24389 ? Math.cbrt(t) : (24389 / 27 * t + 16) / 116);

/** sRGB byte triple → CIELAB (D65). */
export function rgbToLab(r: number, g: number, b: number): Lab {
  const lr = toLinear(r), lg = toLinear(g), lb = toLinear(b);
  const x = f((0.4124 * lr + 0.3576 * lg + 0.1805 * lb) / 0.95047);
  const y = f(0.2126 * lr + 0.7152 * lg + 0.0722 * lb);
  const z = f((0.0193 * lr + 0.1192 * lg + 0.9505 * lb) / 1.08883);
  return [116 * y - 16, 500 * (x - y), 200 * (y - z)];
}

const distance2 = (p: Lab, q: Lab): number => (p[0] - q[0]) ** 2 + (p[1] - q[1]) ** 2 + (p[2] - q[2]) ** 2;

const SAMPLES = 4096;
const ROUNDS = 10;

export interface Quantised {
  /** Palette index per pixel. */
  labels: Uint8Array;
  /** The palette, as the mean sRGB colour of the samples of each cluster. */
  palette: Rgb[];
}

/** k-means++ seeding then Lloyd rounds on a subsample; `colours` ≤ 255. */
export function quantise(raster: Raster, colours: number, seed: number): Quantised {
  const { data, width, height, channels } = raster;
  const pixels = width * height;
  const rng = mulberry32(seed);
  const count = Math.min(SAMPLES, pixels);
  const samples: Lab[] = [];
  const sampleRgb: Rgb[] = [];
  for (let s = 0; s < count; s++) {
    const i = Math.floor(rng() * pixels) * channels;
    sampleRgb.push([data[i]!, data[i + 1]!, data[i + 2]!]);
    samples.push(rgbToLab(data[i]!, data[i + 1]!, data[i + 2]!));
  }
  // k-means++: each new centre is drawn with probability by squared distance to the nearest one.
  const centres: Lab[] = [samples[Math.floor(rng() * count)]!];
  const nearest = samples.map((p) => distance2(p, centres[0]!));
  while (centres.length < colours) {
    const total = nearest.reduce((sum, d) => sum + d, 0);
    if (total === 0) break;
    let pick = rng() * total, k = 0;
    while (k < count - 1 && (pick -= nearest[k]!) > 0) k++;
    const centre = samples[k]!;
    centres.push(centre);
    samples.forEach((p, i) => (nearest[i] = Math.min(nearest[i]!, distance2(p, centre))));
  }
  const assignment = new Uint8Array(count);
  const closest = (p: Lab): number => {
    let best = 0, bestD = Infinity;
    for (let c = 0; c < centres.length; c++) {
      const d = distance2(p, centres[c]!);
      if (d < bestD) [best, bestD] = [c, d];
    }
    return best;
  };
  for (let round = 0; round < ROUNDS; round++) {
    const sums = centres.map((): Lab => [0, 0, 0]);
    const sizes = new Array<number>(centres.length).fill(0);
    samples.forEach((p, i) => {
      const c = closest(p);
      assignment[i] = c;
      const sum = sums[c]!;
      sum[0] += p[0]; sum[1] += p[1]; sum[2] += p[2];
      sizes[c]!++;
    });
    sums.forEach((sum, c) => {
      const n = sizes[c]!;
      if (n > 0) centres[c] = [sum[0] / n, sum[1] / n, sum[2] / n];
    });
  }
  const palette = centres.map((): Rgb => [0, 0, 0]);
  const sizes = new Array<number>(centres.length).fill(0);
  sampleRgb.forEach((rgb, i) => {
    const c = assignment[i]!, entry = palette[c]!;
    entry[0] += rgb[0]; entry[1] += rgb[1]; entry[2] += rgb[2];
    sizes[c]!++;
  });
  palette.forEach((entry, c) => {
    const n = Math.max(1, sizes[c]!);
    entry[0] = Math.round(entry[0] / n); entry[1] = Math.round(entry[1] / n); entry[2] = Math.round(entry[2] / n);
  });
  // Nearest centre for every 5-bit-per-channel colour, filled on first use.
  const lookup = new Int16Array(32768).fill(-1);
  const labels = new Uint8Array(pixels);
  for (let p = 0, i = 0; p < pixels; p++, i += channels) {
    const key = ((data[i]! >> 3) << 10) | ((data[i + 1]! >> 3) << 5) | (data[i + 2]! >> 3);
    let label = lookup[key]!;
    if (label < 0) {
      label = closest(rgbToLab(((key >> 10) << 3) | 4, (((key >> 5) & 31) << 3) | 4, ((key & 31) << 3) | 4));
      lookup[key] = label;
    }
    labels[p] = label;
  }
  return { labels, palette };
}

/**
 * Majority (mode) filter over a (2·radius + 1)² window of labels: specks and blobs smaller than
 * the window take their neighbours' label, region boundaries stay put. Ties keep the own label.
 */
export function modeFilter(labels: Uint8Array, width: number, height: number, colours: number, radius = 1): Uint8Array {
  const out = new Uint8Array(labels.length);
  const votes = new Uint8Array(colours);
  for (let y = 0; y < height; y++) {
    const y0 = Math.max(0, y - radius), y1 = Math.min(height - 1, y + radius);
    for (let x = 0; x < width; x++) {
      const x0 = Math.max(0, x - radius), x1 = Math.min(width - 1, x + radius);
      const own = labels[y * width + x]!;
      // Most pixels already hold the majority of their window: count only their own label first.
      let same = 0;
      for (let yy = y0; yy <= y1; yy++) for (let xx = x0; xx <= x1; xx++) if (labels[yy * width + xx] === own) same++;
      if (same * 2 > (y1 - y0 + 1) * (x1 - x0 + 1)) {
        out[y * width + x] = own;
        continue;
      }
      let best = own, bestVotes = 0;
      for (let yy = y0; yy <= y1; yy++) for (let xx = x0; xx <= x1; xx++) votes[labels[yy * width + xx]!]!++;
      for (let yy = y0; yy <= y1; yy++) {
        for (let xx = x0; xx <= x1; xx++) {
          const l = labels[yy * width + xx]!;
          const v = votes[l]!;
          if (v > bestVotes || (v === bestVotes && l === own)) [best, bestVotes] = [l, v];
        }
      }
      for (let yy = y0; yy <= y1; yy++) for (let xx = x0; xx <= x1; xx++) votes[labels[yy * width + xx]!] = 0;
      out[y * width + x] = best;
    }
  }
  return out;
}
