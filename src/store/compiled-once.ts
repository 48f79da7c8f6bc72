/**
 * The hot path's queries built and compiled once, then only bound. Kysely builds an operation tree
 * and compiles it to SQL on every call — for a task's dozen statements, about as much CPU as
 * SQLite spends running them — and each call's SQL is a new string the statement cache must hash
 * again. A query made here is built once per dialect and per shape of its values (which keys they
 * have), with stand-ins in place of the values; a call puts its values where the stand-ins were.
 *
 * Hand-written rather than `kysely-params`: that package pins its own, older Kysely. The rule it
 * shares: `build` places the values it is given (inserted, set, compared) and never looks at what
 * they are — it sees stand-ins — though it may ask whether one is present (that is the shape). A
 * stand-in that reaches the SQL altered (stringified, concatenated) throws.
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

function slotOf(parameter: unknown): Slot {
  if (typeof parameter !== 'string' || !parameter.includes(STAND_IN)) return { constant: parameter };
  if (!parameter.startsWith(STAND_IN)) throw new Error(`a value of a query compiled once was altered before it reached the SQL: ${JSON.stringify(parameter)}`);
  return { key: parameter.slice(STAND_IN.length) };
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
      const standIns = Object.fromEntries(entries.map(([key]) => [key, `${STAND_IN}${key}`])) as V;
      const compiled = build(db, standIns).compile();
      template = { compiled, slots: compiled.parameters.map(slotOf) };
      templates.set(shape, template);
    }
    const bound = values as Record<string, unknown>;
    return { ...template.compiled, parameters: template.slots.map((slot) => ('key' in slot ? bound[slot.key] : slot.constant)) };
  };
}
