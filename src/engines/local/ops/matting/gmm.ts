/**
 * Colour models for the segmentation: a few diagonal Gaussians in CIELAB fitted by k-means
 * (deterministic: farthest-point seeding on a strided sample), so a studio backdrop's gradient or a
 * two-tone subject is several clusters rather than one wide blob.
 */

export interface ColourModel {
  /** Per cluster: weight, mean (3), inverse variance (3) and the log of weight / normaliser. */
  weight: Float64Array;
  mean: Float64Array;
  inverseVariance: Float64Array;
  logScale: Float64Array;
}

/** Lab values below a spread of 3 units are noise: without a floor a flat backdrop is a spike. */
const VARIANCE_FLOOR = 9;
const MAX_SAMPLES = 12_000;
const ITERATIONS = 8;

function squaredDistance(lab: Float32Array, p: number, mean: Float64Array, k: number): number {
  const dl = lab[3 * p]! - mean[3 * k]!;
  const da = lab[3 * p + 1]! - mean[3 * k + 1]!;
  const db = lab[3 * p + 2]! - mean[3 * k + 2]!;
  return dl * dl + da * da + db * db;
}

function nearest(lab: Float32Array, p: number, mean: Float64Array, clusters: number): number {
  let best = 0;
  let bestDistance = Infinity;
  for (let k = 0; k < clusters; k++) {
    const d = squaredDistance(lab, p, mean, k);
    if (d < bestDistance) {
      bestDistance = d;
      best = k;
    }
  }
  return best;
}

/** Fits up to `clusters` Gaussians to the pixels listed in `pixels` (indices into `lab`, 3 values each). */
export function fitModel(lab: Float32Array, pixels: Int32Array, clusters: number): ColourModel {
  const stride = Math.max(1, Math.floor(pixels.length / MAX_SAMPLES));
  const sample = new Int32Array(Math.ceil(pixels.length / stride));
  for (let i = 0, s = 0; i < pixels.length; i += stride) sample[s++] = pixels[i]!;
  const k = Math.max(1, Math.min(clusters, sample.length));
  const mean = new Float64Array(3 * k);
  // Farthest-point seeding from the first sample: spread, and the same every time.
  const seedDistance = new Float64Array(sample.length).fill(Infinity);
  let next = 0;
  for (let c = 0; c < k; c++) {
    const p = sample[next]!;
    mean.set([lab[3 * p]!, lab[3 * p + 1]!, lab[3 * p + 2]!], 3 * c);
    let far = 0;
    for (let s = 0; s < sample.length; s++) {
      seedDistance[s] = Math.min(seedDistance[s]!, squaredDistance(lab, sample[s]!, mean, c));
      if (seedDistance[s]! > seedDistance[far]!) far = s;
    }
    next = far;
  }
  const sums = new Float64Array(7 * k);
  for (let iteration = 0; iteration <= ITERATIONS; iteration++) {
    sums.fill(0);
    for (let s = 0; s < sample.length; s++) {
      const p = sample[s]!;
      const c = nearest(lab, p, mean, k);
      const l = lab[3 * p]!, a = lab[3 * p + 1]!, b = lab[3 * p + 2]!;
      const o = 7 * c;
      sums[o]! += 1;
      sums[o + 1]! += l;
      sums[o + 2]! += a;
      sums[o + 3]! += b;
      sums[o + 4]! += l * l;
      sums[o + 5]! += a * a;
      sums[o + 6]! += b * b;
    }
    for (let c = 0; c < k; c++) {
      const count = sums[7 * c]!;
      if (count > 0) for (let ch = 0; ch < 3; ch++) mean[3 * c + ch] = sums[7 * c + 1 + ch]! / count;
    }
  }
  const weight = new Float64Array(k);
  const inverseVariance = new Float64Array(3 * k);
  const logScale = new Float64Array(k);
  for (let c = 0; c < k; c++) {
    const count = sums[7 * c]!;
    weight[c] = count / sample.length;
    let logDet = 0;
    for (let ch = 0; ch < 3; ch++) {
      const m = mean[3 * c + ch]!;
      const variance = count > 0 ? Math.max(VARIANCE_FLOOR, sums[7 * c + 4 + ch]! / count - m * m) : VARIANCE_FLOOR;
      inverseVariance[3 * c + ch] = 1 / variance;
      logDet += Math.log(variance);
    }
    logScale[c] = count > 0 ? Math.log(weight[c]!) - 0.5 * logDet - 1.5 * Math.log(2 * Math.PI) : -Infinity;
  }
  return { weight, mean, inverseVariance, logScale };
}

/** −log p(colour of pixel p | model), capped so one outlier colour cannot dominate the cut. */
export function negativeLogLikelihood(model: ColourModel, lab: Float32Array, p: number, cap: number): number {
  const l = lab[3 * p]!, a = lab[3 * p + 1]!, b = lab[3 * p + 2]!;
  const { mean, inverseVariance, logScale } = model;
  let best = -Infinity;
  let sum = 0;
  // Log-sum-exp over the clusters.
  for (let c = 0; c < logScale.length; c++) {
    if (logScale[c] === -Infinity) continue;
    const dl = l - mean[3 * c]!, da = a - mean[3 * c + 1]!, db = b - mean[3 * c + 2]!;
    const term = logScale[c]! - 0.5 * (dl * dl * inverseVariance[3 * c]! + da * da * inverseVariance[3 * c + 1]! + db * db * inverseVariance[3 * c + 2]!);
    if (term > best) {
      sum = sum * Math.exp(best - term) + 1;
      best = term;
    } else sum += Math.exp(term - best);
  }
  const logLikelihood = best + Math.log(sum);
  return Number.isFinite(logLikelihood) ? Math.min(cap, -logLikelihood) : cap;
}
