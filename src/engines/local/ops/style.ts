/**
 * "In the style of image 2": colour transfer after Reinhard et al. (2001), matching the mean and
 * standard deviation of each CIELAB channel of the edited image to those of the reference.
 */
import type { Raster } from '../raster/raster.js';
import { fromRaster } from '../raster/raster.js';

type Triple = [number, number, number];

export interface LabStats {
  mean: Triple;
  std: Triple;
}

/** sharp converts to float Lab (D65) off the event loop; the way back is done here. */
async function toLab(raster: Raster): Promise<Float32Array> {
  const buffer = await fromRaster(raster).removeAlpha().toColourspace('lab').raw({ depth: 'float' }).toBuffer();
  return new Float32Array(buffer.buffer, buffer.byteOffset, buffer.length / 4);
}

function statsOf(lab: Float32Array): LabStats {
  const sum: Triple = [0, 0, 0];
  const sq: Triple = [0, 0, 0];
  for (let i = 0; i < lab.length; i += 3) {
    const l = lab[i]!, a = lab[i + 1]!, b = lab[i + 2]!;
    sum[0] += l;
    sum[1] += a;
    sum[2] += b;
    sq[0] += l * l;
    sq[1] += a * a;
    sq[2] += b * b;
  }
  const n = Math.max(1, lab.length / 3);
  const mean: Triple = [sum[0] / n, sum[1] / n, sum[2] / n];
  const std = mean.map((m, c) => Math.sqrt(Math.max(0, sq[c]! / n - m * m))) as Triple;
  return { mean, std };
}

export async function labStats(raster: Raster): Promise<LabStats> {
  return statsOf(await toLab(raster));
}

const ENCODE_STEPS = 8192;
/** Linear light [0, 1] → sRGB byte, sampled finely enough to stay within one level. */
const SRGB_ENCODE = (() => {
  const lut = new Uint8Array(ENCODE_STEPS + 1);
  for (let i = 0; i <= ENCODE_STEPS; i++) {
    const v = i / ENCODE_STEPS;
    const s = v <= 0.0031308 ? 12.92 * v : 1.055 * Math.pow(v, 1 / 2.4) - 0.055;
    lut[i] = Math.round(s * 255);
  }
  return lut;
})();

function encode(linear: number): number {
  const i = linear * ENCODE_STEPS + 0.5;
  return SRGB_ENCODE[i < 0 ? 0 : i > ENCODE_STEPS ? ENCODE_STEPS : i | 0]!;
}

/** Inverse of the CIELAB companding function. */
const EPSILON = 6 / 29;
const SLOPE = 3 * EPSILON * EPSILON;
function finv(t: number): number {
  return t > EPSILON ? t * t * t : SLOPE * (t - 4 / 29);
}

/** A spread ratio beyond this would amplify noise (or a flat channel) into garish colour. */
const MAX_SPREAD_RATIO = 4;

/** `strength` 0 keeps the image, 1 matches the reference's statistics fully. */
export async function colourTransfer(raster: Raster, reference: LabStats, strength: number): Promise<Raster> {
  const lab = await toLab(raster);
  const own = statsOf(lab);
  const scale = [0, 1, 2].map((c) => {
    const ratio = Math.min(MAX_SPREAD_RATIO, Math.max(1 / MAX_SPREAD_RATIO, reference.std[c]! / Math.max(own.std[c]!, 1e-3)));
    return 1 + (ratio - 1) * strength;
  }) as Triple;
  const target = [0, 1, 2].map((c) => own.mean[c]! + (reference.mean[c]! - own.mean[c]!) * strength) as Triple;
  const { data, channels } = raster;
  const out = Buffer.allocUnsafe(data.length);
  for (let p = 0, i = 0; i < lab.length; p += channels, i += 3) {
    const L = (lab[i]! - own.mean[0]) * scale[0] + target[0];
    const A = (lab[i + 1]! - own.mean[1]) * scale[1] + target[1];
    const B = (lab[i + 2]! - own.mean[2]) * scale[2] + target[2];
    const fy = (L + 16) * (1 / 116);
    const X = 0.95047 * finv(fy + A * 0.002);
    const Y = finv(fy);
    const Z = 1.08883 * finv(fy - B * 0.005);
    out[p] = encode(3.2404542 * X - 1.5371385 * Y - 0.4985314 * Z);
    out[p + 1] = encode(-0.969266 * X + 1.8760108 * Y + 0.041556 * Z);
    out[p + 2] = encode(0.0556434 * X - 0.2040259 * Y + 1.0572252 * Z);
    if (channels === 4) out[p + 3] = data[p + 3]!;
  }
  return { ...raster, data: out };
}
