/** The fields of `value` that are set: zod reads an absent optional field as `undefined`, and a patch leaves it out (it changes nothing). */
export function present<T extends object>(value: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}
