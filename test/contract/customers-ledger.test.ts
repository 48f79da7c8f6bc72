/**
 * The customer ledger, property-style, on SQLite and (when DATABASE_URL is set) Postgres: a small
 * world of groups, users and keys takes thousands of random operations from a seeded generator,
 * issued concurrently in waves — submits with holds (refused for balance, budget or tasks in
 * flight), runs ending succeeded (whole or partial), failed or canceled, cancels while queued,
 * workers lost, settlements asked for twice, credits, and top-up codes redeemed from two calls at
 * once (on Postgres through two pools). Between waves and at the end the books must balance:
 * every metered balance is its opening plus credits and codes, less what its tasks hold or were
 * charged, and equals its ledger; nothing is negative, settled twice or charged past its hold; a
 * charge is the images at their engines' list prices times the task's multiplier; budgets and
 * tasks in flight never went past their caps; every code was redeemed at most once, with one
 * ledger row of its batch's amount.
 *
 * The seed is fixed (as the fuzz suite's) and printed; SEED=<n> tries another and replays each operation's choices (each operation has dice of its
 * own), though which tasks are still queued when it is chosen depends on how the databases
 * interleaved the waves before. OPS=<n> changes how many.
 */
import assert from 'node:assert/strict';
import { mulberry32 } from '../../src/engines/local/raster/prng.js';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { AppError, type ErrorKind } from '../../src/domain/errors.js';
import { findModel, type ModelSpec } from '../../src/domain/models.js';
import { PriceList } from '../../src/domain/prices.js';
import type { TaskOutcome, TaskOutput } from '../../src/domain/task.js';
import { applyMultiplier, budgetWindow, type Budget, type GroupRecord } from '../../src/domain/users.js';
import { silentLogger } from '../../src/lib/logger.js';
import { BillingService } from '../../src/services/billing.js';
import { normalizeCode } from '../../src/services/redemption.js';
import { chargeOf } from '../../src/services/run/ending.js';
import type { SqlStore } from '../../src/store/db.js';
import { SqlKeyStore } from '../../src/store/key-store.js';
import { SqlLedger } from '../../src/store/ledger-store.js';
import type { BudgetCheck, RedeemResult } from '../../src/store/ports.js';
import { SqlRedemptionStore } from '../../src/store/redemption-store.js';
import { SqlTaskStore } from '../../src/store/task-store.js';
import { SqlGroupStore, SqlUserStore } from '../../src/store/user-store.js';
import { billedTask, reopenableTargets, type Reopenable } from '../helpers/billing.js';
import { assertLedgerInvariant } from '../helpers/ledger.js';

const SEED = process.env.SEED === undefined ? 20261204 : Number(process.env.SEED);
const OPS = Number(process.env.OPS ?? 3_000);
/** Operations in flight at once. */
const WAVE = 50;
const CHECKPOINTS = 3;


interface Dice {
  int(n: number): number;
  pick<T>(list: readonly T[]): T;
  chance(p: number): boolean;
}

function dice(seed: number): Dice {
  const next = mulberry32(seed);
  const int = (n: number) => Math.floor(next() * n);
  return { int, pick: <T>(list: readonly T[]) => list[int(list.length)] as T, chance: (p) => next() < p };
}

/**
 * Operation i's own dice: what it draws after an await does not depend on how the other
 * operations of its wave interleaved.
 */
const diceOf = (i: number) => dice((SEED ^ Math.imul(i + 1, 0x9e3779b1)) >>> 0);

const DAY = 86_400_000;
/** The operations' clock runs from here over four UTC days, so daily budgets reset on the way. */
const T0 = Date.UTC(2026, 5, 1, 6);
const SPAN = 4 * DAY;

