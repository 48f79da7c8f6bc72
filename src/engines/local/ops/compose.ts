/** Several images in one: collage canvas, one image placed on another, and blending. */
import type { Size } from '../../../domain/models.js';
import type { Position } from '../plan.js';
import type { Raster } from '../raster/raster.js';
import { fromRaster, toRaster } from '../raster/raster.js';

export interface Rect {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** Copies `tile` (same channel count or RGB into RGBA) into `canvas` at (left, top), alpha-blending a tile with alpha. */
function paste(canvas: Raster, tile: Raster, left: number, top: number): void {
  const { data, width, channels } = canvas;
  const tc = tile.channels;
  for (let y = 0; y < tile.height; y++) {
    const cy = top + y;
    if (cy < 0 || cy >= canvas.height) continue;
    for (let x = 0; x < tile.width; x++) {
      const cx = left + x;
      if (cx < 0 || cx >= width) continue;
      const i = (cy * width + cx) * channels;
      const j = (y * tile.width + x) * tc;
      const a = tc === 4 ? tile.data[j + 3]! / 255 : 1;
      for (let c = 0; c < 3; c++) data[i + c] = data[i + c]! + (tile.data[j + c]! - data[i + c]!) * a + 0.5;
      if (channels === 4) data[i + 3] = Math.max(data[i + 3]!, tc === 4 ? tile.data[j + 3]! : 255);
    }
  }
}

/** A blank canvas of one colour (white paper where a collage has no tile). */
function canvasOf(size: Size, channels: 3 | 4): Raster {
  const data = Buffer.alloc(size.width * size.height * channels, 255);
  return { data, width: size.width, height: size.height, channels };
}

/** Tiles (already of their cell's size) pasted into their cells. */
export function assemble(size: Size, tiles: ReadonlyArray<{ tile: Raster; cell: Rect }>): Raster {
  const channels = tiles.some((t) => t.tile.channels === 4) ? 4 : 3;
  const canvas = canvasOf(size, channels);
  for (const { tile, cell } of tiles) paste(canvas, tile, cell.left, cell.top);
  return canvas;
}

/** Where a box of this size goes for a position, `margin` pixels from the edges it touches. */
export function anchor(position: Position, outer: Size, box: Size, margin: number): { left: number; top: number } {
  const horizontal = position.endsWith('left') ? 'start' : position.endsWith('right') ? 'end' : 'middle';
  const vertical = position.startsWith('top') ? 'start' : position.startsWith('bottom') ? 'end' : 'middle';
  const at = (where: string, total: number, size: number): number =>
    where === 'start' ? margin : where === 'end' ? total - size - margin : Math.round((total - size) / 2);
  return { left: at(horizontal, outer.width, box.width), top: at(vertical, outer.height, box.height) };
}

export interface PlaceParams {
  position: Position;
  /** Largest share of the picture's width and height the placed image may take. */
  scale: number;
  /** Gap to the edges, as a share of the picture's shorter side. */
  margin: number;
}

/** Pastes `overlay`, scaled to fit inside scale × the picture, at the position. */
export async function place(raster: Raster, overlay: Raster, params: PlaceParams): Promise<Raster> {
  const box = { width: Math.max(1, Math.round(raster.width * params.scale)), height: Math.max(1, Math.round(raster.height * params.scale)) };
  const fitted = await toRaster(fromRaster(overlay).resize(box.width, box.height, { fit: 'inside' }), overlay.channels === 4);
  const margin = params.position === 'centre' ? 0 : Math.round(Math.min(raster.width, raster.height) * params.margin);
  const { left, top } = anchor(params.position, raster, fitted, margin);
  const out: Raster = { ...raster, data: Buffer.from(raster.data) };
  paste(out, fitted, left, top);
  return out;
}

/** `source` covering the picture's size (centred), for a blend after the picture was turned. */
function coverTo(source: Raster, size: Size): Promise<Raster> {
  if (source.width === size.width && source.height === size.height) return Promise.resolve(source);
  return toRaster(fromRaster(source).resize(size.width, size.height, { fit: 'cover', position: 'centre' }), source.channels === 4);
}

/** out = picture + (source − picture) · opacity, per colour channel; the picture's alpha is kept. */
export async function blend(raster: Raster, source: Raster, opacity: number): Promise<Raster> {
  const other = await coverTo(source, raster);
  const { data, channels } = raster;
  const out = Buffer.allocUnsafe(data.length);
  const oc = other.channels;
  for (let i = 0, j = 0; i < data.length; i += channels, j += oc) {
    const a = oc === 4 ? (opacity * other.data[j + 3]!) / 255 : opacity;
    out[i] = data[i]! + (other.data[j]! - data[i]!) * a + 0.5;
    out[i + 1] = data[i + 1]! + (other.data[j + 1]! - data[i + 1]!) * a + 0.5;
    out[i + 2] = data[i + 2]! + (other.data[j + 2]! - data[i + 2]!) * a + 0.5;
    if (channels === 4) out[i + 3] = data[i + 3]!;
  }
  return { ...raster, data: out };
}
