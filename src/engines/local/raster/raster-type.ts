/** Raw 8-bit pixels passed between operations (its own file, so resampling needs nothing else of raster.ts). */
export interface Raster {
  data: Buffer;
  width: number;
  height: number;
  /** RGB, or RGBA when the input had meaningful transparency. */
  channels: 3 | 4;
}
