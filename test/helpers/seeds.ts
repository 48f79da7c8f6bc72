/** The seeds' request bodies, read from the copies in test/fixtures/seeds. */
import { readFileSync } from 'node:fs';

/** The first JSON object in a seed file: its example request body. */
export function seedBody(file: string): Record<string, unknown> {
  const text = readFileSync(new URL(`../fixtures/seeds/${file}`, import.meta.url), 'utf8');
  return firstJsonObject(text);
}

export function firstJsonObject(text: string, from = 0): Record<string, unknown> {
  const start = text.indexOf('{', from);
  let depth = 0;
  for (let i = start; i < text.length; i += 1) {
    if (text[i] === '{') depth += 1;
    if (text[i] === '}') depth -= 1;
    if (depth === 0) return JSON.parse(text.slice(start, i + 1)) as Record<string, unknown>;
  }
  throw new Error('no JSON object found');
}

/** Every example body of a seed given as a curl `-d '…'` argument. */
export function seedBodies(file: string): Array<Record<string, any>> {
  const text = readFileSync(new URL(`../fixtures/seeds/${file}`, import.meta.url), 'utf8');
  const bodies: Array<Record<string, any>> = [];
  for (let at = text.indexOf("-d '"); at >= 0; at = text.indexOf("-d '", at + 1)) bodies.push(firstJsonObject(text, at));
  return bodies;
}
