/**
 * Colour quantisation to a small palette chosen from the picture: k-means in CIELAB on a seeded
 * subsample (deterministic), then small but salient colours the sample missed (dark eyes, a door)
 * swapped in for the closest pair of centres, a settling over the whole picture's colour
 * histogram, and every pixel mapped to its nearest palette colour through a 15-bit RGB lookup, so
 * the full-size pass costs one table read per pixel.
 */
import type { Lab } from './lab.js';
import { labOfLinear, linearOf } from './lab.js';
import type { Rgb } from './palette.js';
import { mulberry32 } from './prng.js';
import type { Raster } from './raster.js';

/** Linear light of every sRGB byte, so a pixel's conversion is three table reads. */
const LINEAR = Float64Array.from({ length: 256 }, (_, v) => linearOf(v / 255));

/** sRGB byte triple → CIELAB (D65). */
export function rgbToLab(r: number, g: number, b: number): Lab {
  return labOfLinear(LINEAR[r]!, LINEAR[g]!, LINEAR[b]!);
}

const distance2 = (p: Lab, q: Lab): number => (p[0] - q[0]) ** 2 + (p[1] - q[1]) ** 2 + (p[2] - q[2]) ** 2;

const SAMPLES = 4096;
const ROUNDS = 10;
/** Lloyd rounds over the whole picture's histogram after the salient colours are in. */
const SETTLE_ROUNDS = 2;
/** ΔE (CIELAB) from every palette colour above which a colour of the picture is salient. */
const SALIENT = 20;
/** Share of the picture a salient colour must cover (about a 16 px disc at 1024²): not stray pixels. */
const SALIENT_SHARE = 1 / 4000;

interface Bin {
  /** Pixels in the bin, the sum of their sRGB values, and the CIELAB of their mean. */
  count: number;
  sum: Rgb;
  lab: Lab;
  /** Pixels in this bin and its 26 neighbours: how much of the picture has about this colour. */
  support: number;
}

/** The picture's colours in 16-level bins per channel (4096 bins), with their support. */
function histogram(raster: Raster): Bin[] {
  const { data, channels } = raster;
  const counts = new Uint32Array(4096);
  const sums = new Float64Array(4096 * 3);
  for (let i = 0; i < data.length; i += channels) {
    const r = data[i]!, g = data[i + 1]!, b = data[i + 2]!;
    const key = ((r >> 4) << 8) | ((g >> 4) << 4) | (b >> 4);
    counts[key]!++;
    sums[key * 3] = sums[key * 3]! + r; sums[key * 3 + 1] = sums[key * 3 + 1]! + g; sums[key * 3 + 2] = sums[key * 3 + 2]! + b;
  }
  const bins: Bin[] = [];
  for (let key = 0; key < 4096; key++) {
    const count = counts[key]!;
    if (count === 0) continue;
    const r0 = key >> 8, g0 = (key >> 4) & 15, b0 = key & 15;
    let support = 0;
    for (let r = Math.max(0, r0 - 1); r <= Math.min(15, r0 + 1); r++) {
      for (let g = Math.max(0, g0 - 1); g <= Math.min(15, g0 + 1); g++) {
        for (let b = Math.max(0, b0 - 1); b <= Math.min(15, b0 + 1); b++) support += counts[(r << 8) | (g << 4) | b]!;
      }
    }
    const sum: Rgb = [sums[key * 3]!, sums[key * 3 + 1]!, sums[key * 3 + 2]!];
    bins.push({ count, sum, lab: rgbToLab(Math.round(sum[0] / count), Math.round(sum[1] / count), Math.round(sum[2] / count)), support });
  }
  return bins;
}

/**
 * A uniform sample gives a small but salient region (dark eyes, a door, a trunk of its own hue)
 * few samples and so no cluster: it would take a neighbour's colour. While some colour covering
 * enough of the picture is farther (ΔE) from every centre than the two closest centres are from
 * each other, those two merge and the salient colour takes the freed place (a farthest-point
 * refinement; the palette size stays).
 */
