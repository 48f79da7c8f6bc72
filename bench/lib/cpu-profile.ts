/**
 * Reads a V8 `.cpuprofile` (as written by `node --cpu-prof`) into the two views a hot-path hunt
 * needs: self time per function, and time per "place" (a package under node_modules, a folder of
 * src/, or Node's internals) counted once per sample however deep it recurses.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  endTime: number;
  startTime: number;
}

export interface FrameTime {
  name: string;
  ms: number;
  share: number;
}

export interface ProfileSummary {
  totalMs: number;
  idleMs: number;
  self: FrameTime[];
  places: FrameTime[];
  inclusive: FrameTime[];
}

const IDLE = new Set(['(idle)', '(program)', '(garbage collector)']);

/** Where a frame lives: `pkg:fastify`, `src/store`, `node:internal`, or the pseudo-frame's name. */
export function placeOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : 'native';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return `pkg:${pkg[1]}`;
  const own = /\/(src|dist|web|bench|test)\/(.+)$/.exec(url);
  if (own) {
    const [root = '', rest = ''] = own.slice(1);
    // A folder of src/ (src/store), or src itself for its top-level files (src/app.ts).
    return rest.includes('/') ? `${root}/${rest.slice(0, rest.indexOf('/'))}` : root;
  }
  if (url.startsWith('node:')) return 'node:internal';
  return url;
}

function frameName(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/(src|dist|bench|test)\//, '$1/');
  // Under tsx every line of a source file is 1 (no source map in the profile): the file alone then.
  const line = file.startsWith('src/') ? '' : `:${lineNumber + 1}`;
  return `${functionName || '(anonymous)'} ${file}${line}`;
}

function top(map: Map<string, number>, totalMs: number, count: number): FrameTime[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, ms]) => ({ name, ms, share: totalMs > 0 ? ms / totalMs : 0 }));
}

/** `lastMs`: only the samples of the profile's last so many ms (the measured run, not start-up). */
export function summarizeProfile(path: string, count = 25, lastMs = Infinity): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const self = new Map<string, number>();
  const places = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let totalMs = 0;
  let idleMs = 0;
  const from = profile.endTime - lastMs * 1000;
  let at = profile.startTime;
  profile.samples.forEach((id, index) => {
    const ms = (profile.timeDeltas[index] ?? 0) / 1000;
    at += profile.timeDeltas[index] ?? 0;
    if (at < from) return;
    const node = byId.get(id);
    if (!node) return;
    if (IDLE.has(node.callFrame.functionName) && node.callFrame.functionName !== '(garbage collector)') {
      idleMs += ms;
      return;
    }
    totalMs += ms;
    const name = frameName(node);
    self.set(name, (self.get(name) ?? 0) + ms);
    // Inclusive time: each frame once per sample, however often it recurses.
    const seenFrames = new Set<string>();
    for (let up: number | undefined = id; up !== undefined; up = parent.get(up)) {
      const frame = byId.get(up);
      if (!frame || frame.callFrame.functionName === '(root)') break;
      seenFrames.add(frameName(frame));
    }
    for (const frame of seenFrames) inclusive.set(frame, (inclusive.get(frame) ?? 0) + ms);
    // Self time by place: where the CPU actually was.
    const place = placeOf(node.callFrame.url, node.callFrame.functionName);
    places.set(place, (places.get(place) ?? 0) + ms);
  });
  return { totalMs, idleMs, self: top(self, totalMs, count), places: top(places, totalMs, count), inclusive: top(inclusive, totalMs, count * 2) };
}
