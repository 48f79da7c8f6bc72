/**
 * Soft edges: the hard label refined by a colour guided filter (He, Sun, Tang, "Guided Image
 * Filtering", PAMI 2013) in its fast form — the linear coefficients are found at the small size and
 * applied to the full-size pixels, so the alpha follows the picture's own edges at full resolution
 * (hair-thin detail below the small size is still lost).
 */
import type { Raster } from '../../raster/raster.js';
import type { Small } from './planes.js';
import { boxMean } from './planes.js';

/** Regularisation in 0–1 colour units: smaller follows weaker edges. */
const EPSILON = 1e-3;
/** Alpha below/above these is cleaned to 0/1 (the filter leaves a faint haze around the subject). */
const CLEAN_LOW = 0.06;
const CLEAN_HIGH = 0.94;

interface Coefficients {
  /** Per small pixel: a (3 values) and b, already box-averaged. */
  a: Float32Array;
  b: Float32Array;
}

function coefficients(small: Small, label: Uint8Array, radius: number): Coefficients {
  const { width, height, rgb } = small;
  const n = width * height;
  const mean = (plane: Float32Array): Float32Array => boxMean(plane, width, height, radius);
  // Plain loops: Float32Array.from with a mapping function is several times slower here.
  const channel = (c: number): Float32Array => {
    const plane = new Float32Array(n);
    for (let k = 0; k < n; k++) plane[k] = rgb[3 * k + c]!;
    return plane;
  };
  const product = (u: Float32Array, v: Float32Array): Float32Array => {
    const plane = new Float32Array(n);
    for (let k = 0; k < n; k++) plane[k] = u[k]! * v[k]!;
    return plane;
  };
  const i = [channel(0), channel(1), channel(2)] as const;
  const p = Float32Array.from(label);
  const mi = i.map(mean);
  const mp = mean(p);
  const mip = i.map((plane) => mean(product(plane, p)));
  const pairs = [[0, 0], [0, 1], [0, 2], [1, 1], [1, 2], [2, 2]] as const;
  const mii = pairs.map(([u, v]) => mean(product(i[u], i[v])));
  const a = [new Float32Array(n), new Float32Array(n), new Float32Array(n)] as const;
  const b = new Float32Array(n);
  for (let k = 0; k < n; k++) {
    const m0 = mi[0]![k]!, m1 = mi[1]![k]!, m2 = mi[2]![k]!, pm = mp[k]!;
    const c0 = mip[0]![k]! - m0 * pm, c1 = mip[1]![k]! - m1 * pm, c2 = mip[2]![k]! - m2 * pm;
    // Covariance of the colours in the window, plus ε on the diagonal; solved by its adjugate.
    const s00 = mii[0]![k]! - m0 * m0 + EPSILON, s01 = mii[1]![k]! - m0 * m1, s02 = mii[2]![k]! - m0 * m2;
    const s11 = mii[3]![k]! - m1 * m1 + EPSILON, s12 = mii[4]![k]! - m1 * m2, s22 = mii[5]![k]! - m2 * m2 + EPSILON;
    const i00 = s11 * s22 - s12 * s12, i01 = s02 * s12 - s01 * s22, i02 = s01 * s12 - s02 * s11;
    const i11 = s00 * s22 - s02 * s02, i12 = s01 * s02 - s00 * s12, i22 = s00 * s11 - s01 * s01;
    const det = s00 * i00 + s01 * i01 + s02 * i02;
    const a0 = (i00 * c0 + i01 * c1 + i02 * c2) / det;
    const a1 = (i01 * c0 + i11 * c1 + i12 * c2) / det;
    const a2 = (i02 * c0 + i12 * c1 + i22 * c2) / det;
    a[0][k] = a0;
    a[1][k] = a1;
    a[2][k] = a2;
    b[k] = pm - a0 * m0 - a1 * m1 - a2 * m2;
  }
  const ma = [mean(a[0]), mean(a[1]), mean(a[2])];
  const mb = mean(b);
  const packed = new Float32Array(3 * n);
  for (let k = 0; k < n; k++) {
    packed[3 * k] = ma[0]![k]!;
    packed[3 * k + 1] = ma[1]![k]!;
    packed[3 * k + 2] = ma[2]![k]!;
  }
  return { a: packed, b: mb };
}

/** Full-size alpha (0–255) for the raster from the small picture's label. */
export function refineAlpha(raster: Raster, small: Small, label: Uint8Array): Uint8Array {
  const radius = Math.max(1, Math.round(Math.max(small.width, small.height) / 200));
  const { a, b } = coefficients(small, label, radius);
  const { width, height, data, channels } = raster;
  const sw = small.width, sh = small.height;
  const alpha = new Uint8Array(width * height);
  const fx = sw / width, fy = sh / height;
  const span = CLEAN_HIGH - CLEAN_LOW;
  for (let y = 0; y < height; y++) {
    // Bilinear sample of the coefficients at the pixel's centre in the small grid.
    const sy = Math.min(sh - 1, Math.max(0, (y + 0.5) * fy - 0.5));
    const y0 = Math.floor(sy), y1 = Math.min(sh - 1, y0 + 1), wy = sy - y0;
    for (let x = 0; x < width; x++) {
      const sx = Math.min(sw - 1, Math.max(0, (x + 0.5) * fx - 0.5));
      const x0 = Math.floor(sx), x1 = Math.min(sw - 1, x0 + 1), wx = sx - x0;
      const k00 = y0 * sw + x0, k01 = y0 * sw + x1, k10 = y1 * sw + x0, k11 = y1 * sw + x1;
      const w00 = (1 - wx) * (1 - wy), w01 = wx * (1 - wy), w10 = (1 - wx) * wy, w11 = wx * wy;
      const i = (y * width + x) * channels;
      let q = w00 * b[k00]! + w01 * b[k01]! + w10 * b[k10]! + w11 * b[k11]!;
      for (let c = 0; c < 3; c++) {
        const coefficient = w00 * a[3 * k00 + c]! + w01 * a[3 * k01 + c]! + w10 * a[3 * k10 + c]! + w11 * a[3 * k11 + c]!;
        q += (coefficient * data[i + c]!) / 255;
      }
      const t = (q - CLEAN_LOW) / span;
      alpha[y * width + x] = t <= 0 ? 0 : t >= 1 ? 255 : Math.round(t * 255);
    }
  }
  return alpha;
}
