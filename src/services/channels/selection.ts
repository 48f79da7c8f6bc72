/**
 * Weighted random order without replacement (Efraimidis–Spirakis: each item draws u^(1/w) and
 * the largest keys come first), seeded so a task resumed on another node sees the same order.
 */
import type { RouteEntry } from '../../domain/channels.js';
import { hashString, mulberry32 } from '../../engines/local/raster/prng.js';

/** A source of uniform numbers in [0, 1). */
export type Random = () => number;

/** A reproducible stream of numbers for a seed text (a task id). */
export function seededRandom(seed: string): Random {
  return mulberry32(hashString(seed));
}

/** The items in weighted random order; an item of weight ≤ 0 comes last (it is only a fallback). */
export function weightedOrder<T>(items: readonly T[], weightOf: (item: T) => number, random: Random): T[] {
  if (items.length <= 1) return [...items];
  const keyed = items.map((item) => {
    const weight = weightOf(item);
    // 1 - u is in (0, 1]: a key of 0 would tie with the weightless items.
    return { item, key: weight > 0 ? (1 - random()) ** (1 / weight) : -1 };
  });
  keyed.sort((a, b) => b.key - a.key);
  return keyed.map((k) => k.item);
}

/** One item drawn with probability proportional to its weight; undefined for no items. */
export function pickWeighted<T>(items: readonly T[], weightOf: (item: T) => number, random: Random): T | undefined {
  if (items.length <= 1) return items[0];
  let total = 0;
  for (const item of items) total += Math.max(0, weightOf(item));
  if (total <= 0) return items[0];
  let left = random() * total;
  for (const item of items) {
    left -= Math.max(0, weightOf(item));
    if (left < 0) return item;
  }
  return items[items.length - 1];
}

/**
 * A route's channels in the order a task tries them: priority groups, higher first, each in
 * weighted random order; channels `usable` refuses are left out.
 */
export function orderRoute(entries: readonly RouteEntry[], usable: (channel: string) => boolean, random: Random): RouteEntry[] {
  const groups = new Map<number, RouteEntry[]>();
  for (const entry of entries) {
    if (!usable(entry.channel)) continue;
    const group = groups.get(entry.priority);
    if (group) group.push(entry);
    else groups.set(entry.priority, [entry]);
  }
  const priorities = [...groups.keys()].sort((a, b) => b - a);
  return priorities.flatMap((priority) => weightedOrder(groups.get(priority) ?? [], (entry) => entry.weight, random));
}
