/** Pixelate (mosaic), vignette and border. */
import type { Rgb } from '../raster/palette.js';
import type { Raster } from '../raster/raster.js';
import { viaSharp } from '../raster/raster.js';

/**
 * Mosaic of `block`-pixel squares, each the mean of the pixels it covers (alpha included). The
 * grid starts `offset` pixels before the top-left corner (0 ≤ offset < block), so blocks at the
 * left and top edges may be partial. One pass accumulates a band of blocks, one pass fills it.
 */
export function pixelate(raster: Raster, block: number, offset = { x: 0, y: 0 }): Raster {
  const { data, width, height, channels } = raster;
  const size = Math.max(2, Math.round(block));
  const ox = Math.floor(offset.x) % size;
  const oy = Math.floor(offset.y) % size;
  const columns = Math.ceil((width + ox) / size);
  const sums = new Float64Array(columns * channels);
  const out = Buffer.allocUnsafe(data.length);
  const rowBytes = width * channels;
  for (let top = 0; top < height; ) {
    const bottom = Math.min(height, top === 0 ? size - oy : top + size);
    sums.fill(0);
    for (let y = top; y < bottom; y++) {
      for (let x = 0, i = y * rowBytes; x < width; x++) {
        const s = (((x + ox) / size) | 0) * channels;
        for (let c = 0; c < channels; c++, i++) sums[s + c]! += data[i]!;
      }
    }
    const rows = bottom - top;
    for (let x = 0, i = top * rowBytes; x < width; x++) {
      const column = ((x + ox) / size) | 0;
      const count = rows * (Math.min(width, (column + 1) * size - ox) - Math.max(0, column * size - ox));
      const s = column * channels;
      for (let c = 0; c < channels; c++, i++) out[i] = sums[s + c]! / count + 0.5;
    }
    for (let y = top + 1; y < bottom; y++) out.copy(out, y * rowBytes, top * rowBytes, (top + 1) * rowBytes);
    top = bottom;
  }
  return { ...raster, data: out };
}

export interface VignetteParams {
  /** Darkening at the corners, 0–1. */
  strength: number;
  /** Share of the half-diagonal left untouched around the centre, 0–1. */
  inner: number;
}

const VIGNETTE_STEPS = 1024;

/** Darkens toward the corners along an ellipse that fits the picture, with a smooth falloff. */
export function vignette(raster: Raster, params: VignetteParams): Raster {
  const { data, width, height, channels } = raster;
  // Gain by squared normalised distance d² ∈ [0, 2] (2 at the corners), tabulated: entry k is d² = 2k / STEPS.
  const gain = new Float32Array(VIGNETTE_STEPS + 1);
  for (let k = 0; k <= VIGNETTE_STEPS; k++) {
    const d = Math.sqrt(k / VIGNETTE_STEPS);
    const t = Math.min(1, Math.max(0, (d - params.inner) / (1 - params.inner)));
    gain[k] = 1 - params.strength * t * t * (3 - 2 * t);
  }
  const dx = new Float32Array(width);
  for (let x = 0; x < width; x++) dx[x] = ((2 * x + 1) / width - 1) ** 2;
  const out = Buffer.allocUnsafe(data.length);
  const scale = VIGNETTE_STEPS / 2;
  for (let y = 0, i = 0; y < height; y++) {
    const dy = ((2 * y + 1) / height - 1) ** 2;
    for (let x = 0; x < width; x++, i += channels) {
      const g = gain[((dx[x]! + dy) * scale + 0.5) | 0]!;
      out[i] = data[i]! * g + 0.5;
      out[i + 1] = data[i + 1]! * g + 0.5;
      out[i + 2] = data[i + 2]! * g + 0.5;
      if (channels === 4) out[i + 3] = data[i + 3]!;
    }
  }
  return { ...raster, data: out };
}

/**
 * A uniform frame `thickness` pixels wide: the picture is scaled (cover, centred) into the inner
 * rectangle and the frame painted around it, so the output keeps its size and nothing is hidden
 * under the frame but a thin centred trim.
 */
export function border(raster: Raster, thickness: number, colour: Rgb): Promise<Raster> {
  const t = Math.max(1, Math.min(Math.round(thickness), Math.floor((Math.min(raster.width, raster.height) - 2) / 2)));
  const [r, g, b] = colour;
  return viaSharp(raster, (image) =>
    image
      .resize(raster.width - 2 * t, raster.height - 2 * t, { fit: 'cover', position: 'centre' })
      .extend({ top: t, bottom: t, left: t, right: t, background: { r, g, b, alpha: 1 } }),
  );
}
