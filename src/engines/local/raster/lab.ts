/** sRGB to CIELAB (D65), for the colour models of matting and the cartoon's palette. */

export type Lab = [number, number, number];

/** sRGB component (0–1) to linear light. */
export function linearOf(c: number): number {
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
}

const f = (t: number): number => (t > 216 / 24389 ? Math.cbrt(t) : ((24389 / 27) * t + 16) / 116);

/** Linear-light RGB to CIELAB. */
export function labOfLinear(r: number, g: number, b: number): Lab {
  const x = f((0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047);
  const y = f(0.2126 * r + 0.7152 * g + 0.0722 * b);
  const z = f((0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883);
  return [116 * y - 16, 500 * (x - y), 200 * (y - z)];
}