function keepSalient(centres: Lab[], bins: readonly Bin[], pixels: number): void {
  const minSupport = Math.max(16, pixels * SALIENT_SHARE);
  for (let step = 0; step < centres.length; step++) {
    let far: Bin | undefined, farD = SALIENT * SALIENT;
    for (const bin of bins) {
      if (bin.support < minSupport) continue;
      const d = Math.min(...centres.map((c) => distance2(bin.lab, c)));
      if (d > farD) [far, farD] = [bin, d];
    }
    if (far === undefined) return;
    let a = 0, b = 1, pairD = Infinity;
    for (let i = 0; i < centres.length; i++) {
      for (let j = i + 1; j < centres.length; j++) {
        const d = distance2(centres[i]!, centres[j]!);
        if (d < pairD) [a, b, pairD] = [i, j, d];
      }
    }
    if (pairD >= farD) return;
    const p = centres[a]!, q = centres[b]!;
    centres[a] = [(p[0] + q[0]) / 2, (p[1] + q[1]) / 2, (p[2] + q[2]) / 2];
    centres[b] = [...far.lab];
  }
}

export interface Quantised {
  /** Palette index per pixel. */
  labels: Uint8Array;
  /** The palette, as the mean sRGB colour of the pixels of each cluster. */
  palette: Rgb[];
}

/** k-means++ seeding then Lloyd rounds on a subsample; `colours` ≤ 255. */
export function quantise(raster: Raster, colours: number, seed: number): Quantised {
  const { data, width, height, channels } = raster;
  const pixels = width * height;
  const rng = mulberry32(seed);
  const count = Math.min(SAMPLES, pixels);
  const samples: Lab[] = [];
  for (let s = 0; s < count; s++) {
    const i = Math.floor(rng() * pixels) * channels;
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
    samples.forEach((p) => {
      const c = closest(p);
      const sum = sums[c]!;
      sum[0] += p[0]; sum[1] += p[1]; sum[2] += p[2];
      sizes[c]!++;
    });
    sums.forEach((sum, c) => {
      const n = sizes[c]!;
      if (n > 0) centres[c] = [sum[0] / n, sum[1] / n, sum[2] / n];
    });
  }
  const bins = histogram(raster);
  keepSalient(centres, bins, pixels);
  // Every pixel (through its bin) settles the palette: a small region the sample barely saw keeps its own mean.
  const palette = centres.map((): Rgb => [0, 0, 0]);
  const weights = new Array<number>(centres.length).fill(0);
  for (let round = 0; round <= SETTLE_ROUNDS; round++) {
    const sums = centres.map((): Lab => [0, 0, 0]);
    weights.fill(0);
    palette.forEach((entry) => entry.fill(0));
    bins.forEach((bin) => {
      const c = closest(bin.lab), sum = sums[c]!, entry = palette[c]!;
      sum[0] += bin.lab[0] * bin.count; sum[1] += bin.lab[1] * bin.count; sum[2] += bin.lab[2] * bin.count;
      entry[0] += bin.sum[0]; entry[1] += bin.sum[1]; entry[2] += bin.sum[2];
      weights[c]! += bin.count;
    });
    if (round < SETTLE_ROUNDS) sums.forEach((sum, c) => {
      const n = weights[c]!;
      if (n > 0) centres[c] = [sum[0] / n, sum[1] / n, sum[2] / n];
    });
  }
  palette.forEach((entry, c) => {
    const n = Math.max(1, weights[c]!);
    entry[0] = Math.round(entry[0] / n); entry[1] = Math.round(entry[1] / n); entry[2] = Math.round(entry[2] / n);
  });
  // A centre no colour of the picture is nearest to has no mean: it goes.
  for (let c = centres.length - 1; c >= 0; c--) {
    if (weights[c] === 0) {
      centres.splice(c, 1);
      palette.splice(c, 1);
    }
  }
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
