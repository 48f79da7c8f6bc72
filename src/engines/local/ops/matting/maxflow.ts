/**
 * Minimum s–t cut on a 4-connected pixel grid: the Boykov–Kolmogorov augmenting-path algorithm
 * (search trees grown from both terminals and reused between augmentations; "An Experimental
 * Comparison of Min-Cut/Max-Flow Algorithms", PAMI 2004), on typed arrays only. Memory is about
 * 40 bytes per pixel; the caller bounds the grid (see segment.ts).
 */

/** Direction d from a pixel: 0 right, 1 left, 2 down, 3 up; the reverse of d is d ^ 1. */
const DIRECTIONS = 4;
const FREE = 0;
const SOURCE = 1;
const SINK = 2;
const TERMINAL = -2;
const NO_PARENT = -1;
const INFINITE = 0x7fffffff;

export interface GridGraph {
  width: number;
  height: number;
  /** Terminal capacity per pixel: > 0 to the source (foreground), < 0 to the sink (background). */
  terminal: Float32Array;
  /** Capacity of the edge from pixel p in direction d at 4p + d (both directions of a pair are set). */
  edges: Float32Array;
}

export function gridGraph(width: number, height: number): GridGraph {
  return { width, height, terminal: new Float32Array(width * height), edges: new Float32Array(width * height * DIRECTIONS) };
}

