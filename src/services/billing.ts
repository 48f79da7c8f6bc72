/**
 * Accounts: prices, holds, settlement, credits, balances and usage. Settlement is idempotent, so
 * the runner, cancel, and the sweeper may all ask for it; a task is settled exactly once.
 */
import { quoteValue } from '../domain/bounded-text.js';
import { AppError } from '../domain/errors.js';
import { findModel, type ModelSpec } from '../domain/models.js';
import { formatAmount, insufficientBalance, MAX_AMOUNT_TEXT, parseAmount } from '../domain/money.js';
import type { PriceList } from '../domain/prices.js';
import type { TaskRecord } from '../domain/task.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { Ledger, UsageFilter } from '../store/ports.js';

/** The engine names a model's tasks may run on, in failover order (the router's route). */
export type RouteOf = (model: ModelSpec) => readonly string[];

export class BillingService {
  constructor(
    private readonly store: Ledger,
    /** The price list in force (it changes when an operator edits prices or channels). */
    private readonly priceList: () => PriceList,
    private readonly clock: Clock,
    private readonly logger: Logger,
    /** Without it, holds are at the model's price (perImage), as for a route of no engine. */
    private readonly routeOf: RouteOf = () => [],
  ) {}

  get prices(): PriceList {
    return this.priceList();
  }

  get currency(): string {
    return this.prices.currency;
  }

  /** Refuses with the Arrearage error, before any work, a key whose balance cannot cover `micros`. */
  async assertCanPay(keyId: string, micros: number): Promise<void> {
    const balance = await this.store.balanceOf(keyId);
    if (balance !== null && balance < micros) throw insufficientBalance(micros, balance, this.prices.currency);
  }

  /**
   * The unit price held for `n` images of a model and the hold, in micros. The engine is not
   * chosen yet, so it is the price of the dearest engine the route may fail over to; the
   * settlement charges each image at its own engine's price and releases the rest.
   */
  quote(model: ModelSpec, n: number): { unitPriceMicros: number; holdMicros: number } {
    const unitPriceMicros = this.prices.holdPrice(model, this.routeOf(model));
    return { unitPriceMicros, holdMicros: unitPriceMicros * n };
  }

  /** The engines of a model's route, in failover order. */
  route(model: ModelSpec): readonly string[] {
    return this.routeOf(model);
  }

  /** The unit price of an image of `model` (an id) made by `engine`, in micros; the settlement's price. */
  unitPrice(model: string, engine: string | null): number {
    // A model an upgrade removed is priced by its id alone.
    return this.prices.forEngine(findModel(model) ?? { id: model, family: model }, engine);
  }

  /** Settles a task if it ended and is not settled yet; never throws (the sweeper retries). */
  async settle(taskId: string, ended?: TaskRecord): Promise<boolean> {
    try {
      return await this.store.settle(taskId, this.clock.now(), ended);
    } catch (error) {
      this.logger.error({ taskId, err: error }, 'settlement failed; the sweeper will retry');
      return false;
    }
  }

  /** Settles every ended task that is not settled yet (after a crash between end and settle). */
  async settleAll(): Promise<number> {
    let settled = 0;
    for (;;) {
      const ids = await this.store.findUnsettled(200);
      let progress = 0;
      for (const id of ids) if (await this.settle(id)) progress += 1;
      settled += progress;
      if (ids.length < 200 || progress === 0) return settled;
    }
  }

  /** A credit's amount in micros, or the 400 naming `field` and the rule. An opening balance may be zero. */
  parseCredit(amount: string, options: { opening?: boolean; field?: string } = {}): number {
    const micros = parseAmount(amount);
    if (micros === null || micros < 0 || (micros === 0 && !options.opening)) {
      const field = options.field ?? 'amount';
      const rule = options.opening ? 'a decimal amount like "10.00"' : 'a positive decimal amount like "10.00"';
      throw new AppError('invalid_parameter', `${field}: must be ${rule}, with at most 6 decimals and at most ${MAX_AMOUNT_TEXT} (got ${quoteValue(amount)}).`, { field });
    }
    return micros;
  }

  /**
   * Adds a decimal amount ("12.50") to a key's balance; the new balance as a decimal string. An
   * opening balance sets the balance of a new key (zero makes it metered); an unlimited key is
   * never credited afterwards, since the holds of its tasks were never taken.
   */
  async credit(keyId: string, amount: string, note: string, options: { opening?: boolean } = {}): Promise<string> {
    const micros = this.parseCredit(amount, options);
    return formatAmount(await this.store.credit(keyId, micros, note, this.clock.now(), { opening: options.opening ?? false }));
  }

  async balance(keyId: string): Promise<{ balance: string | null; held: string; currency: string }> {
    const { balanceMicros, heldMicros } = await this.store.balance(keyId);
    return { balance: balanceMicros === null ? null : formatAmount(balanceMicros), held: formatAmount(heldMicros), currency: this.currency };
  }

  async usage(filter: UsageFilter) {
    const { records, total, images, amountMicros } = await this.store.usage(filter);
    return {
      data: records.map((r) => ({
        taskId: r.taskId,
        keyId: r.keyId,
        model: r.model,
        engine: r.engine,
        images: r.images,
        unitPrice: formatAmount(r.unitPriceMicros),
        amount: formatAmount(r.amountMicros),
        currency: r.currency,
        content: r.description,
        createdAt: new Date(r.createdAt).toISOString(),
      })),
      total,
      totals: { images, amount: formatAmount(amountMicros), currency: this.currency },
    };
  }
}
