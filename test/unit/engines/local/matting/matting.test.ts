/** The classical matting: the grid graph cut against a plain max-flow, and mattes of known subjects. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gridGraph, minCut } from '../../../../../src/engines/local/ops/matting/maxflow.js';
import { cutOut } from '../../../../../src/engines/local/ops/matting/backgrounds.js';
import { matteOf } from '../../../../../src/engines/local/ops/matting/matte.js';
import { mulberry32 } from '../../../../../src/engines/local/raster/prng.js';
import { iou, portraitScene, subjectScene, whiteBottleScene } from './scenes.js';

/** Max-flow by shortest augmenting paths on a dense matrix (node n: source, n + 1: sink). */
function referenceMaxFlow(width: number, height: number, terminal: Float32Array, edges: Float32Array): number {
  const n = width * height;
  const size = n + 2;
  const cap = new Float64Array(size * size);
  for (let p = 0; p < n; p++) {
    const t = terminal[p]!;
    if (t > 0) cap[n * size + p] = t;
    else cap[p * size + n + 1] = -t;
    const x = p % width;
    if (x < width - 1) cap[p * size + p + 1] = edges[4 * p]!;
    if (x > 0) cap[p * size + p - 1] = edges[4 * p + 1]!;
    if (p + width < n) cap[p * size + p + width] = edges[4 * p + 2]!;
    if (p >= width) cap[p * size + p - width] = edges[4 * p + 3]!;
  }
  let flow = 0;
  for (;;) {
    const previous = new Int32Array(size).fill(-1);
    previous[n] = n;
    const queue = [n];
    while (queue.length > 0 && previous[n + 1] === -1) {
      const u = queue.shift()!;
      for (let v = 0; v < size; v++) {
        if (previous[v] === -1 && cap[u * size + v]! > 1e-9) {
          previous[v] = u;
          queue.push(v);
        }
      }
    }
    if (previous[n + 1] === -1) return flow;
    let bottleneck = Infinity;
    for (let v = n + 1; v !== n; v = previous[v]!) bottleneck = Math.min(bottleneck, cap[previous[v]! * size + v]!);
    for (let v = n + 1; v !== n; v = previous[v]!) {
      cap[previous[v]! * size + v]! -= bottleneck;
      cap[v * size + previous[v]!]! += bottleneck;
    }
    flow += bottleneck;
  }
}

/** The cost of a labelling: terminal costs plus cut edges from source side to sink side. */
function cutCost(width: number, height: number, terminal: Float32Array, edges: Float32Array, label: Uint8Array): number {
  let cost = 0;
  const n = width * height;
  for (let p = 0; p < n; p++) {
    const t = terminal[p]!;
    if (label[p] === 1 && t < 0) cost += -t;
    if (label[p] === 0 && t > 0) cost += t;
    if (label[p] !== 1) continue;
    const x = p % width;
    if (x < width - 1 && label[p + 1] === 0) cost += edges[4 * p]!;
    if (x > 0 && label[p - 1] === 0) cost += edges[4 * p + 1]!;
    if (p + width < n && label[p + width] === 0) cost += edges[4 * p + 2]!;
    if (p >= width && label[p - width] === 0) cost += edges[4 * p + 3]!;
  }
  return cost;
}

describe('grid graph cut', () => {
  it('finds a cut as cheap as the maximum flow on random grids', () => {
    const rng = mulberry32(11);
    for (let trial = 0; trial < 30; trial++) {
      const width = 2 + Math.floor(rng() * 6);
      const height = 2 + Math.floor(rng() * 6);
      const graph = gridGraph(width, height);
      for (let p = 0; p < width * height; p++) {
        graph.terminal[p] = Math.round((rng() - 0.5) * 20);
        for (let d = 0; d < 4; d++) graph.edges[4 * p + d] = Math.round(rng() * 8);
      }
      const terminal = graph.terminal.slice();
      const edges = graph.edges.slice();
      const label = minCut(graph);
      const flow = referenceMaxFlow(width, height, terminal, edges);
      assert.ok(Math.abs(cutCost(width, height, terminal, edges, label) - flow) < 1e-6, `trial ${trial}: ${width}×${height}`);
    }
  });
});

