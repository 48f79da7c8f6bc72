/** Rotations by quarter turns and mirror flips. */
import type { FlipAxis, QuarterTurn } from '../plan.js';
import type { Raster } from '../raster/raster.js';
import { viaSharp } from '../raster/raster.js';

/** Clockwise degrees. */

export function rotate(raster: Raster, angle: QuarterTurn): Promise<Raster> {
  return viaSharp(raster, (image) => image.rotate(angle));
}

/** Horizontal mirrors left↔right (sharp's flop); vertical mirrors top↔bottom (sharp's flip). */
export function flip(raster: Raster, axis: FlipAxis): Promise<Raster> {
  return viaSharp(raster, (image) => (axis === 'horizontal' ? image.flop() : image.flip()));
}
