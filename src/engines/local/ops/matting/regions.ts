/** Cleaning a foreground label: keep the subject's large parts, fill small enclosed holes. */

/** Labels 4-connected components of pixels equal to `value`; returns per-pixel ids and per-id sizes and border contact. */
function components(label: Uint8Array, width: number, height: number, value: number): { id: Int32Array; size: number[]; touchesEdge: boolean[] } {
  const n = width * height;
  const id = new Int32Array(n).fill(-1);
  const stack = new Int32Array(n);
  const size: number[] = [];
  const touchesEdge: boolean[] = [];
  for (let start = 0; start < n; start++) {
    if (label[start] !== value || id[start] !== -1) continue;
    const current = size.length;
    let count = 0;
    let edge = false;
    let top = 0;
    stack[top++] = start;
    id[start] = current;
    while (top > 0) {
      const p = stack[--top]!;
      count++;
      const x = p % width, y = (p - x) / width;
      if (x === 0 || y === 0 || x === width - 1 || y === height - 1) edge = true;
      for (let d = 0; d < 4; d++) {
        const q = d === 0 ? (x > 0 ? p - 1 : -1) : d === 1 ? (x < width - 1 ? p + 1 : -1) : d === 2 ? (y > 0 ? p - width : -1) : y < height - 1 ? p + width : -1;
        if (q >= 0 && label[q] === value && id[q] === -1) {
          id[q] = current;
          stack[top++] = q;
        }
      }
    }
    size.push(count);
    touchesEdge.push(edge);
  }
  return { id, size, touchesEdge };
}

/**
 * Keeps the foreground parts at least `keepShare` of the largest (several products stay, specks
 * go) and fills background holes that do not reach the frame and are smaller than `holeShare` of
 * the picture. Works in place; returns how many parts of the subject are left.
 */
export function cleanLabel(label: Uint8Array, width: number, height: number, options = { keepShare: 0.15, holeShare: 0.004 }): number {
  const n = width * height;
  const fg = components(label, width, height, 1);
  const largest = fg.size.reduce((max, s) => Math.max(max, s), 0);
  const minimum = Math.max(options.keepShare * largest, 0.001 * n);
  for (let p = 0; p < n; p++) if (label[p] === 1 && fg.size[fg.id[p]!]! < minimum) label[p] = 0;
  const parts = fg.size.filter((size) => size >= minimum).length;
  const bg = components(label, width, height, 0);
  for (let p = 0; p < n; p++) {
    const k = bg.id[p]!;
    if (label[p] === 0 && !bg.touchesEdge[k] && bg.size[k]! < options.holeShare * n) label[p] = 1;
  }
  return parts;
}
