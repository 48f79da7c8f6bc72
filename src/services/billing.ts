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
import { applyMultiplier, budgetExceeded, budgetWindow, multiplierFor, PPM, type GroupRecord } from '../domain/users.js';
import type { AccountRef, BudgetCheck, Ledger, UsageFilter } from '../store/ports.js';
import type { Principal } from './keys.js';

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

  /** Refuses with the Arrearage error, before any work, a user whose balance cannot cover `micros`. */
  async assertCanPay(principal: Pick<Principal, 'userId'>, micros: number): Promise<void> {
    const balance = await this.store.balanceOf({ userId: principal.userId });
    if (balance !== null && balance < micros) throw insufficientBalance(micros, balance, this.prices.currency);
  }

  /**
   * The unit price held for `n` images of a model and the hold, in micros. The engine is not
   * chosen yet, so it is the price of the dearest engine the route may fail over to; the
   * settlement charges each image at its own engine's price and releases the rest.
   */
  quote(model: ModelSpec, n: number, group?: Pick<GroupRecord, 'multiplierPpm' | 'overrides'>): { unitPriceMicros: number; holdMicros: number; multiplierPpm: number } {
    const multiplierPpm = group ? multiplierFor(group, model) : PPM;
    const unitPriceMicros = applyMultiplier(this.prices.holdPrice(model, this.routeOf(model)), multiplierPpm);
    return { unitPriceMicros, holdMicros: unitPriceMicros * n, multiplierPpm };
  }

  /**
   * The budgets a submit of this principal must fit in, each with its current window; refuses
   * at once (before any image work) one that the hold alone would already exceed. The task store
   * checks them again, exactly, under the user's lock.
   */
  async budgetChecks(principal: Principal, holdMicros: number): Promise<BudgetCheck[]> {
    const uses = await this.budgetUse(principal);
    for (const use of uses) {
      if (use.spentMicros + holdMicros > use.budget.micros) throw budgetExceeded(use.owner, use.budget, use.spentMicros, holdMicros, use.resetAt, this.currency);
    }
    return uses.map(({ spentMicros: _spent, ...check }) => check);
  }

  /** Each budget of the principal (its user's, then its key's) in its current window, with what is spent or held there. */
  async budgetUse(principal: Principal): Promise<Array<BudgetCheck & { spentMicros: number }>> {
    const now = this.clock.now();
    const uses: Array<BudgetCheck & { spentMicros: number }> = [];
    for (const [owner, budget] of [['user', principal.userLimits.budget], ['key', principal.keyLimits.budget]] as const) {
      if (!budget) continue;
      const { start, resetAt } = budgetWindow(budget.period, now);
      uses.push({ owner, budget, start, resetAt, spentMicros: await this.store.spentSince(owner, owner === 'user' ? principal.userId : principal.keyId, start) });
    }
    return uses;
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
  async credit(account: AccountRef, amount: string, note: string, options: { opening?: boolean } = {}): Promise<string> {
    const micros = this.parseCredit(amount, options);
    return formatAmount(await this.store.credit(account, micros, note, this.clock.now(), { opening: options.opening ?? false }));
  }

  async balance(account: AccountRef): Promise<{ balance: string | null; held: string; currency: string }> {
    const { balanceMicros, heldMicros } = await this.store.balance(account);
    return { balance: balanceMicros === null ? null : formatAmount(balanceMicros), held: formatAmount(heldMicros), currency: this.currency };
  }

  /** One page of a user's ledger, newest first: every movement of its balance, as decimals. */
  async ledger(userId: string, limit: number, offset: number) {
    const { rows, total } = await this.store.ledgerPage(userId, limit, offset);
    return {
      data: rows.map((r) => ({
        id: r.id,
        kind: r.kind,
        amount: formatAmount(r.amountMicros),
        note: r.note,
        keyId: r.keyId,
        taskId: r.taskId,
        createdAt: new Date(r.createdAt).toISOString(),
      })),
      total,
      currency: this.currency,
    };
  }

  async usage(filter: UsageFilter) {
    const { records, total, images, amountMicros } = await this.store.usage(filter);
    return {
      data: records.map((r) => ({
        taskId: r.taskId,
        keyId: r.keyId,
        userId: r.userId,
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
