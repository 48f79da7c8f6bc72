/**
 * Which pixels of the frame band show the backdrop. A subject often touches the frame (a portrait's
 * shoulders, a cropped product): its colours there must not teach the backdrop model. The band is
 * split where neighbouring colours jump (a studio sweep changes smoothly, a subject's edge does
 * not); the backdrop is the largest run, the runs at least half its size, and the runs that reach
 * the top edge, which in photos is almost always backdrop. A band that falls into small runs
 * (clutter) is taken whole.
 */

/** Largest colour step (ΔE) between neighbours within one run of the band. */
const STEP = 12;
/**
 * Farthest a run's pixel may be from the run's mean colour so far (ΔE). Steps alone chain through
 * an anti-aliased edge (wall, wall-ish, shirt-ish, shirt: each step small), so a run also bounds
 * its spread: a studio sweep, whose colours stay within about 20 of their mean, stays one run; a
 * wall and a navy shirt (about 40 apart) do not.
 */
const SPREAD = 25;
const TOP_SHARE = 0.1;
const PEER_SHARE = 0.5;
const MOSTLY = 0.5;

function indicesOf(mask: Uint8Array): Int32Array {
  const out: number[] = [];
  for (let p = 0; p < mask.length; p++) if (mask[p] === 1) out.push(p);
  return Int32Array.from(out);
}

export interface Band {
  /** Band pixels that show the backdrop. */
  backdrop: Int32Array;
  /** 1 for every pixel in the band. */
  inBand: Uint8Array;
}

export function frameBand(lab: Float32Array, width: number, height: number): Band {
  const n = width * height;
  const depth = Math.max(2, Math.round(0.04 * Math.min(width, height)));
  const inBand = new Uint8Array(n);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) if (x < depth || y < depth || x >= width - depth || y >= height - depth) inBand[y * width + x] = 1;
  }
  const near = (p: number, q: number): boolean => {
    const dl = lab[3 * p]! - lab[3 * q]!, da = lab[3 * p + 1]! - lab[3 * q + 1]!, db = lab[3 * p + 2]! - lab[3 * q + 2]!;
    return dl * dl + da * da + db * db < STEP * STEP;
  };
  const sum = [0, 0, 0];
  const nearMean = (q: number, size: number): boolean => {
    const dl = lab[3 * q]! - sum[0]! / size, da = lab[3 * q + 1]! - sum[1]! / size, db = lab[3 * q + 2]! - sum[2]! / size;
    return dl * dl + da * da + db * db < SPREAD * SPREAD;
  };
  const run = new Int32Array(n).fill(-1);
  const stack = new Int32Array(n);
  const sizes: number[] = [];
  const reachesTop: boolean[] = [];
  for (let start = 0; start < n; start++) {
    if (inBand[start] === 0 || run[start] !== -1) continue;
    const id = sizes.length;
    let size = 0;
    let top = false;
    let sp = 0;
    stack[sp++] = start;
    run[start] = id;
    sum.fill(0);
    while (sp > 0) {
      const p = stack[--sp]!;
      size++;
      for (let c = 0; c < 3; c++) sum[c]! += lab[3 * p + c]!;
      const x = p % width;
      if (p < width * depth) top = true;
      for (let d = 0; d < 4; d++) {
        const q = d === 0 ? (x > 0 ? p - 1 : -1) : d === 1 ? (x < width - 1 ? p + 1 : -1) : d === 2 ? p - width : p + width;
        if (q < 0 || q >= n || inBand[q] === 0 || run[q] !== -1 || !near(p, q) || !nearMean(q, size)) continue;
        run[q] = id;
        stack[sp++] = q;
      }
    }
    sizes.push(size);
    reachesTop.push(top);
  }
  const largest = sizes.reduce((max, s) => Math.max(max, s), 0);
  const kept = sizes.map((size, id) => size >= PEER_SHARE * largest || (reachesTop[id] === true && size >= TOP_SHARE * largest));
  const backdrop: number[] = [];
  let bandSize = 0;
  for (let p = 0; p < n; p++) {
    bandSize += inBand[p]!;
    if (inBand[p] === 1 && kept[run[p]!] === true) backdrop.push(p);
  }
  // A band in many small runs is clutter, not a subject at the frame: the whole band is the best guess.
  if (backdrop.length < MOSTLY * bandSize) return { backdrop: indicesOf(inBand), inBand };
  return { backdrop: Int32Array.from(backdrop), inBand };
}