// Prices, as the test knows them (micros), and as the gateway is configured (decimal text).
const EDIT = 'qwen-image-edit-plus';
const IMAGE = 'qwen-image';
const LIST: Record<string, Record<string, number>> = {
  [EDIT]: { cloud: 200_000, gpu: 150_000, local: 0, surge: 310_000 },
  [IMAGE]: { cloud: 123_457, gpu: 110_001, local: 0, surge: 310_000 },
};
/** The engines a model's hold covers (the dearest sets it); `surge` is not on any route: prices that rose while a task ran. */
const ROUTES: Record<string, string[]> = { [EDIT]: ['cloud', 'gpu', 'local'], [IMAGE]: ['cloud', 'local', 'gpu'] };
const priceList = new PriceList('CNY', {}, {
  perEngine: {
    cloud: { [EDIT]: '0.20', [IMAGE]: '0.123457' },
    gpu: { [EDIT]: '0.15', [IMAGE]: '0.110001' },
    surge: { '*': '0.31' },
  },
  engineTypes: { cloud: 'dashscope', gpu: 'fal', local: 'local', surge: 'dashscope' },
});

const GROUPS: Array<Omit<GroupRecord, 'createdAt' | 'updatedAt'>> = [
  { name: 'default', description: 'List prices', multiplierPpm: 1_000_000, overrides: {} },
  { name: 'discount', description: '0.8×', multiplierPpm: 800_000, overrides: {} },
  { name: 'premium', description: '1.25×, qwen-image at 1.333333×', multiplierPpm: 1_250_000, overrides: { [IMAGE]: 1_333_333 } },
];
/** The test's own reading of a group's multiplier (an override by model id, else the group's). */
const TEST_MULTIPLIER: Record<string, Record<string, number>> = {
  default: { [EDIT]: 1_000_000, [IMAGE]: 1_000_000 },
  discount: { [EDIT]: 800_000, [IMAGE]: 800_000 },
  premium: { [EDIT]: 1_250_000, [IMAGE]: 1_333_333 },
};
/** A price times a multiplier, rounded half up: the test's own arithmetic (exact: well below 2^53). */
const times = (micros: number, ppm: number) => Math.floor((micros * ppm + 500_000) / 1_000_000);

interface KeySpec {
  id: string;
  maxInFlight: number | null;
  budget: Budget | null;
}
interface UserSpec {
  id: string;
  group: string;
  /** Null: unlimited. */
  opening: number | null;
  maxInFlight: number | null;
  budget: Budget | null;
  keys: KeySpec[];
}

const key = (id: string, limits: Partial<Omit<KeySpec, 'id'>> = {}): KeySpec => ({ id: `key_${id}`, maxInFlight: limits.maxInFlight ?? null, budget: limits.budget ?? null });
const user = (id: string, group: string, opening: number | null, limits: { maxInFlight?: number; budget?: Budget }, keys: KeySpec[]): UserSpec => ({
  id: `usr_${id}`,
  group,
  opening,
  maxInFlight: limits.maxInFlight ?? null,
  budget: limits.budget ?? null,
  keys,
});
const USERS: UserSpec[] = [
  user('a', 'default', 40_000_000, {}, [key('a1'), key('a2', { maxInFlight: 4 }), key('a3')]),
  user('b', 'discount', 20_000_000, { budget: { micros: 3_000_000, period: 'day' } }, [key('b1'), key('b2', { budget: { micros: 1_000_000, period: 'day' } })]),
  user('c', 'premium', 8_000_000, { maxInFlight: 3 }, [key('c1'), key('c2')]),
  user('d', 'default', 1_500_000, {}, [key('d1'), key('d2')]),
  user('e', 'discount', 30_000_000, { maxInFlight: 5, budget: { micros: 5_000_000, period: 'day' } }, [key('e1', { maxInFlight: 2 }), key('e2'), key('e3', { budget: { micros: 4_000_000, period: 'month' } })]),
  user('f', 'premium', 12_000_000, {}, [key('f1'), key('f2', { maxInFlight: 3 })]),
  user('g', 'default', null, { budget: { micros: 3_000_000, period: 'day' } }, [key('g1'), key('g2')]),
  user('h', 'discount', 0, {}, [key('h1'), key('h2')]),
];
const USER_BY_ID = new Map(USERS.map((u) => [u.id, u]));

