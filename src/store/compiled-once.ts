/**
 * The hot path's queries built and compiled once, then only bound. Kysely builds an operation tree
 * and compiles it to SQL on every call — for a task's dozen statements, about as much CPU as
 * SQLite spends running them — and each call's SQL is a new string the statement cache must hash
 * again. A query made here is built once per dialect and per shape of its values (which keys they
 * have), with stand-ins in place of the values; a call puts its values where the stand-ins were.
 *
 * Hand-written rather than `kysely-params`: that package pins its own, older Kysely. The rule it
 * shares: `build` places each value it is given (inserted, set, compared with a single value) and
 * never looks at what it is — it sees stand-in strings. It may ask whether a value is present
 * (`!== undefined`; null is present): that is the shape, and each shape compiles on its own. Not
 * allowed, and refused when the query is first compiled: computing with a value, cutting it or
 * putting it in the SQL text as a literal (a value then missing from the parameters, or a stand-in
 * altered or in the text), and list values (`in` takes a list the stand-in cannot be). Queries run
 * through `withSchema` or `withPlugin` are not supported: the cache is by dialect adapter only.
 */
import type { Compilable, CompiledQuery, Kysely } from 'kysely';
import type { Database } from './schema.js';

/** Marks a value's place in the compiled parameters; never sent to the database. */
const STAND_IN = '\u0000qig-value:';

/** Where a parameter comes from: a key of the call's values, or a constant of the query. */
type Slot = { key: string } | { constant: unknown };

interface Template<R> {
  compiled: CompiledQuery<R>;
  slots: Slot[];
}

const refuse = (why: string) => new Error(`a query compiled once breaks its rule (compiled-once.ts): ${why}`);

function slotOf(parameter: unknown): Slot {
  if (typeof parameter === 'number' && Number.isNaN(parameter)) throw refuse('a value was computed with (NaN in the parameters)');
  if (typeof parameter === 'object' && parameter !== null) throw refuse('a parameter is a list or an object');
  if (typeof parameter !== 'string' || !parameter.includes(STAND_IN)) return { constant: parameter };
  if (!parameter.startsWith(STAND_IN)) throw refuse(`a value was altered before it reached the SQL: ${JSON.stringify(parameter)}`);
  return { key: parameter.slice(STAND_IN.length) };
}

/** Compiles `build` for one shape, and checks every value of it landed whole in the parameters. */
function compileShape<V, R>(db: Kysely<Database>, build: (db: Kysely<Database>, values: V) => Compilable<R>, keys: readonly string[]): Template<R> {
  const standIns = Object.fromEntries(keys.map((key) => [key, `${STAND_IN}${key}`])) as V;
  const compiled = build(db, standIns).compile();
  if (compiled.sql.includes(STAND_IN)) throw refuse('a value was put in the SQL text as a literal');
  const slots = compiled.parameters.map(slotOf);
  const placed = new Set(slots.flatMap((slot) => ('key' in slot ? [slot.key] : [])));
  const known = new Set(keys);
  for (const key of placed) if (!known.has(key)) throw refuse(`a value was cut or changed into ${JSON.stringify(key)}`);
  for (const key of keys) if (!placed.has(key)) throw refuse(`the value ${JSON.stringify(key)} was used other than placed (or not at all)`);
  return { compiled, slots };
}

/**
 * `build(db, values)` compiled once per dialect and shape; the returned function gives the query
 * for `values`, to run with `db.executeQuery` (on the database or inside a transaction). Undefined
 * values count as absent, as Kysely treats them.
 */
export function compiledOnce<V extends object, R>(build: (db: Kysely<Database>, values: V) => Compilable<R>) {
  // By dialect adapter: a transaction shares its database's, and SQLite and Postgres compile differently.
  const byDialect = new WeakMap<object, Map<string, Template<R>>>();
  return (db: Kysely<Database>, values: V): CompiledQuery<R> => {
    const entries = Object.entries(values).filter(([, value]) => value !== undefined);
    const shape = entries.map(([key]) => key).join('\u0001');
    const adapter = db.getExecutor().adapter;
    let templates = byDialect.get(adapter);
    if (!templates) byDialect.set(adapter, (templates = new Map<string, Template<R>>()));
    let template = templates.get(shape);
    if (!template) {
      template = compileShape(db, build, entries.map(([key]) => key));
      templates.set(shape, template);
    }
    const bound = values as Record<string, unknown>;
    const parameters = template.slots.map((slot) => {
      if (!('key' in slot)) return slot.constant;
      const value = bound[slot.key];
      // A list where one value was placed (`in`, say) would bind as one parameter: not what Kysely would send.
      if (Array.isArray(value)) throw refuse(`the value ${JSON.stringify(slot.key)} is a list`);
      return value;
    });
    return { ...template.compiled, parameters };
  };
}
