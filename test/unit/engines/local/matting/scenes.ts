/** Test pictures with a known subject: a shaded, textured, irregular shape on a plain, studio or busy background. */
import sharp from 'sharp';
import { mulberry32 } from '../../../../../src/engines/local/raster/prng.js';
import type { Raster } from '../../../../../src/engines/local/raster/raster.js';
import { clamp, makeRaster } from '../fixtures.js';

export type Backdrop = 'plain' | 'studio' | 'busy';

/** Two overlapping discs and a bar: whether a point is on the subject. */
function inside(x: number, y: number, width: number, height: number): boolean {
  const s = Math.min(width, height);
  const body = (x - width * 0.45) ** 2 + (y - height * 0.55) ** 2 < (s * 0.25) ** 2;
  const head = (x - width * 0.6) ** 2 + (y - height * 0.3) ** 2 < (s * 0.14) ** 2;
  const arm = y > height * 0.5 && y < height * 0.58 && x > width * 0.2 && x < width * 0.8;
  return body || head || arm;
}

/** Share of the pixel the subject covers (4×4 samples), so its edge is anti-aliased like a photo's. */
function coverage(x: number, y: number, width: number, height: number): number {
  let hits = 0;
  for (let j = 0; j < 4; j++) for (let i = 0; i < 4; i++) if (inside(x + (i + 0.5) / 4, y + (j + 0.5) / 4, width, height)) hits++;
  return hits / 16;
}

/** The subject: 1 where it covers at least half the pixel. */
export function subjectMask(width: number, height: number): Uint8Array {
  const mask = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) mask[y * width + x] = coverage(x, y, width, height) >= 0.5 ? 1 : 0;
  return mask;
}

/** The subject on a backdrop; the subject is orange-brown with shading and a stripe texture. */
export function subjectScene(kind: Backdrop, width = 320, height = 320, seed = 7): { raster: Raster; mask: Uint8Array } {
  const mask = subjectMask(width, height);
  const rng = mulberry32(seed);
  const blocks = Array.from({ length: 40 }, () => ({ x: rng() * width, y: rng() * height, w: 10 + rng() * 60, h: 10 + rng() * 60, c: [rng() * 255, rng() * 255, rng() * 255] }));
  const backdrop = (x: number, y: number, n: number): [number, number, number] => {
    if (kind === 'plain') return [clamp(232 + n), clamp(232 + n), clamp(236 + n)];
    if (kind === 'studio') {
      const t = y / height;
      const r = Math.hypot(x - width / 2, y - height / 2) / width;
      return [clamp(150 + 95 * t - 30 * r + n), clamp(170 + 80 * t - 30 * r + n), clamp(200 + 50 * t - 30 * r + n)];
    }
    for (let k = blocks.length - 1; k >= 0; k--) {
      const b = blocks[k]!;
      if (x >= b.x && x < b.x + b.w && y >= b.y && y < b.y + b.h) return [clamp(b.c[0]! + n * 3), clamp(b.c[1]! + n * 3), clamp(b.c[2]! + n * 3)];
    }
    return [clamp(90 + 60 * Math.sin(x / 3) + n * 4), clamp(120 + 50 * Math.cos(y / 4) + n * 4), clamp(100 + n * 4)];
  };
  const raster = makeRaster(width, height, (x, y) => {
    const n = (rng() - 0.5) * 8;
    const behind = backdrop(x, y, n);
    const share = coverage(x, y, width, height);
    if (share === 0) return behind;
    const shade = 0.75 + 0.25 * Math.cos((x - width * 0.4) / (width * 0.3)) * Math.cos((y - height * 0.45) / (height * 0.3));
    const stripe = 14 * Math.sin((x + y) / 5);
    const front = [200 * shade + stripe + n, 110 * shade + stripe + n, 50 * shade + n];
    return [clamp(front[0]! * share + behind[0] * (1 - share)), clamp(front[1]! * share + behind[1] * (1 - share)), clamp(front[2]! * share + behind[2] * (1 - share))];
  });
  return { raster, mask };
}

/** Intersection over union of an alpha (≥ 128 counts as subject) and a 0/1 mask. */
export function iou(alpha: Uint8Array, mask: Uint8Array): number {
  let both = 0;
  let either = 0;
  for (let p = 0; p < mask.length; p++) {
    const a = alpha[p]! >= 128 ? 1 : 0;
    both += a & mask[p]!;
    either += a | mask[p]!;
  }
  return either === 0 ? 1 : both / either;
}

/**
 * A portrait drawn like a photo's flat shapes (anti-aliased, via sharp from an SVG): a head, neck
 * and hair, and a navy shirt whose curved shoulders run off the bottom edge, on a plain wall. The
 * mask is the same drawing without the wall, cut at half coverage.
 */
export async function portraitScene(wall: string, width = 320, height = 400): Promise<{ raster: Raster; mask: Uint8Array }> {
  const svg = (background: string): Buffer =>
    Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 640 800">
<rect width="640" height="800" fill="${background}"/>
<path d="M80 800 Q100 560 320 540 Q540 560 560 800 Z" fill="#2e3b4a"/>
<rect x="285" y="440" width="70" height="120" fill="#d9a77f"/>
<ellipse cx="320" cy="340" rx="120" ry="150" fill="#e8b890"/>
<path d="M200 320 Q200 170 320 170 Q440 170 440 320 Q420 230 320 230 Q220 230 200 320Z" fill="#3a2418"/>
<circle cx="275" cy="340" r="12" fill="#222"/><circle cx="365" cy="340" r="12" fill="#222"/>
<path d="M280 420 Q320 450 360 420" stroke="#933" stroke-width="8" fill="none"/>
</svg>`);
  const picture = await sharp(svg(wall)).removeAlpha().raw().toBuffer();
  const shapes = await sharp(svg('none')).ensureAlpha().extractChannel(3).raw().toBuffer();
  return { raster: { data: picture, width, height, channels: 3 }, mask: Uint8Array.from(shapes, (a) => (a >= 128 ? 1 : 0)) };
}

/** A white bottle outlined in light grey, with a blue cap, on an off-white backdrop: the bottle's body is the backdrop's colour. */
export async function whiteBottleScene(side = 300): Promise<Raster> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${side}" height="${side}" viewBox="0 0 600 600"><rect width="600" height="600" fill="#fafafa"/>
<rect x="180" y="150" width="240" height="320" rx="20" fill="#f2f2f2" stroke="#ddd" stroke-width="3"/><rect x="230" y="110" width="140" height="50" fill="#3355aa"/></svg>`;
  const data = await sharp(Buffer.from(svg)).removeAlpha().raw().toBuffer();
  return { data, width: side, height: side, channels: 3 };
}
