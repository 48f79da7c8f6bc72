/** Small seeded randomness: every pixel the local engine makes is a function of the seed. */

export type Rng = () => number;

/** mulberry32: 32-bit state, fast, good enough for picking parameters. Returns [0, 1). */
export function mulberry32(seed: number): Rng {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a over UTF-16 code units. */
export function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** An independent stream for (seed, salt), so adding an operation does not shift the others. */
export function rngFor(seed: number, salt: number): Rng {
  return mulberry32(Math.imul((seed >>> 0) ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(salt + 1, 0xc2b2ae35));
}

export function between(rng: Rng, min: number, max: number): number {
  return min + (max - min) * rng();
}

/** A magnitude in [min, max] with a random sign. */
export function signed(rng: Rng, min: number, max: number): number {
  const magnitude = between(rng, min, max);
  return rng() < 0.5 ? -magnitude : magnitude;
}