/** Solves the cut in place (the capacities become residuals); 1 where a pixel is on the source side. */
export function minCut(graph: GridGraph): Uint8Array {
  const { width, height, terminal: tr, edges: cap } = graph;
  const n = width * height;
  const tree = new Uint8Array(n);
  const parent = new Int32Array(n).fill(NO_PARENT);
  /** Direction from a pixel to its parent. */
  const parentDir = new Uint8Array(n);
  const stamp = new Int32Array(n);
  const dist = new Int32Array(n);
  const queue = new Int32Array(n + 1);
  const queued = new Uint8Array(n);
  const orphans = new Int32Array(n);
  let head = 0;
  let tail = 0;
  let orphanCount = 0;
  let time = 0;

  const neighbour = (p: number, d: number): number => {
    const x = p % width;
    if (d === 0) return x < width - 1 ? p + 1 : -1;
    if (d === 1) return x > 0 ? p - 1 : -1;
    if (d === 2) return p + width < n ? p + width : -1;
    return p >= width ? p - width : -1;
  };
  const activate = (p: number): void => {
    if (queued[p] === 1) return;
    queued[p] = 1;
    queue[tail] = p;
    tail = tail === n ? 0 : tail + 1;
  };

  for (let p = 0; p < n; p++) {
    const t = tr[p]!;
    if (t === 0) continue;
    tree[p] = t > 0 ? SOURCE : SINK;
    parent[p] = TERMINAL;
    dist[p] = 1;
    activate(p);
  }

  for (;;) {
    // Growth: extend the trees from the front active pixel until they touch.
    let from = -1;
    let to = -1;
    let dir = 0;
    while (head !== tail) {
      const p = queue[head]!;
      const side = tree[p]!;
      if (side !== FREE) {
        for (let d = 0; d < DIRECTIONS; d++) {
          const q = neighbour(p, d);
          if (q < 0) continue;
          const residual = side === SOURCE ? cap[4 * p + d]! : cap[4 * q + (d ^ 1)]!;
          if (residual <= 0) continue;
          if (tree[q] === FREE) {
            tree[q] = side;
            parent[q] = p;
            parentDir[q] = d ^ 1;
            stamp[q] = stamp[p]!;
            dist[q] = dist[p]! + 1;
            activate(q);
          } else if (tree[q] !== side) {
            [from, to, dir] = side === SOURCE ? [p, q, d] : [q, p, d ^ 1];
            break;
          }
        }
        if (from >= 0) break;
      }
      queued[p] = 0;
      head = head === n ? 0 : head + 1;
    }
    if (from < 0) break;

    // Augmentation along source → from → to → sink by the bottleneck.
    time++;
    let flow = cap[4 * from + dir]!;
    for (let p = from; ; ) {
      const up = parent[p]!;
      if (up === TERMINAL) {
        flow = Math.min(flow, tr[p]!);
        break;
      }
      flow = Math.min(flow, cap[4 * up + (parentDir[p]! ^ 1)]!);
      p = up;
    }
    for (let p = to; ; ) {
      const up = parent[p]!;
      if (up === TERMINAL) {
        flow = Math.min(flow, -tr[p]!);
        break;
      }
      flow = Math.min(flow, cap[4 * p + parentDir[p]!]!);
      p = up;
    }
    cap[4 * from + dir] = cap[4 * from + dir]! - flow;
    cap[4 * to + (dir ^ 1)] = cap[4 * to + (dir ^ 1)]! + flow;
    for (let p = from; ; ) {
      const up = parent[p]!;
      if (up === TERMINAL) {
        tr[p] = tr[p]! - flow;
        if (tr[p]! <= 0) orphans[orphanCount++] = p;
        break;
      }
      const e = 4 * up + (parentDir[p]! ^ 1);
      cap[e] = cap[e]! - flow;
      cap[4 * p + parentDir[p]!] = cap[4 * p + parentDir[p]!]! + flow;
      if (cap[e] <= 0) orphans[orphanCount++] = p;
      p = up;
    }
    for (let p = to; ; ) {
      const up = parent[p]!;
      if (up === TERMINAL) {
        tr[p] = tr[p]! + flow;
        if (tr[p]! >= 0) orphans[orphanCount++] = p;
        break;
      }
      const e = 4 * p + parentDir[p]!;
      cap[e] = cap[e]! - flow;
      cap[4 * up + (parentDir[p]! ^ 1)] = cap[4 * up + (parentDir[p]! ^ 1)]! + flow;
      if (cap[e] <= 0) orphans[orphanCount++] = p;
      p = up;
    }
    for (let k = 0; k < orphanCount; k++) parent[orphans[k]!] = NO_PARENT;

    // Adoption: each orphan finds a parent still rooted at its terminal, or leaves its tree.
    while (orphanCount > 0) {
      const p = orphans[--orphanCount]!;
      const side = tree[p]!;
      let best = -1;
      let bestDir = 0;
      let bestDist = INFINITE;
      for (let d = 0; d < DIRECTIONS; d++) {
        const q = neighbour(p, d);
        if (q < 0 || tree[q] !== side) continue;
        const residual = side === SOURCE ? cap[4 * q + (d ^ 1)]! : cap[4 * p + d]!;
        if (residual <= 0) continue;
        let length = 0;
        let j = q;
        for (;;) {
          if (stamp[j] === time) {
            length += dist[j]!;
            break;
          }
          const up = parent[j]!;
          length++;
          if (up === TERMINAL) {
            stamp[j] = time;
            dist[j] = 1;
            break;
          }
          if (up === NO_PARENT) {
            length = INFINITE;
            break;
          }
          j = up;
        }
        if (length === INFINITE) continue;
        if (length < bestDist) {
          best = q;
          bestDir = d;
          bestDist = length;
        }
        for (j = q; stamp[j] !== time; j = parent[j]!) {
          stamp[j] = time;
          dist[j] = length--;
        }
      }
      if (best >= 0) {
        parent[p] = best;
        parentDir[p] = bestDir;
        stamp[p] = time;
        dist[p] = bestDist + 1;
        continue;
      }
      for (let d = 0; d < DIRECTIONS; d++) {
        const q = neighbour(p, d);
        if (q < 0 || tree[q] !== side) continue;
        const residual = side === SOURCE ? cap[4 * q + (d ^ 1)]! : cap[4 * p + d]!;
        if (residual > 0) activate(q);
        if (parent[q] === p) {
          parent[q] = NO_PARENT;
          orphans[orphanCount++] = q;
        }
      }
      tree[p] = FREE;
    }
  }

  const label = new Uint8Array(n);
  for (let p = 0; p < n; p++) label[p] = tree[p] === SOURCE ? 1 : 0;
  return label;
}