describe('subject matte', () => {
  for (const kind of ['plain', 'studio'] as const) {
    it(`separates a textured subject from a ${kind} background (IoU ≥ 0.95) with soft edges`, () => {
      const { raster, mask } = subjectScene(kind, 320, 320);
      const matte = matteOf(raster);
      const overlap = iou(matte.alpha, mask);
      assert.ok(overlap >= 0.95, `IoU ${overlap.toFixed(3)}`);
      assert.equal(matte.busy, undefined);
      const soft = matte.alpha.filter((a) => a > 0 && a < 255).length;
      assert.ok(soft > 200, `${soft} edge pixels between 0 and 255`);
    });
  }

  it('works at a size above the segmentation size (the filter carries the edges to full size)', () => {
    const { raster, mask } = subjectScene('studio', 900, 700);
    const overlap = iou(matteOf(raster).alpha, mask);
    assert.ok(overlap >= 0.95, `IoU ${overlap.toFixed(3)}`);
  });

  it('keeps a subject that touches the frame (a portrait cut off at the shoulders)', () => {
    const side = 320;
    const mask = new Uint8Array(side * side);
    const rng = mulberry32(5);
    const data = Buffer.alloc(side * side * 3);
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        const p = y * side + x;
        const shoulders = (x - side / 2) ** 2 + (y - side) ** 2 < (side * 0.42) ** 2;
        const head = (x - side / 2) ** 2 + (y - side * 0.42) ** 2 < (side * 0.14) ** 2;
        mask[p] = shoulders || head ? 1 : 0;
        const n = (rng() - 0.5) * 8;
        const rgb = head ? [205, 160, 130] : shoulders ? [50 + 20 * Math.sin(x / 6), 60, 120] : [228 - y / 12, 226 - y / 12, 222];
        rgb.forEach((v, c) => (data[3 * p + c] = Math.max(0, Math.min(255, Math.round(v + n)))));
      }
    }
    const overlap = iou(matteOf({ data, width: side, height: side, channels: 3 }).alpha, mask);
    assert.ok(overlap >= 0.95, `IoU ${overlap.toFixed(3)}`);
  });

  for (const wall of ['#7fa6c9', '#e9e4dc']) {
    it(`keeps a drawn portrait's navy shirt that runs off the bottom edge, on a ${wall} wall (anti-aliased edges do not chain the shirt into the backdrop)`, async () => {
      const { raster, mask } = await portraitScene(wall);
      const matte = matteOf(raster);
      const overlap = iou(matte.alpha, mask);
      assert.ok(overlap >= 0.9, `IoU ${overlap.toFixed(3)}`);
      assert.equal(matte.busy, undefined);
    });
  }

  it('frees the cut-out edge of the old background colour', async () => {
    const { raster } = subjectScene('plain', 320, 320);
    const matte = matteOf(raster);
    const cut = await cutOut(raster, matte);
    const luma = (data: Buffer, i: number): number => 0.299 * data[i]! + 0.587 * data[i + 1]! + 0.114 * data[i + 2]!;
    let before = 0;
    let after = 0;
    let edge = 0;
    for (let p = 0; p < matte.alpha.length; p++) {
      const a = matte.alpha[p]!;
      if (a === 0 || a === 255) continue;
      before += luma(raster.data, 3 * p);
      after += luma(cut.data, 4 * p);
      edge++;
    }
    // The light grey backdrop lightens the edge pixels of the darker subject; the cut-out removes that.
    assert.ok(edge > 100 && after / edge < before / edge - 15, `edge luma ${(before / edge).toFixed(1)} → ${(after / edge).toFixed(1)}`);
  });

  it('says a busy background may give a rough result', () => {
    const { raster } = subjectScene('busy', 320, 320);
    assert.match(matteOf(raster).busy ?? '', /textured|cluttered|share their colours/);
  });

  it('says a white product on a white backdrop may be rough (its outline is left in the background)', async () => {
    for (const side of [300, 600]) assert.match(matteOf(await whiteBottleScene(side)).busy ?? '', /outlines were left in the background/, `${side}²`);
  });

  it('says a subject in many pieces may be rough', () => {
    const side = 240;
    const data = Buffer.alloc(side * side * 3, 230);
    for (let k = 0; k < 6; k++) {
      const cx = 40 + (k % 3) * 80, cy = 80 + Math.floor(k / 3) * 80;
      for (let y = cy - 14; y <= cy + 14; y++) for (let x = cx - 14; x <= cx + 14; x++) data.fill(40, 3 * (y * side + x), 3 * (y * side + x) + 3);
    }
    assert.match(matteOf({ data, width: side, height: side, channels: 3 }).busy ?? '', /6 separate pieces/);
  });

  it('finds no subject on a featureless picture', () => {
    const { raster } = subjectScene('plain', 64, 64);
    raster.data.fill(200);
    assert.notEqual(matteOf(raster).busy, undefined);
  });
});
