/**
 * Seeded mutations of request bodies, headers and paths for the fuzz suite: a valid body of each
 * dialect is bent into wrong types, huge or odd strings, deep or wide structures, unknown keys,
 * hostile image references and broken bytes. Everything is drawn from one seeded generator, so a
 * failing case is reproduced by its seed and index.
 */

import { mulberry32, type Rng } from '../../src/engines/local/raster/prng.js';

export type Random = Rng;

/** The local engine's mulberry32: small, fast, good enough to spread cases. */
export const seeded = mulberry32;

export const int = (random: Random, below: number): number => Math.floor(random() * below);
export const pick = <T>(random: Random, items: readonly T[]): T => items[int(random, items.length)] as T;

const ODD_STRINGS = [
  '', ' ', '\u0000', 'a\nb\r\nc', '__proto__', 'constructor', 'prototype', '"quoted"', '\\', '%zz', '../../etc/passwd',
  '你好，世界', '🎨🖼️', '\u202e\u0301', 'true', 'null', '1e309', '-0', '1024*1024', '1024x1024', '99999*99999', 'auto', '0*0',
  'data:image/png;base64,', 'http://', 'javascript:alert(1)', '${jndi:ldap://x}', '<script>', 'Bearer x', 'x'.repeat(300),
];

const ODD_NUMBERS = [0, -1, 1, 2, 6, 7, 3.5, 1e308, -1e308, 2 ** 31, 2 ** 53, 2 ** 53 + 2, Number.MAX_SAFE_INTEGER, 4_294_967_295, 1e-7];

/** Image references an attacker might send: broken data, blocked addresses, odd schemes. */
export function hostileImages(allowedUrl: string, validDataUri: string): string[] {
  return [
    validDataUri,
    allowedUrl,
    'data:image/png;base64,AAAA',
    'data:image/png;base64,!!!!',
    'data:text/plain;base64,aGVsbG8=',
    `data:image/png;base64,${'A'.repeat(20_000)}`,
    'data:image/png,notbase64',
    'http://127.0.0.1/a.png',
    'http://[::1]/a.png',
    'http://[::7f00:1]/a.png',
    'http://[::ffff:10.0.0.1]/a.png',
    'http://169.254.169.254/latest/meta-data/',
    'http://100.100.100.200/latest/meta-data/',
    'http://10.0.0.5:8080/x.png',
    'http://0x7f.1/a.png',
    'http://2130706433/a.png',
    'http://[64:ff9b::7f00:1]/a.png',
    'http://[2002:7f00:1::]/a.png',
    'ftp://example.com/a.png',
    'file:///etc/passwd',
    'oss://bucket/key.png',
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
    `http://example.com/${'a'.repeat(5_000)}.png`,
    // A run of line breaks: once quadratic in the base64 check.
    `data:image/png;base64,A${'\n'.repeat(30_000)}!`,
  ];
}

/** A value of a random kind, some small, some large (bounded: a case stays under a few MB). */
export function randomValue(random: Random, depth = 0): unknown {
  switch (int(random, 14)) {
    case 0: return pick(random, ODD_STRINGS);
    case 1: return 'x'.repeat(int(random, 4) === 0 ? 200_000 + int(random, 1_800_000) : int(random, 5_000));
    case 2: return pick(random, ODD_NUMBERS);
    case 3: return random() < 0.5;
    case 4: return null;
    case 5: return [];
    case 6: return {};
    case 7: return depth > 3 ? 1 : Array.from({ length: int(random, 6) }, () => randomValue(random, depth + 1));
    case 8: return depth > 3 ? 'x' : Object.fromEntries(Array.from({ length: int(random, 6) }, () => [randomKey(random), randomValue(random, depth + 1)]));
    case 9: return Array.from({ length: 500 + int(random, 20_000) }, (_, i) => i);
    case 10: return Object.fromEntries(Array.from({ length: 20 + int(random, 200) }, (_, i) => [`k${i}`, i]));
    case 11: {
      let nested: unknown = 'bottom';
      for (let i = 0, n = 10 + int(random, 60); i < n; i += 1) nested = random() < 0.5 ? [nested] : { a: nested };
      return nested;
    }
    case 12: return String.fromCharCode(...Array.from({ length: 1 + int(random, 64) }, () => int(random, 0x3000)));
    default: return -int(random, 1_000_000);
  }
}