// Top-up codes: text from the seed, stored by the SHA-256 of the normalized text as the service does.
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const hashOf = (text: string) => createHash('sha256').update(normalizeCode(text) as string).digest('hex');
interface BatchSpec {
  id: string;
  amount: number;
  count: number;
  expiresAt: number | null;
  revoked: boolean;
}
const BATCHES: BatchSpec[] = [
  { id: 'rcb_main', amount: 1_234_567, count: 400, expiresAt: null, revoked: false },
  { id: 'rcb_big', amount: 5_000_000, count: 60, expiresAt: T0 + 30 * DAY, revoked: false },
  { id: 'rcb_expired', amount: 9_000_000, count: 5, expiresAt: T0 - 1, revoked: false },
  { id: 'rcb_revoked', amount: 9_000_000, count: 5, expiresAt: null, revoked: true },
];

const SUBMIT_REFUSALS: ReadonlySet<ErrorKind> = new Set(['insufficient_balance', 'budget_exceeded', 'rate_limited']);

/** What the test did to a task, to know its charge without asking the store. */
interface TaskModel {
  id: string;
  userId: string;
  keyId: string;
  model: string;
  n: number;
  multiplierPpm: number;
  unitMicros: number;
  holdMicros: number;
  createdAt: number;
  /** Set by the one finish that recorded the ending. */
  finish?: { status: 'succeeded' | 'failed' | 'canceled'; engines: string[]; priced: boolean };
  /** Settlements that returned true: by finish (in its own transaction) and by the ledger. */
  settledBy: number;
}

interface Handle {
  tasks: SqlTaskStore;
  ledger: SqlLedger;
  codes: SqlRedemptionStore;
}
const handle = (store: SqlStore): Handle => ({ tasks: new SqlTaskStore(store.db, { currency: 'CNY', dialect: store.dialect }), ledger: new SqlLedger(store.db, 'CNY'), codes: new SqlRedemptionStore(store.db) });

