/**
 * Per-image prices, by model and by engine. Defaults (CNY) follow the seeds where they say
 * (qwen-image-edit-plus ¥0.18, seed 004) and are otherwise our own starting points; every
 * deployment sets its own in the config file's `prices.perImage` (by model id, family, or "*")
 * and `prices.perEngine` (the same, for one engine).
 *
 * The price of an image made by an engine, first match wins:
 *   1. `perEngine[engine]` by model id, family, then "*";
 *   2. 0 when the engine is the built-in CPU engine (type `local`): its classical edits are free
 *      unless `perEngine` names it;
 *   3. `perImage` or the built-in default by model id, then by family (a configured entry
 *      replaces the default of the same name), then `perImage["*"]`, then 0. A built-in
 *      default is thus more specific than a configured "*", as it always was.
 */
import { AppError } from './errors.js';
import { MODEL_CATALOG, type ModelSpec } from './models.js';
import { MICROS_PER_UNIT, parseAmount } from './money.js';

export const DEFAULT_PRICES: Readonly<Record<string, string>> = {
  'qwen-image-edit': '0.30',
  'qwen-image-edit-plus': '0.18',
  'qwen-image-edit-max': '0.50',
  'qwen-image': '0.25',
  'qwen-image-plus': '0.20',
  'qwen-image-max': '0.50',
  'qwen-image-2.0': '0.20',
  'qwen-image-2.0-pro': '0.50',
};

/**
 * The dearest price one image may be configured at. A hold is the price × n (n at most a model's
 * maxN), and balances add such amounts up: a bound far below MAX_MICROS keeps every one of them an
 * exact integer of micros (above 2^53 they would silently round).
 */
export const MAX_PRICE_TEXT = '1000000';
export const MAX_PRICE_MICROS = 1_000_000 * MICROS_PER_UNIT;

/** A configured price in micros; null when it is not an amount with at most 6 decimals or is above MAX_PRICE_TEXT. */
export function parsePrice(text: string): number | null {
  const micros = parseAmount(text);
  return micros !== null && micros <= MAX_PRICE_MICROS ? micros : null;
}

/** What a price table may be keyed by: every model id of the catalog (each family is one too) and "*". */
export const PRICE_KEYS: readonly string[] = ['*', ...MODEL_CATALOG.keys()];

/** The engine type that is free unless `perEngine` prices it. */
export const FREE_ENGINE_TYPE = 'local';

export interface PriceOptions {
  /** Engine name → model id, family or "*" → decimal amount. */
  perEngine?: Readonly<Record<string, Readonly<Record<string, string>>>> | undefined;
  /** Engine name → engine type (`local`, `dashscope`, …): a `local` engine is free by default. */
  engineTypes?: Readonly<Record<string, string>> | undefined;
}

type Table = ReadonlyMap<string, number>;

/** What a price is looked up by: a model id and its family. */
export type PricedModel = Pick<ModelSpec, 'id' | 'family'>;

function table(configured: Readonly<Record<string, string>>, path: string): Table {
  const micros = new Map<string, number>();
  for (const [key, text] of Object.entries(configured)) {
    const amount = parsePrice(text);
    if (amount === null) throw new AppError('internal', `${path}.${key}: "${text}" is not an amount from 0 to ${MAX_PRICE_TEXT}.`);
    micros.set(key, amount);
  }
  return micros;
}

/** A table's price of a model: its own, its family's, or "*". */
function lookup(prices: Table, model: PricedModel): number | undefined {
  return prices.get(model.id) ?? prices.get(model.family) ?? prices.get('*');
}

export class PriceList {
  private readonly perModel: Table;
  private readonly perEngine = new Map<string, Table>();
  private readonly engineTypes: Readonly<Record<string, string>>;

  constructor(
    readonly currency: string,
    configured: Readonly<Record<string, string>>,
    options: PriceOptions = {},
  ) {
    this.perModel = table({ ...DEFAULT_PRICES, ...configured }, 'prices.perImage');
    for (const [engine, prices] of Object.entries(options.perEngine ?? {})) this.perEngine.set(engine, table(prices, `prices.perEngine.${engine}`));
    this.engineTypes = options.engineTypes ?? {};
  }

  /** The price of one image of this model by `perImage` and the defaults (no engine's own), in micros. */
  perImage(model: PricedModel): number {
    return lookup(this.perModel, model) ?? 0;
  }

  /** The price of one image of this model made by `engine`, in micros (see the order above). */
  forEngine(model: PricedModel, engine: string | null): number {
    if (engine === null) return this.perImage(model);
    const own = this.perEngine.get(engine);
    const priced = own === undefined ? undefined : lookup(own, model);
    if (priced !== undefined) return priced;
    if (this.engineTypes[engine] === FREE_ENGINE_TYPE) return 0;
    return this.perImage(model);
  }

  /**
   * What one image is held at before an engine is chosen: the dearest engine the route may fail
   * over to, so a failover never charges more than was held. A route of no engine holds `perImage`.
   */
  holdPrice(model: PricedModel, route: readonly string[]): number {
    if (route.length === 0) return this.perImage(model);
    return Math.max(...route.map((engine) => this.forEngine(model, engine)));
  }
}