export function randomKey(random: Random): string {
  return random() < 0.4 ? pick(random, ODD_STRINGS).slice(0, 80) || 'k' : `f${int(random, 1_000)}`;
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

/** Paths to every node of a JSON value (objects and arrays), for picking one to change. */
function nodes(value: unknown, path: Array<string | number> = [], out: Array<Array<string | number>> = []): Array<Array<string | number>> {
  out.push(path);
  if (out.length > 200) return out;
  if (Array.isArray(value)) value.slice(0, 20).forEach((item, i) => nodes(item, [...path, i], out));
  else if (typeof value === 'object' && value !== null) for (const key of Object.keys(value).slice(0, 40)) nodes((value as Record<string, unknown>)[key], [...path, key], out);
  return out;
}

function setAt(root: unknown, path: Array<string | number>, value: unknown): unknown {
  if (path.length === 0) return value;
  let parent = root as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  parent[path.at(-1) as string | number] = value;
  return root;
}

function deleteAt(root: unknown, path: Array<string | number>): unknown {
  if (path.length === 0) return root;
  let parent = root as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  if (Array.isArray(parent)) parent.splice(Number(path.at(-1)), 1);
  else delete parent[path.at(-1) as string];
  return root;
}

/** One to three structural changes to a copy of `body`. */
export function mutateBody(random: Random, body: unknown, images: readonly string[]): unknown {
  let out = clone(body);
  for (let round = 0, rounds = 1 + int(random, 3); round < rounds; round += 1) {
    const all = nodes(out);
    const path = pick(random, all);
    const target = path.reduce<unknown>((node, key) => (node as Record<string | number, unknown>)[key], out);
    switch (int(random, 7)) {
      case 0:
      case 1:
        out = setAt(out, path, randomValue(random));
        break;
      case 2:
        out = deleteAt(out, path);
        break;
      case 3:
        if (typeof target === 'object' && target !== null && !Array.isArray(target)) {
          for (let i = 0, n = 1 + int(random, random() < 0.2 ? 60 : 4); i < n; i += 1) (target as Record<string, unknown>)[randomKey(random)] = randomValue(random, 3);
        } else {
          out = setAt(out, path, randomValue(random));
        }
        break;
      case 4:
        if (Array.isArray(target)) for (let i = 0, n = 1 + int(random, 6); i < n; i += 1) target.push(clone(target[0] ?? randomValue(random, 3)));
        else out = setAt(out, path, [target, target]);
        break;
      case 5:
        out = setAt(out, path, pick(random, images));
        break;
      default:
        // Repeated, but kept under 2 MB: the client's own work shares the event loop being measured.
        if (typeof target === 'string') out = setAt(out, path, target.repeat(1 + int(random, 50)).slice(0, 2_000_000));
        else out = setAt(out, path, String(target));
    }
  }
  return out;
}

/** The body's bytes, sometimes broken: truncated, with bytes flipped, or not UTF-8. */
export function serialize(random: Random, body: unknown): Buffer {
  const text = Buffer.from(JSON.stringify(body) ?? 'null');
  switch (int(random, 12)) {
    case 0: return text.subarray(0, int(random, text.length));
    case 1: {
      const copy = Buffer.from(text);
      for (let i = 0, n = 1 + int(random, 8); i < n && copy.length > 0; i += 1) copy[int(random, copy.length)] = int(random, 256);
      return copy;
    }
    case 2: return Buffer.concat([text.subarray(0, int(random, text.length)), Buffer.from([0xff, 0xfe, 0xc3]), text.subarray(int(random, text.length))]);
    default: return text;
  }
}

export function randomHeaderValue(random: Random): string {
  // Header values must be visible ASCII for fetch to send them.
  return pick(random, ['', 'enable', 'disable', 'Bearer', 'x'.repeat(int(random, 300)), '0', '-5', '1e9', 'abc', '86401', '12.5', 'true']);
}