for (const target of reopenableTargets('qig-customers-')) {
  const name = target().name;
  describe(`customer ledger under random concurrent operations: ${name}`, () => {
    let place: Reopenable;
    let store: SqlStore;
    /** Postgres: a second pool on the same schema (another node, in effect). SQLite: the same store. */
    let other: SqlStore | null = null;
    let handles: Handle[];

    before(async () => {
      place = target();
      store = await place.open();
      if (store.dialect === 'postgres') other = await place.open();
      handles = [handle(store), ...(other ? [handle(other)] : [])];
    });
    after(async () => {
      await other?.close();
      await store.close();
      await place.cleanup();
    });

    it(`keeps the books exact (seed ${SEED}, ${OPS} operations, ${WAVE} at once)`, async () => {
      const started = Date.now();
      console.log(`# customers-ledger ${name}: SEED=${SEED} OPS=${OPS}`);
      const world = dice(SEED);
      const anyHandle = (d: Dice) => d.pick(handles);
      const [main] = handles as [Handle];
      const db = store.db;

      // The world.
      const groups = new SqlGroupStore(db);
      for (const group of GROUPS) await groups.put(group, T0 - DAY);
      const groupOf = new Map((await groups.list()).map((g) => [g.name, g]));
      const users = new SqlUserStore(db);
      const keys = new SqlKeyStore(db);
      for (const u of USERS) {
        await users.create({ id: u.id, name: u.id, email: null, group: u.group, balanceMicros: null, limits: { rateLimitPerMinute: null, maxInFlight: u.maxInFlight, models: null, budget: u.budget }, createdAt: T0 - DAY, updatedAt: T0 - DAY, disabledAt: null });
        if (u.opening !== null) await main.ledger.credit({ userId: u.id }, u.opening, 'opening balance', T0 - DAY, { opening: true });
        for (const k of u.keys) {
          await keys.create({ id: k.id, name: k.id, keyHash: `h-${k.id}`, keyPrefix: k.id.slice(0, 11), createdAt: T0 - DAY, revokedAt: null, expiresAt: null, rateLimitPerMinute: null, maxInFlight: k.maxInFlight, models: null, userId: u.id, budget: k.budget });
        }
      }
      const billing = new BillingService(main.ledger, () => priceList, { now: () => T0 }, silentLogger(), (model) => ROUTES[model.id] ?? []);
      const codeText = (d: Dice) => `QIG-${Array.from({ length: 4 }, () => Array.from({ length: 5 }, () => d.pick([...CROCKFORD])).join('')).join('-')}`;
      const codesOf = new Map<string, string[]>();
      const batchOfCode = new Map<string, BatchSpec>();
      for (const batch of BATCHES) {
        const texts = Array.from({ length: batch.count }, () => codeText(world));
        codesOf.set(batch.id, texts);
        for (const text of texts) batchOfCode.set(text, batch);
        await main.codes.createBatch(
          { id: batch.id, name: batch.id, amountMicros: batch.amount, count: batch.count, expiresAt: batch.expiresAt, createdAt: T0 - DAY, revokedAt: null },
          texts.map((text) => ({ hash: hashOf(text), prefix: text.slice(0, 9) })),
        );
        if (batch.revoked) assert.equal(await main.codes.revokeBatch(batch.id, T0 - DAY), true);
      }

      // What the test knows, to check the store against.
      const tasks = new Map<string, TaskModel>();
      let queuedPool: string[] = [];
      const credited = new Map<string, number>();
      const redeemed = new Map<string, number>();
      /** code text → the user and key whose redemption won. */
      const winners = new Map<string, { userId: string; keyId: string }>();
      const fresh = [...(codesOf.get('rcb_main') ?? []), ...(codesOf.get('rcb_big') ?? [])].sort(() => world.int(3) - 1);
      const raced: string[] = [];
      const stats = new Map<string, number>();
      const count = (what: string) => stats.set(what, (stats.get(what) ?? 0) + 1);
      const add = (map: Map<string, number>, id: string, micros: number) => map.set(id, (map.get(id) ?? 0) + micros);

      const timeOf = (i: number) => T0 + Math.floor((i * SPAN) / OPS);
      const spelled = (text: string, d: Dice) => (d.chance(0.5) ? text : text.toLowerCase().replace(/-/g, d.chance(0.5) ? ' ' : ''));
      const budgetCheck = (owner: 'user' | 'key', budget: Budget, now: number): BudgetCheck => ({ owner, budget, ...budgetWindow(budget.period, now) });
      const settleTwice = async (id: string, now: number, d: Dice, ended?: Parameters<SqlLedger['settle']>[2]) => {
        const results = await Promise.all([anyHandle(d).ledger.settle(id, now, ended), anyHandle(d).ledger.settle(id, now + 1)]);
        const wins = results.filter(Boolean).length;
        assert.ok(wins <= 1, `task ${id}: settled by both of two concurrent calls`);
        const model = tasks.get(id);
        if (model) model.settledBy += wins;
        count(wins === 1 ? 'settle: won' : 'settle: nothing to do');
      };

      async function submit(now: number, d: Dice, u = d.pick(USERS)): Promise<void> {
        const k = d.pick(u.keys);
        const model = findModel(d.chance(0.6) ? EDIT : IMAGE) as ModelSpec;
        const n = 1 + d.int(4);
        const quote = billing.quote(model, n, groupOf.get(u.group));
        const budgets = [...(u.budget ? [budgetCheck('user', u.budget, now)] : []), ...(k.budget ? [budgetCheck('key', k.budget, now)] : [])];
        const task = billedTask(k.id, n, quote.unitPriceMicros, { userId: u.id, model: model.id, createdAt: now, billing: quote });
        try {
          await anyHandle(d).tasks.create(task, { maxInFlight: k.maxInFlight, userMaxInFlight: u.maxInFlight, budgets });
        } catch (error) {
          if (error instanceof AppError && SUBMIT_REFUSALS.has(error.kind)) {
            count(`submit: refused ${error.kind}`);
            return;
          }
          throw error;
        }
        count('submit: held');
        tasks.set(task.id, { id: task.id, userId: u.id, keyId: k.id, model: model.id, n, multiplierPpm: quote.multiplierPpm, unitMicros: quote.unitPriceMicros, holdMicros: quote.holdMicros, createdAt: now, settledBy: 0 });
      }

      /** Claims a queued task and ends it as a worker would: the images priced by the engines that made them. */
      async function run(id: string, now: number, d: Dice): Promise<void> {
        const h = anyHandle(d);
        const worker = `w${now}`;
        const claimed = await h.tasks.claim(id, worker, now, now + SPAN);
        if (!claimed) return void count('run: not queued any more');
        const roll = d.int(100) / 100;
        const n = claimed.spec.n;
        const made = roll < 0.55 ? n : roll < 0.78 ? Math.max(1, d.int(n)) : 0;
        const engines = Array.from({ length: made }, () => (d.chance(0.08) ? 'surge' : d.pick(ROUTES[claimed.model] ?? [])));
        const outputs: TaskOutput[] = engines.map((engine, i) => ({ blobId: `${String(i).padStart(64, '0')}.png`, contentType: 'image/png', width: 64, height: 64, bytes: 10, seed: i, engine }));
        // The runner's price: each engine's list price times the task's multiplier (run/ending.ts).
        const priced = d.chance(0.93);
        const charge = priced ? chargeOf(claimed.model, outputs, engines.at(-1) ?? null, (model, engine) => applyMultiplier(billing.unitPrice(model, engine), claimed.priceMultiplierPpm)) : undefined;
        const failed = roll >= 0.78 && roll < 0.93;
        const outcome: TaskOutcome =
          made > 0 && !failed
            ? { status: 'succeeded', outputs, usage: { imageCount: made, width: 64, height: 64 }, actualPrompt: null, warnings: [], engine: engines.at(-1) ?? null, ...(charge ? { charge } : {}) }
            : failed
              ? { status: 'failed', error: { kind: 'engine_failed', message: 'upstream failed' }, outputs: outputs.slice(0, d.int(2)), warnings: [], engine: 'cloud' }
              : { status: 'canceled', warnings: [] };
        const finished = await h.tasks.finish(id, worker, outcome, now + 1);
        if (!finished) return void count('run: taken over');
        assert.equal(finished.billing.state, 'settled', `task ${id}: settled with its ending`);
        const model = tasks.get(id) as TaskModel;
        model.finish = { status: outcome.status, engines: outcome.status === 'succeeded' ? engines : [], priced: charge !== undefined };
        model.settledBy += 1;
        count(`run: ${outcome.status}${outcome.status === 'succeeded' && made < n ? ' (partial)' : ''}`);
      }

      async function cancel(id: string, now: number, d: Dice): Promise<void> {
        if (!(await anyHandle(d).tasks.cancelQueued(id, now))) return void count('cancel: not queued any more');
        count('cancel: canceled');
        await settleTwice(id, now + 1, d);
      }

      /** A worker died holding the task: its lease expires, the sweeper fails it, and settles it. */
      async function lose(id: string, now: number, d: Dice): Promise<void> {
        const h = anyHandle(d);
        if (!(await h.tasks.claim(id, `lost${now}`, now, now + 1))) return void count('lose: not queued any more');
        const failed = await h.tasks.failExpired(id, now + 2, { kind: 'engine_failed', message: 'worker lost' }, now + 2);
        if (!failed) return void count('lose: taken over');
        count('lose: failed');
        await settleTwice(id, now + 3, d, d.chance(0.5) ? failed : undefined);
      }

      async function credit(now: number, d: Dice): Promise<void> {
        const u = d.pick(USERS);
        const micros = 1 + d.int(3_000_000);
        const account = d.chance(0.5) ? { userId: u.id } : d.pick(u.keys).id;
        try {
          const balance = await anyHandle(d).ledger.credit(account, micros, 'top-up', now, { opening: false });
          assert.notEqual(u.opening, null, `unlimited user ${u.id} was credited`);
          assert.ok(balance >= micros);
          add(credited, u.id, micros);
          count('credit: credited');
        } catch (error) {
          if (u.opening === null && error instanceof AppError && error.kind === 'unsupported_operation') return void count('credit: refused unlimited');
          throw error;
        }
      }

      /** The same fresh code from two calls at once (on Postgres, often through two pools): one wins. */
      async function redeemRace(now: number, d: Dice): Promise<void> {
        const text = fresh.pop();
        if (text === undefined) return credit(now, d);
        const claimants = [0, 1].map(() => {
          const u = d.chance(0.1) ? (USER_BY_ID.get('usr_g') as UserSpec) : d.pick(USERS);
          return { u, k: d.pick(u.keys), h: anyHandle(d), hash: hashOf(spelled(text, d)) };
        });
        const results = await Promise.all(claimants.map(({ u, k, h, hash }) => h.codes.redeem(hash, u.id, k.id, now)));
        const batch = batchOfCode.get(text) as BatchSpec;
        const won = results.flatMap((r, i) => (r.kind === 'redeemed' ? [{ r, c: claimants[i] as (typeof claimants)[number] }] : []));
        assert.ok(won.length <= 1, `code ${text}: redeemed twice`);
        for (const [i, r] of results.entries()) {
          const claimant = claimants[i] as (typeof claimants)[number];
          if (r.kind === 'redeemed') continue;
          assert.ok(r.kind === 'used' || (r.kind === 'unlimited' && claimant.u.opening === null), `code ${text}: refused ${r.kind} to ${claimant.u.id}`);
        }
        if (claimants.some((c) => c.u.opening !== null)) assert.equal(won.length, 1, `code ${text}: a metered claimant must win`);
        const winner = won[0];
        if (!winner) return void count('redeem: both unlimited');
        raced.push(text);
        assert.equal(winner.r.kind === 'redeemed' && winner.r.amountMicros, batch.amount);
        assert.equal(winner.r.kind === 'redeemed' && winner.r.batchId, batch.id);
        winners.set(text, { userId: winner.c.u.id, keyId: winner.c.k.id });
        add(redeemed, winner.c.u.id, batch.amount);
        count(`redeem: won (${results.map((r) => r.kind).sort().join(' vs ')})`);
      }

      /** Codes that must be refused: used, expired, withdrawn, unknown. */
      async function redeemRefused(now: number, d: Dice): Promise<void> {
        const u = d.pick(USERS.filter((x) => x.opening !== null));
        const k = d.pick(u.keys);
        const roll = d.int(4);
        const [text, expected] =
          roll === 0 && raced.length > 0
            ? [d.pick(raced), 'used']
            : roll === 1
              ? [d.pick(codesOf.get('rcb_expired') ?? []), 'expired']
              : roll === 2
                ? [d.pick(codesOf.get('rcb_revoked') ?? []), 'revoked']
                : [codeText(d), 'unknown'];
        const result: RedeemResult = await anyHandle(d).codes.redeem(hashOf(spelled(text, d)), u.id, k.id, now);
        assert.equal(result.kind, expected, `code ${text}`);
        count(`redeem: refused ${expected}`);
      }

      /** Operation i, at its instant, with its own dice; its target is chosen now. */
      function operation(i: number): () => Promise<void> {
        const now = timeOf(i);
        const d = diceOf(i);
        const roll = d.int(100);
        const queued = queuedPool.length > 0 ? d.pick(queuedPool) : null;
        const anyTask = tasks.size > 0 ? d.pick([...tasks.keys()]) : null;
        if (roll < 30 || queued === null) return () => submit(now, d);
        if (roll < 36) {
          // A burst: three submits of one user at once, racing for its balance, budget and caps.
          const u = d.pick(USERS);
          return () => Promise.all([0, 1, 2].map(() => submit(now, d, u))).then(() => undefined);
        }
        if (roll < 62) return () => run(queued, now, d);
        if (roll < 69) return () => cancel(queued, now, d);
        if (roll < 72) return () => lose(queued, now, d);
        if (roll < 76 && anyTask !== null) return () => settleTwice(anyTask, now, d);
        if (roll < 84) return () => credit(now, d);
        if (roll < 96) return () => redeemRace(now, d);
        return () => redeemRefused(now, d);
      }

      /**
       * Budgets and tasks in flight, after every wave: the tasks a wave created are still held then
       * (none runs in the wave that created it), so two concurrent submits past a cap would show.
       */
      async function checkLimits(label: string): Promise<void> {
        const rows = await db.selectFrom('tasks').select(['id', 'user_id', 'key_id', 'status', 'billing_state', 'hold_micros', 'charged_micros']).execute();
        // Budgets: what the tasks created in each period hold or were charged never passes the budget.
        const windows = new Map<string, { cap: number; used: number }>();
        for (const row of rows) {
          const t = tasks.get(row.id) as TaskModel;
          const u = USER_BY_ID.get(t.userId) as UserSpec;
          const k = u.keys.find((x) => x.id === t.keyId) as KeySpec;
          const used = row.billing_state === 'held' ? Number(row.hold_micros) : Number(row.charged_micros ?? 0);
          for (const [owner, budget] of [[u.id, u.budget], [k.id, k.budget]] as const) {
            if (!budget) continue;
            const id = `${owner}@${budgetWindow(budget.period, t.createdAt).start}`;
            const w = windows.get(id) ?? { cap: budget.micros, used: 0 };
            w.used += used;
            windows.set(id, w);
          }
        }
        for (const [id, w] of windows) assert.ok(w.used <= w.cap, `${label}: budget ${id}: ${w.used} spent or held of ${w.cap}`);
        // Tasks in flight never past a key's or a user's cap.
        const inFlight = new Map<string, number>();
        for (const row of rows) if (row.status === 'queued' || row.status === 'running') for (const id of [row.user_id as string, row.key_id]) add(inFlight, id, 1);
        for (const u of USERS) {
          if (u.maxInFlight !== null) assert.ok((inFlight.get(u.id) ?? 0) <= u.maxInFlight, `${label}: user ${u.id} has ${inFlight.get(u.id)} in flight`);
          for (const k of u.keys) if (k.maxInFlight !== null) assert.ok((inFlight.get(k.id) ?? 0) <= k.maxInFlight, `${label}: key ${k.id} has ${inFlight.get(k.id)} in flight`);
        }
      }

      /** Everything the books must show when nothing is in flight. */
      async function checkBooks(label: string, settledAll: boolean): Promise<void> {
        await assertLedgerInvariant(db);
        const rows = await db.selectFrom('tasks').select(['id', 'user_id', 'key_id', 'status', 'billing_state', 'hold_micros', 'charged_micros', 'price_micros', 'price_multiplier_ppm', 'outputs', 'created_at']).execute();
        const userRows = await db.selectFrom('users').select(['id', 'balance_micros']).execute();
        assert.equal(rows.length, tasks.size, `${label}: every task created is stored, and no other`);
        const owing = new Map<string, number>();
        for (const row of rows) {
          const t = tasks.get(row.id);
          assert.ok(t, `${label}: task ${row.id} is one the test created`);
          const hold = Number(row.hold_micros);
          assert.equal(row.user_id, t.userId);
          assert.equal(Number(row.price_multiplier_ppm), t.multiplierPpm, `task ${t.id}: the multiplier held`);
          // The hold: the route's dearest list price times the group's multiplier, rounded half up, n times.
          const dearest = Math.max(...(ROUTES[t.model] ?? []).map((engine) => LIST[t.model]?.[engine] ?? 0));
          const unit = times(dearest, TEST_MULTIPLIER[USER_BY_ID.get(t.userId)?.group ?? '']?.[t.model] ?? NaN);
          assert.equal(hold, unit * t.n, `task ${t.id}: held ${t.n} × ${unit}`);
          if (row.billing_state === 'held') {
            assert.ok(!['succeeded', 'failed', 'canceled'].includes(row.status), `${label}: task ${t.id} ended but is not settled`);
            add(owing, t.userId, hold);
            continue;
          }
          assert.equal(row.billing_state, 'settled');
          assert.equal(t.settledBy, 1, `task ${t.id}: settled exactly once (${t.settledBy} settlements reported success)`);
          const charged = Number(row.charged_micros);
          add(owing, t.userId, charged);
          assert.ok(charged <= hold, `task ${t.id}: charged ${charged}, past its hold ${hold}`);
          let expected = 0;
          if (t.finish?.status === 'succeeded') {
            assert.equal(row.status, 'succeeded');
            const images = Math.min(t.finish.engines.length, t.n);
            if (t.finish.priced) {
              // Each image at its engine's list price × the task's multiplier (first n images, by engine in order of appearance).
              const order = [...new Set(t.finish.engines)];
              let left = images;
              for (const engine of order) {
                const taken = Math.min(t.finish.engines.filter((e) => e === engine).length, left);
                expected += taken * times(LIST[t.model]?.[engine] ?? NaN, t.multiplierPpm);
                left -= taken;
              }
            } else {
              expected = images * t.unitMicros;
            }
          }
          assert.equal(charged, Math.min(expected, hold), `task ${t.id} (${row.status}, ${JSON.stringify(t.finish)}): charged ${charged}`);
        }
        for (const row of userRows) {
          const u = USER_BY_ID.get(row.id);
          assert.ok(u, `${label}: user ${row.id} is one the test created`);
          if (u.opening === null) {
            assert.equal(row.balance_micros, null, `${label}: unlimited user ${u.id} stays unlimited`);
            continue;
          }
          const balance = Number(row.balance_micros);
          const expected = u.opening + (credited.get(u.id) ?? 0) + (redeemed.get(u.id) ?? 0) - (owing.get(u.id) ?? 0);
          assert.equal(balance, expected, `${label}: user ${u.id}: opening + credits + codes − holds and charges`);
          assert.ok(balance >= 0, `${label}: user ${u.id} balance negative`);
        }
        await checkLimits(label);
        // Codes: each redeemed at most once, by the claimant whose call won, with one ledger row of its batch's amount.
        const codeRows = await db.selectFrom('redemption_codes').selectAll().execute();
        const byHash = new Map(codeRows.map((r) => [r.code_hash, r]));
        const expectedRows: string[] = [];
        for (const [text, batch] of batchOfCode) {
          const row = byHash.get(hashOf(text));
          assert.ok(row);
          const winner = winners.get(text);
          assert.equal(row.redeemed_at !== null, winner !== undefined, `${label}: code ${text} redeemed iff a call won it`);
          if (winner) {
            assert.deepEqual([row.user_id, row.key_id], [winner.userId, winner.keyId]);
            expectedRows.push(`${winner.userId} ${winner.keyId} ${batch.id} ${batch.amount}`);
          }
        }
        const ledgerRows = await db.selectFrom('ledger').selectAll().where('kind', '=', 'redeem').execute();
        const actualRows = ledgerRows.map((r) => `${r.user_id} ${r.key_id} ${/\(batch ([^)]+)\)$/.exec(r.note)?.[1]} ${Number(r.amount_micros)}`);
        assert.deepEqual(actualRows.sort(), expectedRows.sort(), `${label}: one redeem row per code redeemed, of its batch's amount`);
        if (settledAll) {
          assert.deepEqual(await main.ledger.findUnsettled(100), []);
          assert.equal(rows.filter((r) => r.billing_state === 'held').length, 0);
        }
      }

      // The run, in waves of concurrent operations.
      const waves = Math.ceil(OPS / WAVE);
      for (let w = 0; w < waves; w += 1) {
        const batch = Array.from({ length: Math.min(WAVE, OPS - w * WAVE) }, (_, j) => operation(w * WAVE + j));
        await Promise.all(batch.map((op) => op()));
        const ended = new Set((await db.selectFrom('tasks').select('id').where('status', '!=', 'queued').execute()).map((r) => r.id));
        queuedPool = [...tasks.keys()].filter((id) => !ended.has(id));
        if ((w + 1) % Math.ceil(waves / CHECKPOINTS) === 0 && w + 1 < waves) await checkBooks(`after wave ${w + 1}`, false);
        else await checkLimits(`after wave ${w + 1}`);
      }
      await checkBooks('at the end of the run', false);

      // Every task ends and settles; the books then close: balances are openings + credits + codes − charges.
      // Past every lease, so a task still running (its worker lost) is taken over and ended.
      const end = T0 + 3 * SPAN;
      const closing = diceOf(OPS);
      for (const row of await db.selectFrom('tasks').select(['id', 'status']).where('status', 'in', ['queued', 'running']).execute()) {
        await (row.status === 'queued' ? cancel(row.id, end, closing) : run(row.id, end, closing));
      }
      await checkBooks('with every task settled', true);

      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      console.log(`# customers-ledger ${name}: SEED=${SEED}, ${OPS} operations in ${seconds} s, ${tasks.size} tasks, ${winners.size} codes redeemed`);
      console.log(`# ${[...stats].sort().map(([what, n]) => `${what}: ${n}`).join('; ')}`);
      // The run exercised what it claims to.
      for (const what of ['submit: held', 'submit: refused insufficient_balance', 'submit: refused budget_exceeded', 'submit: refused rate_limited', 'run: succeeded', 'run: succeeded (partial)', 'run: failed', 'cancel: canceled', 'lose: failed', 'credit: credited', 'redeem: refused used']) {
        if (OPS >= 1_000) assert.ok((stats.get(what) ?? 0) > 0, `the run had no "${what}"`);
      }
    });
  });
}
